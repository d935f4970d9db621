import { createHash } from "node:crypto";
import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../backend/backend.js";
import type { QueryRule, Rule, ThresholdRule } from "./rule.js";

/** What a rule found, before escalation: the group it fired for and the evidence counts. */
export interface Detection {
  /** Stable for one rule, group and scope: writing it twice never makes two alerts. */
  readonly id: string;
  readonly rule: Rule;
  readonly group: Readonly<Record<string, string>>;
  readonly evidence: {
    readonly events: number;
    readonly distinct: readonly { readonly field: string; readonly values: number }[];
    readonly firstSeen: string;
    readonly lastSeen: string;
  };
  readonly window: { readonly gte: string; readonly lte: string };
}

export interface EvaluationOptions {
  /** The end of the look-back window. */
  readonly now: Date;
  /** Extra filters that confine the rule to one scenario's events. */
  readonly scope: readonly estypes.QueryDslQueryContainer[];
  /** Part of each detection's id: the same rule and group in another scope is another alert. */
  readonly scopeKey: string;
}

/** Cardinality is exact up to this many distinct values (Elasticsearch's maximum). */
const PRECISION_THRESHOLD = 40_000;

export function evaluateRule(backend: Backend, rule: Rule, options: EvaluationOptions): Promise<Detection[]> {
  return rule.type === "threshold"
    ? evaluateThreshold(backend, rule, options)
    : evaluateQuery(backend, rule, options);
}

function windowOf(rule: Rule, now: Date): { gte: string; lte: string } {
  return { gte: new Date(now.getTime() - rule.lookbackMs).toISOString(), lte: now.toISOString() };
}

function baseQuery(rule: Rule, options: EvaluationOptions): estypes.QueryDslQueryContainer {
  const window = windowOf(rule, options.now);
  return {
    bool: {
      filter: [
        rule.filter,
        { range: { [rule.timestampField]: { gte: window.gte, lte: window.lte } } },
        ...options.scope,
      ],
    },
  };
}

function detectionId(rule: Rule, group: Record<string, string>, scopeKey: string): string {
  return createHash("sha256")
    .update(JSON.stringify([rule.ruleId, scopeKey, Object.entries(group).sort()]))
    .digest("hex")
    .slice(0, 32);
}

interface GroupMetrics {
  doc_count: number;
  first_seen: estypes.AggregationsMinAggregate;
  last_seen: estypes.AggregationsMaxAggregate;
  [cardinality: `distinct_${number}`]: estypes.AggregationsCardinalityAggregate;
}

/**
 * Kibana's threshold semantics: group the window's matching events by the threshold fields; a
 * group alerts when it has at least `value` events and, for each cardinality clause, at least
 * that many distinct values of its field.
 */
async function evaluateThreshold(
  backend: Backend,
  rule: ThresholdRule,
  options: EvaluationOptions,
): Promise<Detection[]> {
  const { fields, value, cardinality } = rule.threshold;
  const metrics: Record<string, estypes.AggregationsAggregationContainer> = {
    first_seen: { min: { field: rule.timestampField } },
    last_seen: { max: { field: rule.timestampField } },
  };
  cardinality.forEach((c, i) => {
    metrics[`distinct_${i}`] = { cardinality: { field: c.field, precision_threshold: PRECISION_THRESHOLD } };
  });
  const groups: { key: Record<string, string>; metrics: GroupMetrics }[] = [];
  if (fields.length === 0) {
    const response = await backend.client.search({
      index: [...rule.index],
      size: 0,
      track_total_hits: true,
      query: baseQuery(rule, options),
      aggs: metrics,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    const total =
      typeof response.hits.total === "number" ? response.hits.total : (response.hits.total?.value ?? 0);
    groups.push({
      key: {},
      metrics: { ...(response.aggregations as unknown as GroupMetrics), doc_count: total },
    });
  } else {
    let after: Record<string, estypes.FieldValue> | undefined;
    do {
      const response = await backend.client.search({
        index: [...rule.index],
        size: 0,
        ignore_unavailable: true,
        allow_no_indices: true,
        query: baseQuery(rule, options),
        aggs: {
          groups: {
            composite: {
              size: 1000,
              sources: fields.map((f) => ({ [f]: { terms: { field: f } } })),
              ...(after ? { after } : {}),
            },
            aggs: metrics,
          },
        },
      });
      const agg = response.aggregations?.groups as estypes.AggregationsCompositeAggregate | undefined;
      const buckets = (agg?.buckets ?? []) as estypes.AggregationsCompositeBucket[];
      for (const bucket of buckets) {
        groups.push({
          key: Object.fromEntries(Object.entries(bucket.key).map(([k, v]) => [k, String(v)])),
          metrics: bucket as unknown as GroupMetrics,
        });
      }
      after = buckets.length > 0 ? agg?.after_key : undefined;
    } while (after);
  }
  const window = windowOf(rule, options.now);
  return groups
    .filter(
      (g) =>
        g.metrics.doc_count >= value &&
        cardinality.every((c, i) => (g.metrics[`distinct_${i}`]?.value ?? 0) >= c.value),
    )
    .slice(0, rule.maxSignals)
    .map((g) => ({
      id: detectionId(rule, g.key, options.scopeKey),
      rule,
      group: g.key,
      evidence: {
        events: g.metrics.doc_count,
        distinct: cardinality.map((c, i) => ({
          field: c.field,
          values: g.metrics[`distinct_${i}`]?.value ?? 0,
        })),
        firstSeen:
          g.metrics.first_seen.value_as_string ?? new Date(g.metrics.first_seen.value ?? 0).toISOString(),
        lastSeen:
          g.metrics.last_seen.value_as_string ?? new Date(g.metrics.last_seen.value ?? 0).toISOString(),
      },
      window,
    }));
}

/** A query rule alerts once per matching event, as Kibana's custom query rules do. */
async function evaluateQuery(
  backend: Backend,
  rule: QueryRule,
  options: EvaluationOptions,
): Promise<Detection[]> {
  const response = await backend.client.search<Record<string, unknown>>({
    index: [...rule.index],
    size: rule.maxSignals,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: baseQuery(rule, options),
    sort: [{ [rule.timestampField]: "asc" }],
    fields: ["source.ip", "destination.ip", rule.timestampField],
    _source: false,
  });
  const window = windowOf(rule, options.now);
  return response.hits.hits.map((hit) => {
    const field = (name: string): string => {
      const value = (hit.fields?.[name] as unknown[] | undefined)?.[0];
      return typeof value === "string" || typeof value === "number" ? String(value) : "";
    };
    const group = {
      "source.ip": field("source.ip"),
      "destination.ip": field("destination.ip"),
      "event.id": hit._id ?? "",
    };
    const at = field(rule.timestampField);
    return {
      id: detectionId(rule, group, options.scopeKey),
      rule,
      group,
      evidence: { events: 1, distinct: [], firstSeen: at, lastSeen: at },
      window,
    };
  });
}
