import type { NewTermsRule, ThresholdRule } from "./rule.js";

/**
 * The decisions of each rule type, as Kibana makes them, shared by the engine on Elasticsearch and
 * the in-memory fixture engine: only where the documents come from differs between the two.
 */

/** A distinct-value count of one cardinality clause's field in a group. */
export interface DistinctCount {
  readonly field: string;
  readonly values: number;
}

/** Each cardinality clause's distinct count in a group, in the rule's order. */
export function distinctCounts(
  rule: ThresholdRule,
  countOf: (field: string, clause: number) => number,
): DistinctCount[] {
  return rule.threshold.cardinality.map((c, i) => ({ field: c.field, values: countOf(c.field, i) }));
}

/** Threshold: a group alerts with at least `value` events and, per clause, at least its distinct values. */
export function meetsThreshold(
  rule: ThresholdRule,
  events: number,
  distinct: readonly DistinctCount[],
): boolean {
  const { value, cardinality } = rule.threshold;
  return events >= value && cardinality.every((c, i) => (distinct[i]?.values ?? 0) >= c.value);
}

/**
 * New terms: the history a window's value combinations are compared with runs from `history_window_start`
 * before the window's end up to the window's start, that start excluded.
 */
export function newTermsHistory(
  rule: NewTermsRule,
  window: { readonly gte: Date; readonly lte: Date },
): {
  readonly from: Date;
  readonly before: Date;
} {
  return { from: new Date(window.lte.getTime() - rule.newTerms.historyWindowMs), before: window.gte };
}
