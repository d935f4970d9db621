import { overallVerdict, type RunResult, type ScenarioResult, type Verdict } from "../result.js";
import { terminalText } from "./printable.js";

const MARK: Record<Verdict, string> = { pass: "PASS", fail: "FAIL", error: "ERROR", skip: "SKIP" };

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

function logsCell(r: ScenarioResult): string {
  return (
    r.logs
      .map(
        (l) => `${l.source} ${l.indexed}/${l.sensorRecords} ev, ${l.seenEvents}/${l.expectedEvents} expected`,
      )
      .join("; ") || "—"
  );
}

function alertsCell(r: ScenarioResult): string {
  if (r.alerts.length === 0) return "none";
  return r.alerts
    .map(
      (a) =>
        `${a.ruleId} → ${a.tier}${a.reasons.length ? ` (${a.reasons.map((x) => x.code).join(", ")})` : ""}`,
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
    "Alerts → tier (reasons)",
    "Time",
  ];
  const rows = run.scenarios.map((r) => [
    r.id,
    MARK[r.verdict],
    logsCell(r),
    alertsCell(r),
    `${(r.durationMs / 1000).toFixed(1)} s`,
  ]);
  const widths = header.map((h, i) =>
    Math.min(60, Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => pad(c, widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const out = [line(header), line(widths.map((w) => "─".repeat(w))), ...rows.map(line)];
  for (const r of run.scenarios) {
    if (r.verdict === "error") out.push(`\n${r.id}: ERROR ${r.reason ?? ""}`);
    for (const e of r.expectations.filter((x) => !x.passed)) {
      out.push(`\n${r.id}: ${e.id}: ${e.description}\n  expected: ${e.expected}\n  observed: ${e.observed}`);
    }
  }
  const counts = (["pass", "fail", "error"] as const).map(
    (v) => run.scenarios.filter((s) => s.verdict === v).length,
  );
  out.push(
    `\n${MARK[overallVerdict(run.scenarios)]}: ${counts[0]} passed, ${counts[1]} failed, ${counts[2]} errored · ${run.backend} · results: ${run.resultsDir}`,
  );
  return terminalText(out.join("\n"));
}
