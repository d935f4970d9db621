import { performance } from "node:perf_hooks";
import { say } from "../harness/core/progress.js";
import { KqlSyntaxError, kqlToQueryDsl, parseKql } from "../harness/detection/rules/kql.js";
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

const REPEATS = 5;
/** What a rule file's query may cost at most to parse and compile, whatever its shape. */
const TARGET_MS = 2000;

/** Inputs that make naive parsers recurse, backtrack or quadratically rescan. */
const INPUTS: readonly { readonly name: string; readonly text: string }[] = [
  { name: "100,000 opening parentheses", text: "(".repeat(100_000) },
  { name: "100,000 nested nots", text: "not ".repeat(100_000) + "a:1" },
  { name: "100,000 chained fields", text: "a:".repeat(100_000) },
  { name: "a field, then 100,000 parentheses", text: "a:" + "(".repeat(100_000) },
  { name: "one 200,000-character word", text: "x".repeat(200_000) },
  { name: "100,001 quotes", text: '"'.repeat(100_001) },
  { name: "100,001 backslashes", text: "\\".repeat(100_001) },
  {
    name: "50,000 clauses joined by or",
    text: Array.from({ length: 50_000 }, (_, i) => `f${i}:${i}`).join(" or\n"),
  },
];

interface KqlFigure {
  readonly input: string;
  readonly characters: number;
  readonly outcome: "parsed" | "syntax error";
  readonly ms: Spread;
}

interface KqlBench {
  readonly date: string;
  readonly machine: Machine;
  readonly load1m: LoadAverage;
  readonly targetMs: number;
  readonly figures: readonly KqlFigure[];
}

function measure(text: string): { ms: number; outcome: KqlFigure["outcome"] } {
  const started = performance.now();
  try {
    kqlToQueryDsl(parseKql(text));
    return { ms: performance.now() - started, outcome: "parsed" };
  } catch (error) {
    if (!(error instanceof KqlSyntaxError)) throw error;
    return { ms: performance.now() - started, outcome: "syntax error" };
  }
}

function table(bench: KqlBench): Table {
  return {
    header: ["Input", "Characters", "Outcome", "Median", "Max", `≤ ${bench.targetMs} ms`],
    numeric: [1, 3, 4],
    rows: bench.figures.map((f) => [
      f.input,
      f.characters.toLocaleString("en-US"),
      f.outcome,
      `${f.ms.median.toFixed(1)} ms`,
      `${f.ms.max.toFixed(1)} ms`,
      f.ms.max <= bench.targetMs ? "met" : "missed",
    ]),
  };
}

/** Parse and compile time of the KQL parser on hostile inputs: no input may take it long. */
export async function benchKql(): Promise<void> {
  const loadAtStart = loadAverage1m();
  const machine = await describeMachine();
  const figures = INPUTS.map(({ name, text }): KqlFigure => {
    const runs = Array.from({ length: REPEATS }, () => measure(text));
    const ms = spread(runs.map((r) => r.ms));
    if (!ms) throw new Error(`no run of ${name}`);
    return { input: name, characters: text.length, outcome: runs[0]?.outcome ?? "parsed", ms };
  });
  const bench: KqlBench = {
    date: new Date().toISOString().slice(0, 10),
    machine,
    load1m: { start: loadAtStart, end: loadAverage1m() },
    targetMs: TARGET_MS,
    figures,
  };
  say(textTable(table(bench)));
  await writeBenchResults("kql", bench.date, bench, (jsonFile) =>
    [
      "# KQL parser on hostile inputs",
      "",
      `Parse and compile to Elasticsearch DSL, ${REPEATS} runs each (${bench.date}). ${describeMachineLine(machine, bench.load1m)} Raw figures: \`${jsonFile}\`.`,
      "",
      markdownTable(table(bench)),
      "",
    ].join("\n"),
  );
}
