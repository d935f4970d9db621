import type { LogSourceReport } from "../logs/accounting.js";
import type { AlertSummary, ExpectationResult, RunResult, ScenarioResult, Verdict } from "../result.js";
import type { LogSourceName, Tier } from "../core/vocabulary.js";
import { compareCodePoints } from "./json.js";

/** One run as a diff names it: where its results came from and what it held. */
export interface DiffSide {
  readonly label: string;
  readonly runId: string;
  readonly scenarios: number;
  readonly rules: number;
}

/** The alerts of one rule from one source in one scenario of one run. */
export interface AlertGroup {
  readonly count: number;
  /** Each alert's tier, sorted: ["l1", "tier2", "tier2"] is three alerts. */
  readonly tiers: readonly Tier[];
  /** Every reason code any of them was given, sorted. */
  readonly reasons: readonly string[];
}

/** Alerts of one rule from one source that fired in one run only, or differently in the two. */
export interface AlertMove {
  readonly ruleId: string;
  readonly ruleName: string;
  /** The alert's source.ip; "" for alerts grouped without one. */
  readonly source: string;
  readonly change: "added" | "removed" | "changed";
  readonly before?: AlertGroup;
  readonly after?: AlertGroup;
}

export interface ExpectationSide {
  readonly passed: boolean;
  readonly observed: string;
}

/** An expectation whose outcome differs, or that only one run judged. */
export interface ExpectationMove {
  readonly id: string;
  readonly description: string;
  readonly before?: ExpectationSide;
  readonly after?: ExpectationSide;
}

/** The counts of a log source's accounting compared; ingest waits are timings and are not. */
export const ACCOUNTED = [
  "sensorRecords",
  "indexed",
  "parseFailures",
  "expectedEvents",
  "seenEvents",
] as const;
type Accounted = (typeof ACCOUNTED)[number];

/** A log source whose accounting differs, or that only one run accounted. */
export interface LogMove {
  readonly source: LogSourceName;
  readonly before?: Readonly<Record<Accounted, number>>;
  readonly after?: Readonly<Record<Accounted, number>>;
}

/** Everything that moved in one scenario; a scenario in which nothing moved has no entry. */
export interface ScenarioMove {
  readonly id: string;
  readonly title: string;
  /** In both runs, or only in the one named. */
  readonly presence: "both" | "before" | "after";
  readonly verdict?: { readonly before: Verdict; readonly after: Verdict };
  /** Why the scenario errored in the run after, when it did and did not before. */
  readonly errorAfter?: string;
  readonly alerts: readonly AlertMove[];
  readonly expectations: readonly ExpectationMove[];
  readonly logs: readonly LogMove[];
}

export interface DiffCounts {
  /** Scenarios in both runs, compared. */
  readonly compared: number;
  readonly moved: number;
  readonly onlyBefore: number;
  readonly onlyAfter: number;
  readonly verdicts: number;
  readonly alertsAdded: number;
  readonly alertsRemoved: number;
  /** Alert groups in both runs whose count, tiers or reasons differ. */
  readonly alertsChanged: number;
  readonly tiers: number;
  readonly reasons: number;
  readonly expectations: number;
  readonly logs: number;
}

/**
 * What moved between two runs. Each kind of result is its own keyed section (`scenarios` now), so
 * that results of another kind — an envelope's boundaries — can be compared in a section of their
 * own without changing this one.
 */
export interface RunDiff {
  readonly diffVersion: 1;
  readonly before: DiffSide;
  readonly after: DiffSide;
  readonly moved: boolean;
  readonly counts: DiffCounts;
  /** Rule ids loaded in one run only. */
  readonly rules: { readonly added: readonly string[]; readonly removed: readonly string[] };
  readonly scenarios: readonly ScenarioMove[];
}

function sortedBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => compareCodePoints(key(a), key(b)));
}

function alertGroups(alerts: readonly AlertSummary[]): Map<string, { ruleName: string; group: AlertGroup }> {
  const groups = new Map<string, { ruleName: string; alerts: AlertSummary[] }>();
  for (const a of alerts) {
    const key = JSON.stringify([a.ruleId, a.source ?? ""]);
    const group = groups.get(key) ?? { ruleName: a.ruleName, alerts: [] };
    group.alerts.push(a);
    groups.set(key, group);
  }
  return new Map(
    [...groups].map(([key, g]) => [
      key,
      {
        ruleName: g.ruleName,
        group: {
          count: g.alerts.length,
          tiers: g.alerts.map((a) => a.tier).sort(compareCodePoints),
          reasons: [...new Set(g.alerts.flatMap((a) => a.reasons.map((r) => r.code)))].sort(
            compareCodePoints,
          ),
        },
      },
    ]),
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The alerts were escalated differently: another set of tiers, or as many alerts with other tiers. One
 * more alert at the same tier is a count change only.
 */
export function tiersMoved(before: AlertGroup, after: AlertGroup): boolean {
  const distinct = (g: AlertGroup) => [...new Set(g.tiers)];
  if (!sameList(distinct(before), distinct(after))) return true;
  return before.count === after.count && !sameList(before.tiers, after.tiers);
}

function alertMoves(before: readonly AlertSummary[], after: readonly AlertSummary[]): AlertMove[] {
  const was = alertGroups(before);
  const is = alertGroups(after);
  const moves: AlertMove[] = [];
  for (const key of new Set([...was.keys(), ...is.keys()])) {
    const [ruleId = "", source = ""] = JSON.parse(key) as [string, string];
    const b = was.get(key);
    const a = is.get(key);
    const ruleName = a?.ruleName ?? b?.ruleName ?? ruleId;
    if (b && a) {
      const same =
        b.group.count === a.group.count &&
        sameList(b.group.tiers, a.group.tiers) &&
        sameList(b.group.reasons, a.group.reasons);
      if (!same) moves.push({ ruleId, ruleName, source, change: "changed", before: b.group, after: a.group });
    } else if (a) moves.push({ ruleId, ruleName, source, change: "added", after: a.group });
    else if (b) moves.push({ ruleId, ruleName, source, change: "removed", before: b.group });
  }
  return sortedBy(moves, (m) => `${m.ruleName}\n${m.source}`);
}

function expectationSide(e: ExpectationResult | undefined): ExpectationSide | undefined {
  return e && { passed: e.passed, observed: e.observed };
}

function expectationMoves(
  before: readonly ExpectationResult[],
  after: readonly ExpectationResult[],
): ExpectationMove[] {
  const was = new Map(before.map((e) => [e.id, e]));
  const is = new Map(after.map((e) => [e.id, e]));
  const moves: ExpectationMove[] = [];
  for (const id of new Set([...was.keys(), ...is.keys()])) {
    const b = was.get(id);
    const a = is.get(id);
    if (b && a && b.passed === a.passed) continue;
    const beforeSide = expectationSide(b);
    const afterSide = expectationSide(a);
    moves.push({
      id,
      description: (a ?? b)?.description ?? id,
      ...(beforeSide ? { before: beforeSide } : {}),
      ...(afterSide ? { after: afterSide } : {}),
    });
  }
  return sortedBy(moves, (m) => m.id);
}

function accounted(r: LogSourceReport): Record<Accounted, number> {
  return Object.fromEntries(ACCOUNTED.map((k) => [k, r[k]])) as Record<Accounted, number>;
}

function logMoves(before: readonly LogSourceReport[], after: readonly LogSourceReport[]): LogMove[] {
  const was = new Map(before.map((r) => [r.source, r]));
  const is = new Map(after.map((r) => [r.source, r]));
  const moves: LogMove[] = [];
  for (const source of new Set([...was.keys(), ...is.keys()])) {
    const b = was.get(source);
    const a = is.get(source);
    if (b && a && ACCOUNTED.every((k) => b[k] === a[k])) continue;
    moves.push({
      source,
      ...(b ? { before: accounted(b) } : {}),
      ...(a ? { after: accounted(a) } : {}),
    });
  }
  return sortedBy(moves, (m) => m.source);
}

function scenarioMove(before: ScenarioResult, after: ScenarioResult): ScenarioMove | undefined {
  const alerts = alertMoves(before.alerts, after.alerts);
  const expectations = expectationMoves(before.expectations, after.expectations);
  const logs = logMoves(before.logs, after.logs);
  const verdictMoved = before.verdict !== after.verdict;
  if (!verdictMoved && alerts.length + expectations.length + logs.length === 0) return undefined;
  const errorAfter = verdictMoved && after.verdict === "error" ? after.reason : undefined;
  return {
    id: after.id,
    title: after.title,
    presence: "both",
    ...(verdictMoved ? { verdict: { before: before.verdict, after: after.verdict } } : {}),
    ...(errorAfter !== undefined ? { errorAfter } : {}),
    alerts,
    expectations,
    logs,
  };
}

function onlyIn(presence: "before" | "after", s: ScenarioResult): ScenarioMove {
  return { id: s.id, title: s.title, presence, alerts: [], expectations: [], logs: [] };
}

function side(label: string, run: RunResult): DiffSide {
  return { label, runId: run.runId, scenarios: run.scenarios.length, rules: run.rules.loaded.length };
}

function countMoves(compared: number, scenarios: readonly ScenarioMove[]): DiffCounts {
  const alerts = scenarios.flatMap((s) => s.alerts);
  const changed = alerts.flatMap((a) => (a.before && a.after ? [{ before: a.before, after: a.after }] : []));
  const count = (predicate: (s: ScenarioMove) => boolean) => scenarios.filter(predicate).length;
  return {
    compared,
    moved: count((s) => s.presence === "both"),
    onlyBefore: count((s) => s.presence === "before"),
    onlyAfter: count((s) => s.presence === "after"),
    verdicts: count((s) => s.verdict !== undefined),
    alertsAdded: alerts.filter((a) => a.change === "added").length,
    alertsRemoved: alerts.filter((a) => a.change === "removed").length,
    alertsChanged: changed.length,
    tiers: changed.filter((c) => tiersMoved(c.before, c.after)).length,
    reasons: changed.filter((c) => !sameList(c.before.reasons, c.after.reasons)).length,
    expectations: scenarios.reduce((n, s) => n + s.expectations.length, 0),
    logs: scenarios.reduce((n, s) => n + s.logs.length, 0),
  };
}

/**
 * What moved from one run to another, scenario by scenario (matched by id): verdicts, alerts by
 * rule and source with their tiers and escalation reasons, the expectations that explain a verdict,
 * and each log source's accounting. Durations and times to alert are measurements, not outcomes,
 * and are not compared.
 */
export function diffRuns(
  before: { readonly label: string; readonly run: RunResult },
  after: { readonly label: string; readonly run: RunResult },
): RunDiff {
  const was = new Map(before.run.scenarios.map((s) => [s.id, s]));
  const is = new Map(after.run.scenarios.map((s) => [s.id, s]));
  const moves: ScenarioMove[] = [];
  let compared = 0;
  for (const [id, b] of was) {
    const a = is.get(id);
    if (!a) {
      moves.push(onlyIn("before", b));
      continue;
    }
    compared += 1;
    const move = scenarioMove(b, a);
    if (move) moves.push(move);
  }
  for (const [id, a] of is) if (!was.has(id)) moves.push(onlyIn("after", a));
  const scenarios = sortedBy(moves, (m) => m.id);
  const loadedBefore = new Set(before.run.rules.loaded);
  const loadedAfter = new Set(after.run.rules.loaded);
  const rules = {
    added: [...loadedAfter].filter((r) => !loadedBefore.has(r)).sort(compareCodePoints),
    removed: [...loadedBefore].filter((r) => !loadedAfter.has(r)).sort(compareCodePoints),
  };
  return {
    diffVersion: 1,
    before: side(before.label, before.run),
    after: side(after.label, after.run),
    moved: scenarios.length + rules.added.length + rules.removed.length > 0,
    counts: countMoves(compared, scenarios),
    rules,
    scenarios,
  };
}

export function renderDiffJson(diff: RunDiff): string {
  return `${JSON.stringify(diff, null, 2)}\n`;
}
