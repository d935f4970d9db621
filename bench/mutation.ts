import { seconds } from "../harness/core/format.js";
import { availableParallelism, cpus, release, totalmem } from "node:os";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Stryker } from "@stryker-mutator/core";
import { elasticNetworkRulesDir, projectRoot } from "../harness/core/paths.js";
import { say } from "../harness/core/progress.js";
import {
  describeMachine,
  describeMachineLine,
  loadAverage1m,
  type LoadAverage,
  type Machine,
} from "./lib/machine.js";
import { writeBenchResults } from "./lib/results.js";
import { markdownTable, textTable, type Table } from "./lib/table.js";

type StrykerOptions = NonNullable<ConstructorParameters<typeof Stryker>[0]>;
type MutantResult = Awaited<ReturnType<Stryker["runMutationTest"]>>[number];

/** The deciding code, by area, as stryker.config.json's `mutate` lists it. */
const AREAS: readonly { readonly area: string; readonly matches: (file: string) => boolean }[] = [
  { area: "KQL", matches: (f) => f === "harness/detection/rules/kql.ts" },
  { area: "rule execution", matches: (f) => f.startsWith("harness/detection/") },
  {
    area: "escalation",
    matches: (f) => f.startsWith("harness/escalation/") || f.startsWith("harness/context/"),
  },
  { area: "judge", matches: (f) => f.startsWith("harness/judge/") },
  { area: "log accounting", matches: (f) => f.startsWith("harness/logs/") },
];

/**
 * The goals of the bench: the mutants of the two decisions that once survived the unit tests — the
 * threshold comparison and the new terms history window, now shared by both engines — are all killed. Each
 * is found by the text of its lines, so that moving code does not move the goal.
 */
const GOALS: readonly { readonly goal: string; readonly file: string; readonly lines: readonly string[] }[] =
  [
    {
      goal: "threshold comparison (shared by the Elasticsearch path and the fixture engine): every mutant killed",
      file: "harness/detection/rules/rule-semantics.ts",
      lines: ["return events >= value && cardinality.every("],
    },
    {
      goal: "new terms history window (its start, its range up to the window's start): every mutant killed",
      file: "harness/detection/rules/rule-semantics.ts",
      lines: ["getTime() - rule.newTerms.historyWindowMs), before: window.gte"],
    },
    {
      goal: "the Elasticsearch path searches the history window it is given: every mutant killed",
      file: "harness/detection/live/new-terms-rule.ts",
      lines: ["gte: history.from, lt: history.before"],
    },
  ];

const REPLACEMENT_SHOWN = 90;

export interface MutationOptions {
  /** Mutate only these files (stryker.config.json's `mutate` otherwise). */
  readonly mutate?: readonly string[];
  /**
   * Also run static mutants (module-level code: schemas, tables, defaults). Each of them runs the
   * whole unit suite in a fresh process, which makes a full run last hours.
   */
  readonly static?: boolean;
}

interface Counts {
  readonly mutants: number;
  readonly killed: number;
  readonly timeout: number;
  readonly survived: number;
  readonly noCoverage: number;
  /** Static mutants not run (`ignoreStatic`), and any mutant Stryker ignored otherwise. */
  readonly ignored: number;
  /** Mutants that crashed the runner or did not compile: in no score. */
  readonly errors: number;
  /** (killed + timeout) / (killed + timeout + survived + no coverage), in percent. */
  readonly score: number | null;
  /** The same, over the mutants some unit test runs: (killed + timeout) / (killed + timeout + survived). */
  readonly coveredScore: number | null;
}

interface Survivor {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly mutator: string;
  readonly replacement: string;
  readonly status: "Survived" | "NoCoverage";
}

interface Goal {
  readonly goal: string;
  readonly met: boolean;
  readonly detail: string;
}

interface MutationBench {
  readonly date: string;
  readonly machine: Machine;
  readonly load1m: LoadAverage;
  readonly durationMs: number;
  readonly settings: { readonly ignoreStatic: boolean; readonly mutate: readonly string[] | "config" };
  readonly total: Counts;
  readonly areas: readonly (Counts & { readonly area: string })[];
  readonly files: readonly (Counts & { readonly file: string; readonly area: string })[];
  readonly survivors: readonly Survivor[];
  readonly goals: readonly Goal[];
}

function areaOf(file: string): string {
  return AREAS.find((a) => a.matches(file))?.area ?? "other";
}

function percent(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 100;
}

export function countMutants(results: readonly Pick<MutantResult, "status">[]): Counts {
  const n = (status: MutantResult["status"]) => results.filter((r) => r.status === status).length;
  const killed = n("Killed");
  const timeout = n("Timeout");
  const survived = n("Survived");
  const noCoverage = n("NoCoverage");
  const detected = killed + timeout;
  return {
    mutants: results.length,
    killed,
    timeout,
    survived,
    noCoverage,
    ignored: n("Ignored"),
    errors: n("RuntimeError") + n("CompileError"),
    score: percent(detected, detected + survived + noCoverage),
    coveredScore: percent(detected, detected + survived),
  };
}

/** A mutant's file relative to the repository, with forward slashes. */
function fileOf(result: Pick<MutantResult, "fileName">): string {
  const absolute = resolve(projectRoot, result.fileName);
  return absolute.startsWith(projectRoot + "/") ? absolute.slice(projectRoot.length + 1) : result.fileName;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > REPLACEMENT_SHOWN ? `${flat.slice(0, REPLACEMENT_SHOWN - 1)}…` : flat;
}

function survivorsOf(results: readonly MutantResult[]): Survivor[] {
  return results
    .flatMap((r): Survivor[] =>
      r.status === "Survived" || r.status === "NoCoverage"
        ? [
            {
              file: fileOf(r),
              // Positions as in Stryker's report: lines and columns counted from 1.
              line: r.location.start.line,
              column: r.location.start.column,
              mutator: r.mutatorName,
              replacement: oneLine(r.replacement),
              status: r.status,
            },
          ]
        : [],
    )
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

function grouped<K>(results: readonly MutantResult[], key: (r: MutantResult) => K): Map<K, MutantResult[]> {
  const groups = new Map<K, MutantResult[]>();
  for (const r of results) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return groups;
}

function score(value: number | null): string {
  return value === null ? "–" : `${value.toFixed(2)} %`;
}

function countsTable(first: string, rows: readonly (Counts & { readonly name: string })[]): Table {
  return {
    header: [
      first,
      "Score",
      "Covered score",
      "Mutants",
      "Killed",
      "Timeout",
      "Survived",
      "No coverage",
      "Static, not run",
      "Errors",
    ],
    numeric: [1, 2, 3, 4, 5, 6, 7, 8, 9],
    rows: rows.map((r) => [
      r.name,
      score(r.score),
      score(r.coveredScore),
      String(r.mutants),
      String(r.killed),
      String(r.timeout),
      String(r.survived),
      String(r.noCoverage),
      String(r.ignored),
      String(r.errors),
    ]),
  };
}

function survivorsTable(survivors: readonly Survivor[]): Table {
  return {
    header: ["Where", "Mutator", "Replacement"],
    rows: survivors.map((s) => [`${s.file}:${s.line}:${s.column}`, s.mutator, s.replacement]),
  };
}

/** Lines of the mutants no unit test runs, per file, as ranges: "60-64, 70". */
function uncoveredLines(survivors: readonly Survivor[]): Table {
  const byFile = new Map<string, number[]>();
  for (const s of survivors.filter((s) => s.status === "NoCoverage"))
    byFile.set(s.file, [...(byFile.get(s.file) ?? []), s.line]);
  return {
    header: ["File", "Mutants", "Lines"],
    numeric: [1],
    rows: [...byFile].map(([file, lines]) => [file, String(lines.length), lineRanges(lines)]),
  };
}

function lineRanges(lines: readonly number[]): string {
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const line of sorted) {
    const last = ranges.at(-1);
    if (last && line === last[1] + 1) last[1] = line;
    else ranges.push([line, line]);
  }
  return ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(", ");
}

function goalsOf(results: readonly MutantResult[]): Goal[] {
  return GOALS.map(({ goal, file, lines }) => {
    const path = join(projectRoot, file);
    const source = existsSync(path) ? readFileSync(path, "utf8").split("\n") : [];
    const numbers = source.flatMap((text, i) => (lines.some((l) => text.includes(l)) ? [i + 1] : []));
    const mutants = results.filter(
      (r) => fileOf(r) === file && numbers.includes(r.location.start.line) && r.status !== "Ignored",
    );
    const detected = mutants.filter((r) => r.status === "Killed" || r.status === "Timeout");
    const left = survivorsOf(mutants).map((s) => `${s.line}:${s.column} ${s.mutator} → ${s.replacement}`);
    const where = numbers.length > 0 ? `${file}:${lineRanges(numbers)}` : `${file} (lines not found)`;
    return {
      goal,
      met: mutants.length > 0 && detected.length === mutants.length,
      detail: `${where}: ${detected.length} of ${mutants.length} killed${left.length > 0 ? `; left: ${left.join("; ")}` : ""}`,
    };
  });
}

/** The machine, even where no Docker engine answers: this bench needs none. */
async function machine(): Promise<Machine> {
  try {
    return await describeMachine();
  } catch {
    return {
      nproc: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? "unknown",
      totalMemoryBytes: totalmem(),
      kernel: release(),
      node: process.version,
      dockerEngine: "not reachable (not needed)",
    };
  }
}

/**
 * Stryker's sandbox is a copy of the repository under .stryker-tmp/, so a path the tests take
 * relative to the checkout's parent (Elastic's published rules) is named absolutely for it.
 */
function sandboxEnvironment(): Record<string, string> {
  return process.env.SCANPROOF_ELASTIC_RULES === undefined
    ? { SCANPROOF_ELASTIC_RULES: elasticNetworkRulesDir() }
    : {};
}

async function runStryker(options: MutationOptions): Promise<MutantResult[]> {
  const { Stryker } = await import("@stryker-mutator/core");
  const strykerOptions: StrykerOptions = {
    configFile: join(projectRoot, "stryker.config.json"),
    ignoreStatic: options.static !== true,
    // The bench prints its own summary; Stryker's clear-text report would list every mutant.
    reporters: ["progress", "json"],
    ...(options.mutate && options.mutate.length > 0 ? { mutate: [...options.mutate] } : {}),
  };
  const cwd = process.cwd();
  const env = sandboxEnvironment();
  Object.assign(process.env, env);
  process.chdir(projectRoot);
  try {
    return await new Stryker(strykerOptions).runMutationTest();
  } finally {
    process.chdir(cwd);
    for (const key of Object.keys(env)) Reflect.deleteProperty(process.env, key);
  }
}

/**
 * Mutation testing (StrykerJS) of the code that decides a verdict — rule execution, KQL,
 * escalation, the judge, the log accounting — against the unit tests only: the score per file, per
 * area and in total, and every mutant that survived them.
 */
export async function benchMutation(options: MutationOptions = {}): Promise<void> {
  const loadAtStart = loadAverage1m();
  const described = await machine();
  const started = Date.now();
  const results = await runStryker(options);
  const durationMs = Date.now() - started;
  const byFile = grouped(results, fileOf);
  const files = [...byFile]
    .map(([file, rs]) => ({ file, area: areaOf(file), ...countMutants(rs) }))
    .sort((a, b) => a.file.localeCompare(b.file));
  const areas = AREAS.map(({ area }) => ({
    area,
    ...countMutants(results.filter((r) => areaOf(fileOf(r)) === area)),
  })).filter((a) => a.mutants > 0);
  const bench: MutationBench = {
    date: new Date().toISOString().slice(0, 10),
    machine: described,
    load1m: { start: loadAtStart, end: loadAverage1m() },
    durationMs,
    settings: {
      ignoreStatic: options.static !== true,
      mutate: options.mutate?.length ? options.mutate : "config",
    },
    total: countMutants(results),
    areas,
    files,
    survivors: survivorsOf(results),
    goals: goalsOf(results),
  };

  const perFile = countsTable(
    "File",
    bench.files.map((f) => ({ ...f, name: f.file })),
  );
  const perArea = countsTable("Area", [
    ...bench.areas.map((a) => ({ ...a, name: a.area })),
    { ...bench.total, name: "total" },
  ]);
  const survived = bench.survivors.filter((s) => s.status === "Survived");
  const goals: Table = {
    header: ["Goal", "Outcome", "Detail"],
    rows: bench.goals.map((g) => [g.goal, g.met ? "met" : "missed", g.detail]),
  };
  say(`\nMutation testing took ${seconds(durationMs)}.`);
  say(`\n${textTable(perFile)}\n\n${textTable(perArea)}`);
  say(`\nSurvived (${survived.length}):\n${textTable(survivorsTable(survived))}`);
  say(`\nNot covered by any unit test:\n${textTable(uncoveredLines(bench.survivors))}`);
  say(`\n${textTable(goals)}`);
  await writeBenchResults("mutation", bench.date, bench, (jsonFile) =>
    [
      "# Mutation testing of the deciding code",
      "",
      `StrykerJS against the unit tests (\`.mocharc.unit.json\`), ${bench.settings.ignoreStatic ? "static mutants not run" : "static mutants run"}, ${bench.settings.mutate === "config" ? "the files stryker.config.json lists" : `only ${bench.settings.mutate.join(", ")}`} (${bench.date}, ${seconds(durationMs)}). ${describeMachineLine(described, bench.load1m)} Every mutant, and each survivor's replacement: \`${jsonFile}\`.`,
      "",
      "The score counts mutants no unit test runs as survivors; the covered score leaves them out.",
      "",
      markdownTable(perArea),
      "",
      markdownTable(perFile),
      "",
      `## Survived (${survived.length})`,
      "",
      survived.length > 0 ? markdownTable(survivorsTable(survived)) : "None.",
      "",
      "## Not covered by any unit test",
      "",
      markdownTable(uncoveredLines(bench.survivors)),
      "",
      "## Goals",
      "",
      markdownTable(goals),
      "",
    ].join("\n"),
  );
}
