import { compositePages } from "../../backend/composite-pages.js";
import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../../backend/backend.js";
import type { Detection } from "../rules/rule.js";
import type { NewTermsRule } from "../rules/rule.js";
import { alertId, groupOf, searchRule, windowOf, windowQuery, type SearchContext } from "./search.js";
import { newTermsHistory } from "../rules/rule-semantics.js";
import { readTimeBounds, timeBoundsAggs, timeFields, timeRange, timeSort } from "./timestamp.js";

const PAGE_SIZE = 1000;

function sourcesOf(rule: NewTermsRule): Record<string, estypes.AggregationsCompositeAggregationSource>[] {
  return rule.newTerms.fields.map((f) => ({ [f]: { terms: { field: f } } }));
}

/** The combination of field values a group stands for, as the clauses that select its events. */
function termsOf(group: Readonly<Record<string, string>>): estypes.QueryDslQueryContainer {
  return { bool: { filter: Object.entries(group).map(([field, value]) => ({ term: { [field]: value } })) } };
}

/**
 * Kibana's new terms semantics: every combination of the new terms fields' values found in the
 * window (phase 1, a composite aggregation) that no event matching the rule had in the history
 * window before it (phase 2, the same aggregation over the history, limited to those combinations).
 * Each alert is tied to the first event with the new combination, as Kibana's are.
 */
export async function* newTermsDetections(
  backend: Backend,
  rule: NewTermsRule,
  context: SearchContext,
): AsyncGenerator<Detection[]> {
  const { fields } = rule.newTerms;
  const sources = sourcesOf(rule);
  const history = newTermsHistory(rule, context.window);
  const pages = compositePages({ size: PAGE_SIZE, sources }, async (composite) => {
    const recent = await searchRule(backend, rule, {
      size: 0,
      query: windowQuery(rule, context),
      aggs: {
        terms: {
          composite,
          aggs: {
            ...timeBoundsAggs(rule),
            first_event: {
              top_hits: { size: 1, sort: timeSort(rule), _source: false, docvalue_fields: timeFields(rule) },
            },
          },
        },
      },
    });
    return recent.aggregations?.terms;
  });
  for await (const buckets of pages) {
    if (buckets.length === 0) return;
    const seen = await seenBefore(
      backend,
      rule,
      context,
      history,
      buckets.map((b) => groupOf(b.key)),
    );
    yield buckets
      .filter((b) => !seen.has(JSON.stringify(groupOf(b.key))))
      .map((b) => {
        const group = groupOf(b.key);
        const first = (b.first_event as estypes.AggregationsTopHitsAggregate).hits.hits[0];
        const { firstSeen, lastSeen } = readTimeBounds(b);
        return {
          id: alertId(rule, context.scopeKey, [first?._index, first?._id, fields.map((f) => group[f])]),
          rule,
          group,
          evidence: { events: b.doc_count, distinct: [], firstSeen, lastSeen },
          window: windowOf(context),
        };
      });
  }
}

/** Which of the groups occur in the history window, from its start up to the window's start. */
async function seenBefore(
  backend: Backend,
  rule: NewTermsRule,
  context: SearchContext,
  history: ReturnType<typeof newTermsHistory>,
  groups: readonly Record<string, string>[],
): Promise<Set<string>> {
  const seen = new Set<string>();
  const query: estypes.QueryDslQueryContainer = {
    bool: {
      filter: [
        rule.filter,
        timeRange(rule, { gte: history.from, lt: history.before }),
        ...context.filters,
        { bool: { should: groups.map(termsOf), minimum_should_match: 1 } },
      ],
    },
  };
  const pages = compositePages(
    { size: PAGE_SIZE, sources: sourcesOf(rule) },
    async (composite) =>
      (await searchRule(backend, rule, { size: 0, query, aggs: { terms: { composite } } })).aggregations
        ?.terms,
  );
  for await (const buckets of pages) for (const b of buckets) seen.add(JSON.stringify(groupOf(b.key)));
  return seen;
}
