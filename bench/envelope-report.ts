import { renderEnvelopeMarkdown } from "../harness/report/envelope-table.js";
import type { EnvelopeBench, EnvelopeRun } from "./envelope.js";
import { describeMachineLine } from "./lib/machine.js";
import { markdownTable, textTable, type Table } from "./lib/table.js";

function minutes(ms: number): string {
  return `${(ms / 60_000).toFixed(1)} min`;
}

function runRow(what: string, run: EnvelopeRun, goalMs: number): string[] {
  const points = run.result.dimensions.reduce((n, d) => n + d.points.length, 0);
  return [
    what,
    String(run.result.contenders.length),
    String(points),
    ...run.result.dimensions.map((d) => minutes(d.durationMs)),
    minutes(run.durationMs),
    `≤ ${minutes(goalMs)}`,
    run.durationMs <= goalMs ? "met" : "MISSED",
  ];
}

function budgetTable(bench: EnvelopeBench): Table {
  return {
    header: [
      "Envelope",
      "Contenders",
      "Points",
      ...bench.pack.result.dimensions.map((d) => d.name),
      "Whole run",
      "Goal",
      "",
    ],
    numeric: [1, 2],
    rows: [
      runRow("scanproof's pack + Elastic's rules + psad + scanlogd", bench.pack, bench.goals.packMs),
      runRow("one rule of the pack", bench.rule, bench.goals.ruleMs),
    ],
  };
}

function notes(bench: EnvelopeBench): string[] {
  return [
    `${describeMachineLine(bench.machine, bench.load1m)} The machine was shared with two other engineers' lab work while it ran.`,
    `Elasticsearch started once for both runs in ${(bench.backendStartMs / 1000).toFixed(0)} s, not counted above; each run counts its own lab's start and teardown.`,
    `Isolation: ${bench.pack.result.isolation}`,
  ];
}

export function renderEnvelopeBenchText(bench: EnvelopeBench): string {
  return [textTable(budgetTable(bench)), "", ...notes(bench)].join("\n");
}

export function renderEnvelopeBenchMarkdown(bench: EnvelopeBench, jsonFile: string): string {
  return [
    "# Detection envelope",
    "",
    `\`npm run bench -- envelope\`, ${bench.date}; every figure in \`${jsonFile}\`, the pack's envelope and charts in \`bench/results/envelope/\`.`,
    "",
    "## Budgets",
    "",
    markdownTable(budgetTable(bench)),
    "",
    ...notes(bench).map((n) => `- ${n}`),
    "",
    "## The pack's envelope beside Elastic's rules, psad and scanlogd",
    "",
    renderEnvelopeMarkdown(bench.pack.result),
    "",
    ...bench.pack.result.dimensions.map((d) => `![${d.title}](envelope/envelope-${d.name}.svg)`),
    "",
  ].join("\n");
}
