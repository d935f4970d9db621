import type { estypes } from "@elastic/elasticsearch";
import type { IndexedValue } from "./field-values.js";
import {
  compile,
  FixtureEngineError,
  inIndices,
  MemoryIndex,
  type FixtureEvent,
  type IndexedDocument,
} from "./memory-index.js";
import type { Detection, NewTermsRule, QueryRule, Rule, ThresholdRule } from "./rule.js";
import { distinctCounts, meetsThreshold, newTermsHistory } from "./rule-semantics.js";

/**
 * Rules evaluated over recorded ECS documents in memory: the query DSL the engine would send, with
 * Elasticsearch's semantics for the scanproof event mapping (harness/backend/templates.ts) —
 * keywords match exactly and by wildcard, addresses by CIDR, numbers and dates by range, `exists`
 * skips what was not indexed (ignore_above) — and the engine's window, grouping and max_signals.
 * Whatever it cannot evaluate exactly as Elasticsearch would (full text, date math, Lucene) is an
 * error, never a guess. A lab test runs the pack through both and compares.
 */

/** A detection the in-memory engine found; the same shape as the engine's, without the alert id. */
export type FixtureDetection = Omit<Detection, "id">;

export interface FixtureEvaluation {
  /** When the rule executes: its window ends `to` before this and starts `from` before it. */
  readonly now: Date;
  /** Extra filters every event must match, as the engine's scope filters. */
  readonly filters?: readonly estypes.QueryDslQueryContainer[];
}

const DEFAULT_TIMESTAMP = "@timestamp";

/**
 * The rule's detections over the events, as one on-demand execution of the engine would find
 * them in Elasticsearch: its query and filters, its window, its type's grouping, max_signals.
 */
export function evaluateRuleInMemory(
  rule: Rule,
  events: readonly FixtureEvent[],
  options: FixtureEvaluation,
): FixtureDetection[] {
  const index = new MemoryIndex(events.filter((e) => inIndices(e.index, rule.index)));
  for (const field of new Set([rule.timestampField, DEFAULT_TIMESTAMP])) {
    const type = index.typeOf(field)?.type;
    if (type !== undefined && type !== "date") {
      throw new FixtureEngineError(`${field}: the rule's timestamp field is not a date`);
    }
  }
  const matches = compile({ bool: { filter: [rule.filter, ...(options.filters ?? [])] } }, index);
  const window = {
    gte: new Date(options.now.getTime() - rule.lookbackMs),
    lte: new Date(options.now.getTime() - rule.endOffsetMs),
  };
  const times = timesOf(rule);
  const within = (doc: IndexedDocument, from: number, to: number, inclusive: boolean) =>
    times(doc).some((t) => t >= from && (inclusive ? t <= to : t < to));
  const hits = index.documents.filter(
    (d) => within(d, window.gte.getTime(), window.lte.getTime(), true) && matches(d),
  );
  const shown = { gte: window.gte.toISOString(), lte: window.lte.toISOString() };
  switch (rule.type) {
    case "threshold":
      return threshold(rule, hits, index, shown);
    case "query":
      return perEvent(rule, hits, shown);
    case "new_terms": {
      const { from, before } = newTermsHistory(rule, window);
      const history = index.documents.filter(
        (d) => within(d, from.getTime(), before.getTime(), false) && matches(d),
      );
      return newTerms(rule, hits, history, index, shown);
    }
  }
}

/**
 * A document's times as the engine reads them: the timestamp field's values, or with Kibana's
 * fallback (a timestamp override without `timestamp_override_fallback_disabled`) `@timestamp`'s
 * for a document without the override.
 */
function timesOf(rule: Rule): (doc: IndexedDocument) => number[] {
  return (doc) => {
    const own = doc.fields.get(rule.timestampField);
    const values = own ?? (rule.timestampFallback ? doc.fields.get(DEFAULT_TIMESTAMP) : undefined);
    return (values ?? []).map((v) => v.sortKey as number);
  };
}

function bounds(rule: Rule, docs: readonly IndexedDocument[]): { firstSeen: string; lastSeen: string } {
  const all = docs.flatMap(timesOf(rule));
  const iso = (ms: number | undefined) => (ms === undefined ? "" : new Date(ms).toISOString());
  return {
    firstSeen: iso(all.length > 0 ? all.reduce((a, b) => Math.min(a, b)) : undefined),
    lastSeen: iso(all.length > 0 ? all.reduce((a, b) => Math.max(a, b)) : undefined),
  };
}

/**
 * One detection per matching event, oldest first (events without the timestamp override after
 * those with it), at most max_signals; the group names the addresses the event has and its id.
 */
function perEvent(
  rule: QueryRule,
  hits: readonly IndexedDocument[],
  window: FixtureDetection["window"],
): FixtureDetection[] {
  const order = (d: IndexedDocument): [number, number] => {
    const own = d.fields.get(rule.timestampField);
    const values = (own ?? d.fields.get(DEFAULT_TIMESTAMP) ?? []).map((v) => v.sortKey as number);
    return [own || !rule.timestampFallback ? 0 : 1, Math.min(...values)];
  };
  return [...hits]
    .map((doc) => ({ doc, key: order(doc) }))
    .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1])
    .slice(0, rule.maxSignals)
    .map(({ doc }) => {
      const ms = timesOf(rule)(doc)[0];
      const seen = ms === undefined ? "" : new Date(ms).toISOString();
      const addresses = ["source.ip", "destination.ip"].flatMap((f) => {
        const value = doc.fields.get(f)?.[0]?.shown;
        return value === undefined ? [] : [[f, value] as const];
      });
      return {
        rule,
        group: { ...Object.fromEntries(addresses), "event.id": doc.event.id },
        evidence: { events: 1, distinct: [], firstSeen: seen, lastSeen: seen },
        window,
      };
    });
}

interface Bucket {
  readonly keys: readonly IndexedValue[];
  readonly docs: IndexedDocument[];
}

/**
 * Documents grouped as a composite aggregation over the fields groups them: one bucket per
 * combination of their values (documents missing one are left out), in key order.
 */
function buckets(fields: readonly string[], docs: readonly IndexedDocument[], index: MemoryIndex): Bucket[] {
  for (const field of fields) {
    if (index.typeOf(field)?.type === "text") {
      throw new FixtureEngineError(`${field}: Elasticsearch cannot aggregate a text field`);
    }
  }
  const found = new Map<string, Bucket>();
  for (const doc of docs) {
    for (const keys of combinations(fields.map((f) => doc.fields.get(f) ?? []))) {
      const id = JSON.stringify(keys.map((k) => k.sortKey));
      const bucket = found.get(id) ?? { keys, docs: [] };
      bucket.docs.push(doc);
      found.set(id, bucket);
    }
  }
  return [...found.values()].sort((a, b) => compareKeys(a.keys, b.keys));
}

function groupOf(fields: readonly string[], bucket: Bucket): Record<string, string> {
  return Object.fromEntries(fields.map((f, i) => [f, bucket.keys[i]?.shown ?? ""]));
}

/** Kibana's threshold semantics: groups reaching the count and every distinct-value threshold. */
function threshold(
  rule: ThresholdRule,
  hits: readonly IndexedDocument[],
  index: MemoryIndex,
  window: FixtureDetection["window"],
): FixtureDetection[] {
  const { fields, cardinality } = rule.threshold;
  for (const c of cardinality) {
    if (index.typeOf(c.field)?.type === "text") {
      throw new FixtureEngineError(`${c.field}: Elasticsearch cannot aggregate a text field`);
    }
  }
  const groups = fields.length === 0 ? [{ keys: [], docs: [...hits] }] : buckets(fields, hits, index);
  return groups
    .map((bucket) => ({
      bucket,
      distinct: distinctCounts(
        rule,
        (field) =>
          new Set(bucket.docs.flatMap((d) => (d.fields.get(field) ?? []).map((v) => v.sortKey))).size,
      ),
    }))
    .filter(({ bucket, distinct }) => meetsThreshold(rule, bucket.docs.length, distinct))
    .slice(0, rule.maxSignals)
    .map(({ bucket, distinct }) => ({
      rule,
      group: groupOf(fields, bucket),
      evidence: { events: bucket.docs.length, distinct, ...bounds(rule, bucket.docs) },
      window,
    }));
}

/** Kibana's new terms semantics: value combinations in the window that the history never had. */
function newTerms(
  rule: NewTermsRule,
  hits: readonly IndexedDocument[],
  history: readonly IndexedDocument[],
  index: MemoryIndex,
  window: FixtureDetection["window"],
): FixtureDetection[] {
  const { fields } = rule.newTerms;
  const seen = new Set(
    buckets(fields, history, index).map((b) => JSON.stringify(b.keys.map((k) => k.sortKey))),
  );
  return buckets(fields, hits, index)
    .filter((b) => !seen.has(JSON.stringify(b.keys.map((k) => k.sortKey))))
    .slice(0, rule.maxSignals)
    .map((bucket) => ({
      rule,
      group: groupOf(fields, bucket),
      evidence: { events: bucket.docs.length, distinct: [], ...bounds(rule, bucket.docs) },
      window,
    }));
}

function combinations(values: readonly (readonly IndexedValue[])[]): IndexedValue[][] {
  return values.reduce<IndexedValue[][]>(
    (acc, options) =>
      acc.flatMap((prefix) =>
        [...new Map(options.map((o) => [o.sortKey, o])).values()].map((o) => [...prefix, o]),
      ),
    [[]],
  );
}

function compareKeys(a: readonly IndexedValue[], b: readonly IndexedValue[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]?.sortKey ?? "";
    const y = b[i]?.sortKey ?? "";
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}
