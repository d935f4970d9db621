import { seconds } from "../core/format.js";
import { overallVerdict, type RunResult, type ScenarioResult, type Verdict } from "../result.js";
import { terminalText } from "../core/printable.js";
import { wireFindings } from "../scanners/ground-truth.js";

const MARK: Record<Verdict, string> = { pass: "PASS", fail: "FAIL", error: "ERROR" };

/** Pads to the column's width, or cuts the text there with an ellipsis; the details follow the table. */
function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text + " ".repeat(width - text.length);
}

function logsCell(r: ScenarioResult): string {
  return (
    r.logs
      .filter((l) => l.sensorRecords > 0 || l.expectedEvents > 0)
      .map(
        (l) => `${l.source} ${l.indexed}/${l.sensorRecords} ev, ${l.seenEvents}/${l.expectedEvents} expected`,
      )
      .join("; ") || "—"
  );
}

/** The widest each column gets (scenario, verdict, logs, alerts, time); longer cells are cut. */
const MAX_WIDTHS = [40, 7, 60, 80, 10];

/** Alerts of one rule at one tier are one entry, counted, with every reason any of them gave. */
function alertsCell(r: ScenarioResult): string {
  if (r.alerts.length === 0) return "none";
  const groups = new Map<string, { name: string; tier: string; count: number; reasons: Set<string> }>();
  for (const a of r.alerts) {
    const key = `${a.ruleId}\n${a.tier}`;
    const group = groups.get(key) ?? { name: a.ruleName, tier: a.tier, count: 0, reasons: new Set<string>() };
    group.count += 1;
    for (const reason of a.reasons) group.reasons.add(reason.code);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map(
      (g) =>
        `${g.tier}${g.count > 1 ? ` ×${g.count}` : ""}: ${g.name}${g.reasons.size ? ` (${[...g.reasons].join(", ")})` : ""}`,
    )
    .join("; ");
}

/**
 * The verdict table, then every failed expectation and error with expected versus observed; text
 * from the lab (paths, User-Agents, tool output) cannot move the cursor or recolour the terminal.
 */
export function renderSummary(run: RunResult): string {
  const header = [
    "Scenario",
    "Verdict",
    "Logs (indexed/written, expected events seen)",
    "Alerts: tier rule (reasons)",
    "Time",
  ];
  const rows = run.scenarios.map((r) => [
    r.id,
    MARK[r.verdict],
    logsCell(r),
    alertsCell(r),
    seconds(r.durationMs),
  ]);
  const widths = header.map((h, i) =>
    Math.min(MAX_WIDTHS[i] ?? 60, Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => fit(c, widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const out = [line(header), line(widths.map((w) => "─".repeat(w))), ...rows.map(line)];
  for (const r of run.scenarios) {
    if (r.verdict === "error") out.push(`\n${r.id}: ERROR ${r.reason ?? ""}`);
    for (const e of r.expectations.filter((x) => !x.passed)) {
      out.push(`\n${r.id}: ${e.id}: ${e.description}\n  expected: ${e.expected}\n  observed: ${e.observed}`);
    }
    const findings = r.groundTruth.flatMap(wireFindings);
    if (findings.length > 0) out.push(`\n${r.id}: on the wire:\n${findings.map((f) => `  ${f}`).join("\n")}`);
  }
  const counts = (["pass", "fail", "error"] as const).map(
    (v) => run.scenarios.filter((s) => s.verdict === v).length,
  );
  out.push(
    `\n${MARK[overallVerdict(run.scenarios)]}: ${counts[0]} passed, ${counts[1]} failed, ${counts[2]} errored · ${run.backend} · results: ${run.resultsDir}`,
  );
  return terminalText(out.join("\n"));
}
