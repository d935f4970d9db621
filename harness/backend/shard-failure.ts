import type { estypes } from "@elastic/elasticsearch";

/** How many shards of a search failed, and the first one's reason. */
export interface ShardFailure {
  readonly failed: number;
  readonly total: number;
  readonly reason?: string;
}

/**
 * The failed shards of a search (HTTP 200 with `_shards.failures`, as when a field has another type
 * in one of the indices), or undefined for a whole answer: a partial answer would pass for one that
 * found less.
 */
export function shardFailure(response: estypes.SearchResponse): ShardFailure | undefined {
  const shards = response._shards as estypes.ShardStatistics | undefined;
  if (shards === undefined || shards.failed === 0) return undefined;
  const first = shards.failures?.[0]?.reason;
  const reason = first?.reason ?? first?.type;
  return { failed: shards.failed, total: shards.total, ...(reason === undefined ? {} : { reason }) };
}
