import { terminalText } from "../core/printable.js";
import type { Verdict } from "../result.js";
import {
  ACCOUNTED,
  tiersMoved,
  type AlertGroup,
  type AlertMove,
  type DiffSide,
  type RunDiff,
  type ScenarioMove,
} from "./diff.js";
import { markdownText } from "./markdown.js";

/** One kind of change, as a table: the terminal and the Markdown comment show the same sections. */
interface Section {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

const VERDICT: Record<Verdict, string> = { pass: "PASS", fail: "FAIL", error: "ERROR" };

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** ["l1", "tier2", "tier2"] as "l1, tier2 ×2". */
function tiersText(tiers: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const t of tiers) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].map(([t, n]) => (n > 1 ? `${t} ×${n}` : t)).join(", ");
}

function groupText(g: AlertGroup): string {
  return `${plural(g.count, "alert")}: ${tiersText(g.tiers)}${g.reasons.length > 0 ? ` (${g.reasons.join(", ")})` : ""}`;
}

const sourceText = (m: AlertMove) => m.source || "no source";

function alertRows(
  scenarios: readonly ScenarioMove[],
  keep: (m: AlertMove) => boolean,
  cells: (m: AlertMove) => string[],
): string[][] {
  return scenarios.flatMap((s) =>
    s.alerts.filter(keep).map((m) => [s.id, m.ruleName, sourceText(m), ...cells(m)]),
  );
}

/** Alerts in both runs that moved in this way. */
const both = (moved: (before: AlertGroup, after: AlertGroup) => boolean) => (m: AlertMove) =>
  m.before !== undefined && m.after !== undefined && moved(m.before, m.after);

function changedList(before: readonly string[], after: readonly string[]): string {
  const added = after.filter((x) => !before.includes(x)).map((x) => `+${x}`);
  const removed = before.filter((x) => !after.includes(x)).map((x) => `−${x}`);
  return [...added, ...removed].join(" ");
}

function outcome(side: { passed: boolean } | undefined): string {
  return side === undefined ? "not judged" : side.passed ? "held" : "did not hold";
}

function logChange(m: ScenarioMove["logs"][number]): string {
  if (!m.before) return "accounted only after";
  if (!m.after) return "accounted only before";
  const { before, after } = m;
  return ACCOUNTED.filter((k) => before[k] !== after[k])
    .map((k) => `${k} ${before[k]} → ${after[k]}`)
    .join(", ");
}

function sections(diff: RunDiff): Section[] {
  const moved = diff.scenarios.filter((s) => s.presence === "both");
  const alertHeader = ["Scenario", "Rule", "Source"];
  const all: Section[] = [
    {
      title: "Verdicts changed",
      header: ["Scenario", "Before", "After", "Why (after)"],
      rows: moved.flatMap((s) =>
        s.verdict ? [[s.id, VERDICT[s.verdict.before], VERDICT[s.verdict.after], s.errorAfter ?? ""]] : [],
      ),
    },
    {
      title: "Alerts added",
      header: [...alertHeader, "After"],
      rows: alertRows(
        moved,
        (m) => m.change === "added",
        (m) => [m.after ? groupText(m.after) : ""],
      ),
    },
    {
      title: "Alerts removed",
      header: [...alertHeader, "Before"],
      rows: alertRows(
        moved,
        (m) => m.change === "removed",
        (m) => [m.before ? groupText(m.before) : ""],
      ),
    },
    {
      title: "Alert counts changed",
      header: [...alertHeader, "Before", "After"],
      rows: alertRows(
        moved,
        both((b, a) => b.count !== a.count),
        (m) => [String(m.before?.count), String(m.after?.count)],
      ),
    },
    {
      title: "Tiers changed",
      header: [...alertHeader, "Before", "After"],
      rows: alertRows(moved, both(tiersMoved), (m) => [
        tiersText(m.before?.tiers ?? []),
        tiersText(m.after?.tiers ?? []),
      ]),
    },
    {
      title: "Escalation reasons changed",
      header: [...alertHeader, "Reasons (+ added, − removed)"],
      rows: alertRows(
        moved,
        both((b, a) => changedList(b.reasons, a.reasons) !== ""),
        (m) => [changedList(m.before?.reasons ?? [], m.after?.reasons ?? [])],
      ),
    },
    {
      title: "Expectations changed",
      header: ["Scenario", "Expectation", "Before", "After", "Observed after"],
      rows: moved.flatMap((s) =>
        s.expectations.map((e) => [
          s.id,
          e.description,
          outcome(e.before),
          outcome(e.after),
          e.after?.observed ?? "",
        ]),
      ),
    },
    {
      title: "Log accounting changed",
      header: ["Scenario", "Source", "Change"],
      rows: moved.flatMap((s) => s.logs.map((l) => [s.id, l.source, logChange(l)])),
    },
    {
      title: "Rules loaded in one run only",
      header: ["Rule id", "Loaded"],
      rows: [
        ...diff.rules.added.map((r) => [r, "after only"]),
        ...diff.rules.removed.map((r) => [r, "before only"]),
      ],
    },
    {
      title: "Scenarios in one run only",
      header: ["Scenario", "Run", "Title"],
      rows: diff.scenarios
        .filter((s) => s.presence !== "both")
        .map((s) => [s.id, `${s.presence} only`, s.title]),
    },
  ];
  return all.filter((s) => s.rows.length > 0).map(withoutEmptyColumns);
}

/** A column no row has anything to say in (no verdict became an error) is left out. */
function withoutEmptyColumns(section: Section): Section {
  const kept = section.header.map((_, i) => section.rows.some((r) => (r[i] ?? "") !== ""));
  const keep = <T>(cells: readonly T[]) => cells.filter((_, i) => kept[i]);
  return { title: section.title, header: keep(section.header), rows: section.rows.map(keep) };
}

function headline(diff: RunDiff): string {
  const c = diff.counts;
  if (!diff.moved) return `nothing moved: ${plural(c.compared, "scenario")} compared`;
  const parts = [
    `${c.moved} of ${plural(c.compared, "scenario")} moved`,
    ...(c.onlyBefore + c.onlyAfter > 0 ? [`${c.onlyBefore + c.onlyAfter} in one run only`] : []),
    ...(diff.rules.added.length + diff.rules.removed.length > 0
      ? [`${plural(diff.rules.added.length + diff.rules.removed.length, "rule")} in one run only`]
      : []),
  ];
  return parts.join(", ");
}

function tally(diff: RunDiff): string {
  const c = diff.counts;
  return [
    plural(c.verdicts, "verdict"),
    `${plural(c.alertsAdded + c.alertsRemoved + c.alertsChanged, "alert group")} (${c.alertsAdded} added, ${c.alertsRemoved} removed, ${c.alertsChanged} changed: ${plural(c.tiers, "tier change")}, ${plural(c.reasons, "reason change")})`,
    plural(c.expectations, "expectation"),
    plural(c.logs, "log source"),
  ].join(" · ");
}

function sideText(s: DiffSide): string {
  return `${s.label} (run ${s.runId}: ${plural(s.scenarios, "scenario")}, ${plural(s.rules, "rule")})`;
}

/** The widest a column gets in the terminal; the Markdown comment and the JSON keep every character. */
const MAX_CELL = 60;

function textTable(section: Section): string {
  const rows = [section.header, ...section.rows].map((r) =>
    r.map((c) => {
      const flat = c.replace(/\s+/g, " ");
      return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
    }),
  );
  const widths = section.header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .map((line, i) => (i === 0 ? `  ${line}\n  ${widths.map((w) => "─".repeat(w)).join("  ")}` : `  ${line}`))
    .join("\n");
}

/** The terminal summary: a headline, both runs, each kind of change as a table with its count. */
export function renderDiffSummary(diff: RunDiff): string {
  const out = [
    `scanproof diff: ${headline(diff)}`,
    `  before: ${sideText(diff.before)}`,
    `  after:  ${sideText(diff.after)}`,
  ];
  for (const s of sections(diff)) out.push("", `${s.title} (${s.rows.length})`, textTable(s));
  if (diff.moved) out.push("", `moved: ${tally(diff)}`);
  return terminalText(out.join("\n"));
}

function markdownTable(section: Section): string {
  const line = (cells: readonly string[]) => `| ${cells.map(markdownText).join(" | ")} |`;
  return [
    line(section.header),
    `|${section.header.map(() => " --- |").join("")}`,
    ...section.rows.map(line),
  ].join("\n");
}

/** A pull request comment: the same sections as Markdown tables, every text from the results escaped. */
export function renderDiffMarkdown(diff: RunDiff): string {
  const out = [
    `### scanproof diff: ${markdownText(headline(diff))}`,
    "",
    `- **before:** ${markdownText(sideText(diff.before))}`,
    `- **after:** ${markdownText(sideText(diff.after))}`,
  ];
  if (diff.moved) out.push(`- **moved:** ${markdownText(tally(diff))}`);
  for (const s of sections(diff)) out.push("", `#### ${s.title} (${s.rows.length})`, "", markdownTable(s));
  return `${out.join("\n")}\n`;
}
