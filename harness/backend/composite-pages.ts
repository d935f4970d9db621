import type { estypes } from "@elastic/elasticsearch";

/**
 * Every page of a composite aggregation, in order: `search` runs the request with the page's
 * `composite` (the first without `after`) and returns the aggregation's answer. A page shorter than
 * `size` is the last (no pipeline aggregation may then filter the buckets).
 */
export async function* compositePages(
  composite: estypes.AggregationsCompositeAggregation & { readonly size: number },
  search: (
    page: estypes.AggregationsCompositeAggregation,
  ) => Promise<estypes.AggregationsAggregate | undefined>,
): AsyncGenerator<estypes.AggregationsCompositeBucket[]> {
  let after: estypes.AggregationsCompositeAggregateKey | undefined;
  do {
    const answer = (await search(after ? { ...composite, after } : composite)) as
      | estypes.AggregationsCompositeAggregate
      | undefined;
    const buckets = (answer?.buckets ?? []) as estypes.AggregationsCompositeBucket[];
    yield buckets;
    after = buckets.length === composite.size ? answer?.after_key : undefined;
  } while (after);
}
