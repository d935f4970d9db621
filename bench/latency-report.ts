import { seconds } from "../harness/core/format.js";
import { ALERT_TARGET_P95_MS, LAB_START_TARGET_MS, type LatencyBench } from "./latency.js";
import { verdictText } from "./lib/format.js";
import { describeMachineLine } from "./lib/machine.js";
import { markdownTable, textTable, type Table } from "./lib/table.js";

export function latencyTable(bench: LatencyBench): Table {
  return {
    header: [
      "Rule",
      "Scenarios",
      "Runs",
      "Missed",
      "Median",
      "p95",
      "Max",
      `Target p95 ≤ ${seconds(ALERT_TARGET_P95_MS)}`,
    ],
    numeric: [2, 3, 4, 5, 6],
    rows: bench.rules.map((r) => [
      r.ruleName,
      r.scenarios.join(", "),
      String(r.runs),
      String(r.missed),
      r.latency ? seconds(r.latency.median) : "n/a",
      r.latency ? seconds(r.latency.p95) : "n/a",
      r.latency ? seconds(r.latency.max) : "n/a",
      verdictText(r.missed === 0 && r.latency !== undefined && r.latency.p95 <= ALERT_TARGET_P95_MS),
    ]),
  };
}

export function labStartTable(bench: LatencyBench): Table {
  const s = bench.labStart;
  return {
    header: ["Lab starts", "Median", "p95", "Max", `Target ≤ ${seconds(LAB_START_TARGET_MS)}`],
    numeric: [0, 1, 2, 3],
    rows: s
      ? [
          [
            String(s.n),
            seconds(s.median),
            seconds(s.p95),
            seconds(s.max),
            verdictText(s.max <= LAB_START_TARGET_MS),
          ],
        ]
      : [],
  };
}

export function renderLatencyText(bench: LatencyBench): string {
  return [
    textTable(latencyTable(bench)),
    "",
    textTable(labStartTable(bench)),
    ...bench.errors.map((e) => `error: ${e}`),
  ].join("\n");
}

export function renderLatencyMarkdown(bench: LatencyBench, jsonFile: string): string {
  return [
    `# Detection latency, ${bench.date}`,
    "",
    `${describeMachineLine(bench.machine, bench.load1m)} Backend: ${bench.backend}. Raw figures: \`${jsonFile}\`.`,
    "",
    `For each rule, the simplest library scenario (fewest sensors, then steps) that expects its alert ran ${bench.repeats} times on one`,
    "Elasticsearch, each run under its own id. *Latency* runs from the end of the scenario's last step (the scanner's own end",
    "time) until a search of `scanproof-alerts` — polled every 250 ms by the bench, without forcing a",
    "refresh — first found the rule's alert for that run. It includes the harness waiting for every",
    "expected event to be indexed before it evaluates rules. *Missed*: runs whose alert never appeared.",
    "",
    markdownTable(latencyTable(bench)),
    "",
    "Lab start to ready (networks, hosts, overlay, sensors, shipper) over the same runs:",
    "",
    markdownTable(labStartTable(bench)),
    "",
    ...(bench.errors.length > 0 ? ["Errored runs:", "", ...bench.errors.map((e) => `- ${e}`), ""] : []),
  ].join("\n");
}
