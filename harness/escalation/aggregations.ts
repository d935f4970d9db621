import type { estypes } from "@elastic/elasticsearch";
import { shardFailure } from "../backend/shard-failure.js";
import { ScanproofError } from "../core/errors.js";

/** The aggregations of a response, or of a bucket (its sub-aggregations). */
export type Aggregations = Readonly<Record<string, unknown>> | undefined;

export interface Bucket {
  readonly key: unknown;
  readonly doc_count: number;
  readonly [sub: string]: unknown;
}

function named(aggs: Aggregations, name: string): Record<string, unknown> | undefined {
  const found = aggs?.[name];
  return typeof found === "object" && found !== null ? (found as Record<string, unknown>) : undefined;
}

/** The buckets of a terms, composite or histogram aggregation (none when it is absent). */
export function bucketsOf(aggs: Aggregations, name: string): Bucket[] {
  const list = named(aggs, name)?.buckets;
  return Array.isArray(list) ? (list as Bucket[]) : [];
}

/** The keys of a terms aggregation's buckets as strings, in bucket order. */
export function keysOf(aggs: Aggregations, name: string): string[] {
  return bucketsOf(aggs, name).map((b) => keyText(b.key));
}

/** A terms bucket's key (string, number or boolean) as text. */
export function keyText(key: unknown): string {
  return typeof key === "string" || typeof key === "number" || typeof key === "boolean" ? String(key) : "";
}

/** A single-value metric (min, max, cardinality) or a filter's document count. */
export function valueOf(aggs: Aggregations, name: string): number | undefined {
  const agg = named(aggs, name);
  const value = agg?.value ?? agg?.doc_count;
  return typeof value === "number" ? value : undefined;
}

/** A min or max over a date field as an ISO time. */
export function dateOf(aggs: Aggregations, name: string): string | undefined {
  const value = valueOf(aggs, name);
  return value === undefined ? undefined : new Date(value).toISOString();
}

/** A filter aggregation's (or a bucket's) own sub-aggregations. */
export function within(aggs: Aggregations, name: string): Aggregations {
  return named(aggs, name);
}

export function totalHits(response: estypes.SearchResponse): number {
  const total = response.hits.total;
  return typeof total === "number" ? total : (total?.value ?? 0);
}

/**
 * The answer of a search every shard of which answered: a shard that failed (a history index that
 * maps an address as text, say) would leave its events out of the facts without a word.
 */
export function wholeAnswer<R extends estypes.SearchResponse>(response: R): R {
  const shards = shardFailure(response);
  if (shards !== undefined)
    throw new ScanproofError(
      `Escalation could not read ${shards.failed} of ${shards.total} shards: ${shards.reason ?? "no reason given"}`,
      "Every index escalation reads (the lab's and those named in history_indices) must map ECS fields as ECS does: source.ip and destination.ip as ip, ports as numbers.",
    );
  return response;
}
