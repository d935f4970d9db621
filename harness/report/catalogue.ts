import { InputError } from "../core/problems.js";
import type { AlertExpectationSpec, ScenarioSpec } from "../scenario/schema.js";
import type { Tier } from "../core/vocabulary.js";

/**
 * The scenario catalogue: a markdown table of what each scenario emulates and the outcome its own
 * `expect` block demands, so that the README claims nothing a scenario does not check.
 */

export const CATALOGUE_START = "<!-- catalogue:start -->";
export const CATALOGUE_END = "<!-- catalogue:end -->";

interface Group {
  readonly heading: string;
  readonly holds: (s: ScenarioSpec) => boolean;
}

const tagged =
  (...tags: string[]) =>
  (s: ScenarioSpec): boolean =>
    s.tags.some((t) => tags.includes(t));
const technique =
  (id: string) =>
  (s: ScenarioSpec): boolean =>
    s.technique === id;
const both =
  (a: (s: ScenarioSpec) => boolean, b: (s: ScenarioSpec) => boolean) =>
  (s: ScenarioSpec): boolean =>
    a(s) && b(s);

const BENIGN: Group = { heading: "Benign", holds: tagged("benign") };
const RULE_PACK: Group = {
  heading: "Rule pack: one scenario per family of rules",
  holds: tagged("rule-pack"),
};
const ESCALATION: Group = {
  heading: "Escalation: containment, exploits, enrichment, allow-lists",
  holds: tagged("containment", "exploit", "enrichment", "allow-list"),
};
const EVASION: Group = {
  heading: "T1595.001 — evasion",
  holds: both(technique("T1595.001"), tagged("evasion")),
};
const SWEEPS: Group = { heading: "T1595.001 — sweeps", holds: both(technique("T1595.001"), tagged("sweep")) };
const PORT_SCANS: Group = {
  heading: "T1595.001 — port scans",
  holds: both(technique("T1595.001"), tagged("port-scan")),
};
const BY_TECHNIQUE: readonly Group[] = [
  { heading: "T1595.001", holds: technique("T1595.001") },
  { heading: "T1595.002", holds: technique("T1595.002") },
  { heading: "T1595.003", holds: technique("T1595.003") },
  { heading: "T1595 — several sub-techniques, multi-stage", holds: technique("T1595") },
];

/** Which group a scenario is in: the first of these that holds for its tags and technique. */
const PRECEDENCE: readonly Group[] = [
  BENIGN,
  RULE_PACK,
  ESCALATION,
  EVASION,
  SWEEPS,
  PORT_SCANS,
  ...BY_TECHNIQUE,
];
/** The order the groups are shown in. */
const SHOWN: readonly Group[] = [SWEEPS, PORT_SCANS, EVASION, ...BY_TECHNIQUE, ESCALATION, RULE_PACK, BENIGN];

function groupOf(s: ScenarioSpec): Group {
  // The technique groups cover every technique the schema admits; a new one gets a group of its own.
  return PRECEDENCE.find((g) => g.holds(s)) ?? { heading: s.technique, holds: technique(s.technique) };
}

/** Text that cannot break out of a table cell or into HTML. */
function cell(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "\\|");
}

function code(text: string): string {
  const fence = text.includes("`") ? "``" : "`";
  const pad = fence.length > 1 ? " " : "";
  return `${fence}${pad}${text.replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ")}${pad}${fence}`;
}

/** Rule names by rule_id. */
export type RuleNames = ReadonlyMap<string, string>;

/** The names of a rule set's rules by their rule_id. */
export function ruleNamesOf(rules: readonly { readonly ruleId: string; readonly name: string }[]): RuleNames {
  return new Map(rules.map((r) => [r.ruleId, r.name]));
}

const TIER_NAMES: Readonly<Record<Tier, string>> = { suppressed: "suppressed", l1: "L1", tier2: "Tier 2" };

/** A duration in milliseconds, as a scenario writes it (500ms, 30s, 3m). */
function duration(ms: number): string {
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms > 0 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const list = (items: readonly (string | number)[]): string => items.map(String).join(", ");

function enrichment(e: NonNullable<AlertExpectationSpec["enrichment"]>): string {
  const parts = [
    ...(e.reputation ? [`reputation ${e.reputation}`] : []),
    ...(e.seen_before === undefined ? [] : [e.seen_before ? "seen before" : "never seen before"]),
    ...(e.patterns.length > 0 ? [`patterns ${e.patterns.map(code).join(", ")}`] : []),
    ...(e.cves.length > 0 ? [`CVEs ${list(e.cves)}`] : []),
    ...(e.advisories.length > 0 ? [`advisories ${list(e.advisories)}`] : []),
    ...(e.exploit_signatures.length > 0 ? [`exploit signatures ${list(e.exploit_signatures)}`] : []),
    ...(e.next_action ? [`next action ${e.next_action}`] : []),
  ];
  return parts.length > 0 ? `; enrichment: ${parts.join(", ")}` : "";
}

/** One expected alert, around its sources: alerts that differ only in `from` are shown as one line. */
function alertClaim(a: AlertExpectationSpec, names: RuleNames): { head: string; tail: string } {
  return {
    head: `${code(names.get(a.rule) ?? a.rule)}${a.count === 1 ? "" : ` ×${a.count}`}`,
    tail: [
      a.tier ? ` → **${TIER_NAMES[a.tier]}**` : "",
      a.reasons.length > 0 ? ` (${a.reasons.map(code).join(", ")})` : "",
      a.within === undefined ? "" : ` within ${duration(a.within)}`,
      a.enrichment ? enrichment(a.enrichment) : "",
    ].join(""),
  };
}

function alertLines(alerts: readonly AlertExpectationSpec[], names: RuleNames): string[] {
  const claims = new Map<string, { head: string; tail: string; from: string[] }>();
  for (const a of alerts) {
    const claim = alertClaim(a, names);
    const key = JSON.stringify([claim.head, claim.tail]);
    const seen = claims.get(key) ?? { ...claim, from: [] };
    if (!seen.from.includes(a.from)) seen.from.push(a.from);
    claims.set(key, seen);
  }
  return [...claims.values()].map(({ head, tail, from }) => {
    const who = from.length === 1 && from[0] === "attacker" ? "" : ` for ${from.map(code).join(", ")}`;
    return `${head}${who}${tail}`;
  });
}

function containment(c: NonNullable<ScenarioSpec["expect"]["containment"]>): string {
  if (!c.blocked) return `containment: ${code(c.source)} not blocked`;
  const after = [
    ...(c.denied ? ["everything it sent afterwards denied and logged"] : []),
    ...(c.ids_flagged ? ["flagged by the IDS block list"] : []),
  ];
  return `containment: ${code(c.source)} blocked at Tier 2${after.length > 0 ? `, ${after.join(", ")}` : ""}`;
}

/** The outcome a scenario's `expect` demands, one claim a line. */
export function outcomeOf(s: ScenarioSpec, names: RuleNames = new Map()): string[] {
  const e = s.expect;
  return [
    ...(e.logs.length > 0 ? [`logs complete: ${list(e.logs)}`] : []),
    ...(e.ids_signatures.length > 0 ? [`IDS signatures ${list(e.ids_signatures)}`] : []),
    ...alertLines(e.alerts, names),
    ...(e.absent.length > 0
      ? [`must not fire: ${e.absent.map((r) => code(names.get(r) ?? r)).join(", ")}`]
      : []),
    ...(e.silent ? ["**no alert**"] : []),
    ...(e.containment ? [containment(e.containment)] : []),
  ];
}

function row(s: ScenarioSpec, names: RuleNames): string {
  return `| ${code(s.id)} | ${s.technique} | ${cell(s.title)} | ${outcomeOf(s, names).join("<br>")} |`;
}

/**
 * The catalogue of scenarios as markdown: a legend, then a table grouped by technique and tags,
 * each group and each group's scenarios in a stable order. A rule an expectation names by its
 * rule_id is shown by its name when `names` knows it.
 */
export function renderCatalogue(scenarios: readonly ScenarioSpec[], names: RuleNames = new Map()): string {
  const grouped = new Map<string, ScenarioSpec[]>();
  for (const s of scenarios) {
    const heading = groupOf(s).heading;
    grouped.set(heading, [...(grouped.get(heading) ?? []), s]);
  }
  const headings = [
    ...SHOWN.map((g) => g.heading).filter((h) => grouped.has(h)),
    ...[...grouped.keys()].filter((h) => !SHOWN.some((g) => g.heading === h)).sort(),
  ];
  const rows = headings.flatMap((heading) => [
    `| **${cell(heading)}** | | | |`,
    ...[...(grouped.get(heading) ?? [])]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((s) => row(s, names)),
  ]);
  return [
    "Generated from each scenario's `expect` by `npm run catalogue`; edit the scenario, not this table.",
    "Each alert fires exactly once (×n: n times) for the attacker, or for the sources named, with the",
    "tier, every reason and the enrichment shown, searchable within the time given; no alert that is",
    "not listed may fire. A rule an expectation names by its rule_id is shown by its name.",
    "",
    "| Scenario | Technique | Emulates | Proven outcome (the scenario's `expect`) |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}

function markers(markdown: string, file: string): { start: number; end: number } {
  const start = markdown.indexOf(CATALOGUE_START);
  const end = markdown.indexOf(CATALOGUE_END);
  const once = (marker: string, at: number) => at >= 0 && markdown.indexOf(marker, at + 1) < 0;
  if (!once(CATALOGUE_START, start) || !once(CATALOGUE_END, end) || end < start)
    throw new InputError([
      {
        file,
        line: 1,
        column: 1,
        path: "",
        message: `the catalogue goes between one ${CATALOGUE_START} and one ${CATALOGUE_END} after it, each on a line of its own`,
      },
    ]);
  return { start: start + CATALOGUE_START.length, end };
}

/** What stands between the catalogue markers of a markdown file, without the newline after the start. */
export function catalogueSection(markdown: string, file: string): string {
  const { start, end } = markers(markdown, file);
  return markdown.slice(start, end).replace(/^\r?\n/, "");
}

/** The markdown with the catalogue between its markers replaced by `catalogue`. */
export function replaceCatalogue(markdown: string, catalogue: string, file: string): string {
  const { start, end } = markers(markdown, file);
  return `${markdown.slice(0, start)}\n${catalogue}${markdown.slice(end)}`;
}
