import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { projectRoot, resultsDir } from "../harness/core/paths.js";
import { say } from "../harness/core/progress.js";
import { diffRuns, renderDiffJson } from "../harness/report/diff.js";
import { renderDiffMarkdown, renderDiffSummary } from "../harness/report/diff-text.js";
import { readRunResult } from "../harness/report/write-reports.js";
import {
  describeMachine,
  describeMachineLine,
  loadAverage1m,
  type LoadAverage,
  type Machine,
} from "./lib/machine.js";
import { writeBenchResults } from "./lib/results.js";
import { spread, type Spread } from "./lib/stats.js";
import { markdownTable, textTable, type Table } from "./lib/table.js";
import { runCommand } from "../harness/core/process.js";

const REPEATS = 5;
/** What `scanproof diff` of two results files may take, the whole command included. */
const TARGET_MS = 1000;

interface ResultsFile {
  readonly file: string;
  readonly bytes: number;
  readonly scenarios: number;
  readonly alerts: number;
}

interface DiffBench {
  readonly date: string;
  readonly machine: Machine;
  readonly load1m: LoadAverage;
  readonly targetMs: number;
  readonly before: ResultsFile;
  readonly after: ResultsFile;
  /** Scenarios that moved, and whether anything did. */
  readonly moved: number;
  /** Reading and checking both files against the results schema. */
  readonly readMs: Spread;
  /** Diffing, and rendering the summary, the Markdown comment and the JSON. */
  readonly diffMs: Spread;
  /** `node bin/scanproof.js diff A B --markdown … --json …`, start to exit. */
  readonly commandMs: Spread;
  /** The command's CPU time, user and system: what it costs whatever else the machine is doing. */
  readonly commandCpuMs: Spread;
}

/** The two largest results files under the results folder: the heaviest diff at hand. */
function largestResults(): [string, string] {
  const dir = resultsDir();
  const files = readdirSync(dir)
    .map((run) => join(dir, run, "results.json"))
    .filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile() ?? false)
    .sort((a, b) => statSync(b).size - statSync(a).size);
  const [a, b] = files;
  if (a === undefined || b === undefined)
    throw new Error(
      `bench diff needs two results files: pass --results A B, or run scenarios first (${files.length} results files under ${dir})`,
    );
  return [b, a];
}

function describeFile(file: string): ResultsFile {
  const run = readRunResult(file);
  return {
    file: relative(projectRoot, file) || file,
    bytes: statSync(file).size,
    scenarios: run.scenarios.length,
    alerts: run.scenarios.reduce((n, s) => n + s.alerts.length, 0),
  };
}

function spreadOf(values: readonly number[], what: string): Spread {
  const s = spread(values);
  if (!s) throw new Error(`no measurement of ${what}`);
  return s;
}

function table(bench: DiffBench): Table {
  const row = (what: string, ms: Spread, counts: boolean) => [
    what,
    `${ms.median.toFixed(0)} ms`,
    `${ms.max.toFixed(0)} ms`,
    counts ? (ms.max <= bench.targetMs ? "met" : "missed") : "",
  ];
  return {
    header: ["Step", "Median", "Max", `≤ ${bench.targetMs} ms`],
    numeric: [1, 2],
    rows: [
      row("read and check both results files", bench.readMs, false),
      row("diff, and render summary, Markdown and JSON", bench.diffMs, false),
      row("`scanproof diff A B --markdown --json` (the whole command), wall", bench.commandMs, true),
      row("… its CPU time (user + system)", bench.commandCpuMs, false),
    ],
  };
}

function fileLine(f: ResultsFile): string {
  return `${f.file}: ${(f.bytes / 1_000_000).toFixed(1)} MB, ${f.scenarios} scenarios, ${f.alerts} alerts`;
}

/** POSIX `times` after the command: the shell's own user and system time, then its children's. */
const TIMES = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/;

/**
 * Runs the command as a user would, from this checkout, under `sh`, whose `times` reports the CPU
 * time it used; its wall time includes waiting for a CPU on a busy machine.
 */
async function timeCommand(
  before: string,
  after: string,
  markdown: string,
  json: string,
): Promise<{ ms: number; cpuMs: number }> {
  const started = performance.now();
  const run = await runCommand(
    "sh",
    [
      "-c",
      'node bin/scanproof.js diff "$1" "$2" --markdown "$3" --json "$4" >/dev/null; code=$?; times; exit $code',
      "sh",
      before,
      after,
      markdown,
      json,
    ],
    { cwd: projectRoot },
  );
  const ms = performance.now() - started;
  if (run.code !== 0 && run.code !== 1)
    throw new Error(`scanproof diff exited ${run.code}: ${run.stderr.trim()}`);
  const children = TIMES.exec(run.stdout.trim().split("\n").at(-1) ?? "");
  if (!children) throw new Error(`no CPU times from sh's times: ${JSON.stringify(run.stdout)}`);
  const [, um = "0", us = "0", sm = "0", ss = "0"] = children;
  const cpuMs = (Number(um) * 60 + Number(us) + Number(sm) * 60 + Number(ss)) * 1000;
  return { ms, cpuMs };
}

/** How long `scanproof diff` of two existing results files takes, in process and as a command. */
export async function benchDiff(files?: readonly string[]): Promise<void> {
  const [beforeFile, afterFile] = (files && files.length > 0 ? files : largestResults()).map((f) =>
    resolve(f),
  );
  if (beforeFile === undefined || afterFile === undefined || (files && files.length !== 2))
    throw new Error("bench diff compares two results files: --results BEFORE AFTER");
  const loadAtStart = loadAverage1m();
  const machine = await describeMachine();
  const reads: number[] = [];
  const diffs: number[] = [];
  let moved = 0;
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    const before = readRunResult(beforeFile);
    const after = readRunResult(afterFile);
    const read = performance.now();
    const diff = diffRuns({ label: beforeFile, run: before }, { label: afterFile, run: after });
    renderDiffSummary(diff);
    renderDiffMarkdown(diff);
    renderDiffJson(diff);
    diffs.push(performance.now() - read);
    reads.push(read - started);
    moved = diff.counts.moved + diff.counts.onlyBefore + diff.counts.onlyAfter;
  }
  const out = mkdtempSync(join(tmpdir(), "scanproof-bench-diff-"));
  const commands: { ms: number; cpuMs: number }[] = [];
  try {
    for (let i = 0; i < REPEATS; i++)
      commands.push(await timeCommand(beforeFile, afterFile, join(out, "diff.md"), join(out, "diff.json")));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const bench: DiffBench = {
    date: new Date().toISOString().slice(0, 10),
    machine,
    load1m: { start: loadAtStart, end: loadAverage1m() },
    targetMs: TARGET_MS,
    before: describeFile(beforeFile),
    after: describeFile(afterFile),
    moved,
    readMs: spreadOf(reads, "reading"),
    diffMs: spreadOf(diffs, "diffing"),
    commandMs: spreadOf(
      commands.map((c) => c.ms),
      "the command",
    ),
    commandCpuMs: spreadOf(
      commands.map((c) => c.cpuMs),
      "the command's CPU time",
    ),
  };
  say(`before: ${fileLine(bench.before)}\nafter:  ${fileLine(bench.after)}\n${moved} scenarios moved`);
  say(textTable(table(bench)));
  await writeBenchResults("diff", bench.date, bench, (jsonFile) =>
    [
      "# scanproof diff of two results files",
      "",
      `${REPEATS} runs each (${bench.date}). ${describeMachineLine(machine, bench.load1m)} Raw figures: \`${jsonFile}\`.`,
      "",
      `- before: ${fileLine(bench.before)}`,
      `- after: ${fileLine(bench.after)}`,
      `- ${moved} scenarios moved`,
      "",
      markdownTable(table(bench)),
      "",
    ].join("\n"),
  );
}
