import { compositePages } from "../../backend/composite-pages.js";
import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../../backend/backend.js";
import type { Detection } from "../rules/rule.js";
import type { ThresholdRule } from "../rules/rule.js";
import { alertId, groupOf, searchRule, windowOf, windowQuery, type SearchContext } from "./search.js";
import { distinctCounts, meetsThreshold } from "../rules/rule-semantics.js";
import { readTimeBounds, timeBoundsAggs, timeRange } from "./timestamp.js";

/** Cardinality is exact up to this many distinct values (Elasticsearch's maximum). */
const PRECISION_THRESHOLD = 40_000;
const PAGE_SIZE = 1000;

/** The last event each group of a threshold rule already alerted on (Kibana's signal history). */
export type ThresholdHistory = ReadonlyMap<
  string,
  { group: Readonly<Record<string, string>>; lastSeen: Date }
>;

export function historyKey(group: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(group).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Kibana's de-duplication of threshold alerts: an event a group already alerted on (up to that
 * alert's last event) does not count again, so a group alerts again only on enough new events.
 */
export function historyExclusion(
  rule: ThresholdRule,
  history: ThresholdHistory,
): estypes.QueryDslQueryContainer[] {
  return [...history.values()].map(({ group, lastSeen }) => ({
    bool: {
      filter: [
        timeRange(rule, { lte: lastSeen }),
        ...Object.entries(group).map(([field, value]) => ({ term: { [field]: value } })),
      ],
    },
  }));
}

interface GroupMetrics {
  readonly doc_count: number;
  readonly [distinct: `distinct_${number}`]: estypes.AggregationsCardinalityAggregate | undefined;
}

/**
 * Kibana's threshold semantics: the window's matching events grouped by the threshold fields; a
 * group alerts when it has at least `value` events and, for each cardinality clause, at least that
 * many distinct values of its field. Yields the qualifying groups page by page, in key order.
 */
export async function* thresholdDetections(
  backend: Backend,
  rule: ThresholdRule,
  context: SearchContext,
  history: ThresholdHistory,
): AsyncGenerator<Detection[]> {
  const { fields, cardinality } = rule.threshold;
  const metrics: Record<string, estypes.AggregationsAggregationContainer> = { ...timeBoundsAggs(rule) };
  cardinality.forEach((c, i) => {
    metrics[`distinct_${i}`] = { cardinality: { field: c.field, precision_threshold: PRECISION_THRESHOLD } };
  });
  const query = windowQuery(rule, context, { mustNot: historyExclusion(rule, history) });
  const detection = (group: Record<string, string>, m: GroupMetrics, aggregate: unknown): Detection[] => {
    const distinct = distinctCounts(rule, (_field, i) => m[`distinct_${i}`]?.value ?? 0);
    if (!meetsThreshold(rule, m.doc_count, distinct)) return [];
    const { firstSeen, lastSeen } = readTimeBounds(aggregate);
    return [
      {
        id: alertId(rule, context.scopeKey, [Object.entries(group).sort(), firstSeen]),
        rule,
        group,
        evidence: { events: m.doc_count, distinct, firstSeen, lastSeen },
        window: windowOf(context),
      },
    ];
  };

  if (fields.length === 0) {
    const response = await searchRule(backend, rule, {
      size: 0,
      track_total_hits: true,
      query,
      aggs: metrics,
    });
    const total =
      typeof response.hits.total === "number" ? response.hits.total : (response.hits.total?.value ?? 0);
    const aggregations = response.aggregations ?? {};
    yield detection({}, { ...(aggregations as object), doc_count: total } as GroupMetrics, aggregations);
    return;
  }
  const pages = compositePages(
    { size: PAGE_SIZE, sources: fields.map((f) => ({ [f]: { terms: { field: f } } })) },
    async (composite) =>
      (await searchRule(backend, rule, { size: 0, query, aggs: { groups: { composite, aggs: metrics } } }))
        .aggregations?.groups,
  );
  for await (const buckets of pages)
    yield buckets.flatMap((b) => detection(groupOf(b.key), b as unknown as GroupMetrics, b));
}
