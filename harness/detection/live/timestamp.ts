import type { estypes } from "@elastic/elasticsearch";
import type { Rule } from "../rules/rule.js";

type TimeRule = Pick<Rule, "timestampField" | "timestampFallback">;
type Bounds = { readonly gte?: Date; readonly lt?: Date; readonly lte?: Date };

const DEFAULT_TIMESTAMP = "@timestamp";

function rangeOn(field: string, bounds: Bounds): estypes.QueryDslQueryContainer {
  const iso = (d: Date | undefined): string | undefined => d?.toISOString();
  const range = Object.fromEntries(
    Object.entries({ gte: iso(bounds.gte), lt: iso(bounds.lt), lte: iso(bounds.lte) }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  return { range: { [field]: { ...range, format: "strict_date_optional_time" } } };
}

/**
 * Events whose time lies within the bounds. With a timestamp override and Kibana's fallback, an
 * event without the override field is placed by `@timestamp`.
 */
export function timeRange(rule: TimeRule, bounds: Bounds): estypes.QueryDslQueryContainer {
  const primary = rangeOn(rule.timestampField, bounds);
  if (!rule.timestampFallback) return primary;
  return {
    bool: {
      should: [
        primary,
        {
          bool: {
            filter: [rangeOn(DEFAULT_TIMESTAMP, bounds)],
            must_not: [{ exists: { field: rule.timestampField } }],
          },
        },
      ],
      minimum_should_match: 1,
    },
  };
}

/** Oldest event first, by the override and then (for events without it) by `@timestamp`. */
export function timeSort(rule: TimeRule): estypes.SortCombinations[] {
  const on = (field: string): estypes.SortCombinations => ({
    [field]: { order: "asc", unmapped_type: "date", missing: "_last" },
  });
  return rule.timestampFallback
    ? [on(rule.timestampField), on(DEFAULT_TIMESTAMP)]
    : [on(rule.timestampField)];
}

/** The fields a hit must return for `timeOfHit`. */
export function timeFields(rule: TimeRule): string[] {
  return rule.timestampFallback ? [rule.timestampField, DEFAULT_TIMESTAMP] : [rule.timestampField];
}

export function timeOfHit(rule: TimeRule, fields: Record<string, unknown> | undefined): string {
  for (const field of timeFields(rule)) {
    const value = (fields?.[field] as unknown[] | undefined)?.[0];
    if (typeof value === "string" || typeof value === "number") return new Date(value).toISOString();
  }
  return "";
}

/** Aggregations of the first and last event time; read them back with `readTimeBounds`. */
export function timeBoundsAggs(rule: TimeRule): Record<string, estypes.AggregationsAggregationContainer> {
  const bounds = (field: string): Record<string, estypes.AggregationsAggregationContainer> => ({
    first_seen: { min: { field } },
    last_seen: { max: { field } },
  });
  if (!rule.timestampFallback) return bounds(rule.timestampField);
  return {
    ...bounds(rule.timestampField),
    without_override: {
      filter: { bool: { must_not: [{ exists: { field: rule.timestampField } }] } },
      aggs: bounds(DEFAULT_TIMESTAMP),
    },
  };
}

interface BoundsAggregate {
  first_seen?: estypes.AggregationsMinAggregate;
  last_seen?: estypes.AggregationsMaxAggregate;
  without_override?: {
    first_seen?: estypes.AggregationsMinAggregate;
    last_seen?: estypes.AggregationsMaxAggregate;
  };
}

export function readTimeBounds(aggregate: unknown): { firstSeen: string; lastSeen: string } {
  const a = aggregate as BoundsAggregate;
  const values = (pick: (b: BoundsAggregate) => { value?: number | null } | undefined): number[] =>
    [pick(a)?.value, a.without_override && pick(a.without_override)?.value].filter(
      (v): v is number => typeof v === "number",
    );
  const first = values((b) => b.first_seen);
  const last = values((b) => b.last_seen);
  const iso = (v: number | undefined): string => (v === undefined ? "" : new Date(v).toISOString());
  return {
    firstSeen: iso(first.length ? Math.min(...first) : undefined),
    lastSeen: iso(last.length ? Math.max(...last) : undefined),
  };
}
