import { seconds } from "../harness/core/format.js";
import { verdictText } from "./lib/format.js";
import { describeMachineLine } from "./lib/machine.js";
import { spread } from "./lib/stats.js";
import { markdownTable, textTable, type Table } from "./lib/table.js";
import { SUITE_TARGET_MS, type CliRun, type SuiteBench } from "./suite.js";
import { LAB_START_TARGET_MS } from "./latency.js";

const verdicts = (run: CliRun) => {
  const count = (v: string) => run.scenarios.filter((s) => s.verdict === v).length;
  return `${count("pass")} passed, ${count("fail")} failed, ${count("error")} errored`;
};

export function suiteTable(bench: SuiteBench): Table {
  return {
    header: [
      "Command",
      "Scenarios",
      "Exit",
      "Wall time",
      "Elasticsearch start",
      "Slowest lab start",
      `Target ≤ ${SUITE_TARGET_MS / 60_000} min`,
    ],
    numeric: [2, 3, 4, 5],
    rows: bench.runs.map((r) => {
      const labStarts = spread(
        r.scenarios.flatMap((s) => (s.labStartMs === undefined ? [] : [s.labStartMs])),
      );
      return [
        `scanproof run ${r.args.map((a) => a.replace(/^.*\/scenarios\//, "scenarios/")).join(" ")}`,
        verdicts(r),
        String(r.exitCode),
        seconds(r.wallMs),
        r.elasticsearchStartMs === undefined ? "n/a" : seconds(r.elasticsearchStartMs),
        labStarts ? `${seconds(labStarts.max)} ${verdictText(labStarts.max <= LAB_START_TARGET_MS)}` : "n/a",
        r.label.startsWith("default suite") ? verdictText(r.wallMs <= SUITE_TARGET_MS) : "",
      ];
    }),
  };
}

export function scenarioTable(bench: SuiteBench): Table {
  return {
    header: ["Command", "Scenario", "Verdict", "Duration", "Lab start"],
    numeric: [3, 4],
    rows: bench.runs.flatMap((r) =>
      r.scenarios.map((s) => [
        r.label,
        s.id,
        s.verdict,
        seconds(s.durationMs),
        s.labStartMs === undefined ? "n/a" : seconds(s.labStartMs),
      ]),
    ),
  };
}

export function renderSuiteText(bench: SuiteBench): string {
  return [
    textTable(suiteTable(bench)),
    "",
    textTable(scenarioTable(bench)),
    ...(bench.parallelSkipped ? [`parallel not measured: ${bench.parallelSkipped}`] : []),
  ].join("\n");
}

export function renderSuiteMarkdown(bench: SuiteBench, jsonFile: string): string {
  return [
    `# One scenario and the default suite, ${bench.date}`,
    "",
    `${describeMachineLine(bench.machine, bench.load1m)} Raw figures: \`${jsonFile}\`.`,
    "",
    "Each command is `node bin/scanproof.js run …` from this checkout, as a user runs it, with images",
    "already built: wall time covers Node's start, the set-up check, starting Elasticsearch, every",
    "scenario (lab start, steps, ingest, detection, teardown) and writing the reports. *Lab start* is",
    "networks, hosts, overlay, sensors and shipper until ready (target ≤ 10 s).",
    ...(bench.parallelSkipped ? ["", `The parallel suite was not measured: ${bench.parallelSkipped}.`] : []),
    "",
    markdownTable(suiteTable(bench)),
    "",
    markdownTable(scenarioTable(bench)),
    "",
  ].join("\n");
}
