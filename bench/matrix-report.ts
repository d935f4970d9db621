import { describeMachineLine } from "./lib/machine.js";
import { markdownTable, textTable, type Table } from "./lib/table.js";
import { CONTENDER_TITLES, CONTENDERS, type Detection, type MatrixRow } from "./matrix-figures.js";
import type { MatrixBench } from "./matrix.js";

function cell(row: MatrixRow, d: Detection): string {
  if (row.verdict === "error") return "error";
  if (row.benign) return d.detected ? "✖ false positive" : "✔ silent";
  if (!d.detected) return "✖ missed";
  return d.ratioToScanproof === undefined ? "✔" : `✔ ${ratioText(d.ratioToScanproof)}`;
}

/** Two significant digits below 1 (0.0042×), two decimals above; under 0.001× as such. */
function ratioText(ratio: number): string {
  if (ratio < 0.001) return "< 0.001×";
  return `${ratio < 1 ? ratio.toPrecision(2) : ratio.toFixed(2)}×`;
}

export function matrixTable(bench: MatrixBench): Table {
  return {
    header: ["Scenario", "Kind", ...CONTENDERS.map((c) => CONTENDER_TITLES[c])],
    rows: bench.rows.map((r) => [
      r.scenario,
      r.benign ? "benign" : r.technique,
      ...CONTENDERS.map((c) => cell(r, r.detections[c])),
    ]),
  };
}

export function summaryTable(bench: MatrixBench): Table {
  return {
    header: [
      "Contender",
      "Attacks detected",
      "False positives on benign",
      "Median time to detect vs scanproof",
    ],
    rows: bench.summary.map((s) => [
      CONTENDER_TITLES[s.contender],
      `${s.attacksDetected} / ${s.attacks}`,
      `${s.falsePositives} / ${s.benign}`,
      s.medianRatio === undefined ? "n/a" : ratioText(s.medianRatio),
    ]),
  };
}

function evidenceLines(bench: MatrixBench): string[] {
  return bench.rows.flatMap((r) =>
    CONTENDERS.flatMap((c) => {
      const d = r.detections[c];
      return d.evidence.length > 0
        ? [`- ${r.scenario}, ${c}: ${d.evidence.map((e) => `\`${e}\``).join("; ")}`]
        : [];
    }),
  );
}

export function renderMatrixText(bench: MatrixBench): string {
  return [textTable(matrixTable(bench)), "", textTable(summaryTable(bench))].join("\n");
}

export function renderMatrixMarkdown(bench: MatrixBench, jsonFile: string): string {
  const errors = bench.rows.filter((r) => r.verdict === "error");
  return [
    `# Detection matrix, ${bench.date}`,
    "",
    `${describeMachineLine(bench.machine, bench.load1m)} Backend: ${bench.backend}. Raw figures: \`${jsonFile}\`.`,
    "",
    "One run over the whole scenario library. Every scenario's lab also ran NetFlow (which Elastic's",
    "rules read), psad and scanlogd, so all four contenders saw the same traffic: scanproof's rule pack",
    `(${bench.rules.scanproof.length} rules) and the Elastic prebuilt scan rules reproduced in Elastic's format`,
    `(${bench.rules.elastic.length} rules, \`test/fixtures/rules/elastic/\`) both run by scanproof's engine; psad`,
    "(Debian 2.4.6, fed iptables-format LOG lines of every inbound packet outside an established",
    "connection) and scanlogd (Debian 2.2.8, on each target) with their shipped thresholds.",
    "",
    "Time to detect runs from the first step's start until the first alert was searchable (rules) or",
    "the detector's report reached its log (psad, scanlogd); cells show it as a ratio to scanproof's",
    "(below 1× is faster than scanproof). Benign scenarios (`silent: true`, tagged `benign`, or an",
    "allow-listed scanner's, whose every expected alert is suppressed) count false positives; an alert",
    "scanproof's escalation suppressed is none, while psad and scanlogd run with their shipped",
    "configuration and know no allow-list.",
    "",
    markdownTable(matrixTable(bench)),
    "",
    markdownTable(summaryTable(bench)),
    "",
    ...(errors.length > 0
      ? [
          "Errored scenarios (not counted):",
          "",
          ...errors.map((r) => `- ${r.scenario}: ${r.reason ?? ""}`),
          "",
        ]
      : []),
    "Evidence (rule ids fired; first detector lines):",
    "",
    ...evidenceLines(bench),
    "",
  ].join("\n");
}
