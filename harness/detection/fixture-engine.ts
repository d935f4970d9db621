import { ecsEventMappings } from "../backend/templates.js";
import type { Detection } from "./engine.js";
import { FieldTypes, type FieldMapping } from "./field-types.js";
import {
  booleanKey,
  FieldValueError,
  indexValue,
  ipRange,
  isNumeric,
  keywordKey,
  parseDate,
  parseIp,
  type IndexedValue,
} from "./field-values.js";
import { parseKql, type KqlNode, type KqlRangeOp, type KqlValue } from "./kql.js";
import type { QueryRule, Rule, ThresholdRule } from "./rule.js";

/**
 * Rules evaluated over recorded ECS documents in memory, with Elasticsearch's semantics for the
 * scanproof event mapping (harness/backend/templates.ts): keywords match exactly and by wildcard,
 * addresses by CIDR, numbers and dates by range, `exists` skips what was not indexed (ignore_above).
 * Whatever it cannot evaluate exactly as Elasticsearch would (full text, date math, Lucene) is an
 * error, never a guess. A lab test runs the pack through both and compares.
 */

/** One document as it would be indexed: its id, its index and its _source. */
export interface FixtureEvent {
  readonly id: string;
  readonly index: string;
  readonly source: Readonly<Record<string, unknown>>;
}

/** A detection the in-memory engine found; the same shape as the engine's, without the alert id. */
export type FixtureDetection = Omit<Detection, "id">;

/** A query, rule or document the in-memory engine cannot evaluate the way Elasticsearch would. */
export class FixtureEngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FixtureEngineError";
  }
}

const EVENT_FIELDS = new FieldTypes(ecsEventMappings);

/** Every value at every dotted path of a _source (objects, arrays of objects and dotted keys alike). */
function flatten(source: unknown, prefix: string, into: Map<string, unknown[]>): void {
  if (Array.isArray(source)) {
    for (const item of source) flatten(item, prefix, into);
    return;
  }
  if (source !== null && typeof source === "object") {
    for (const [key, value] of Object.entries(source))
      flatten(value, prefix ? `${prefix}.${key}` : key, into);
    return;
  }
  const values = into.get(prefix) ?? [];
  values.push(source);
  into.set(prefix, values);
}

interface IndexedDocument {
  readonly event: FixtureEvent;
  readonly fields: ReadonlyMap<string, readonly IndexedValue[]>;
  /** Every dotted path with a value, with each of its object prefixes. */
  readonly present: ReadonlySet<string>;
}

/** The documents of one evaluation, indexed once with the types the mapping (or dynamic mapping) gives. */
class MemoryIndex {
  readonly documents: readonly IndexedDocument[];
  private readonly types = new Map<string, FieldMapping>();

  constructor(events: readonly FixtureEvent[]) {
    const flat = events.map((event) => {
      const fields = new Map<string, unknown[]>();
      flatten(event.source, "", fields);
      return { event, fields };
    });
    for (const { fields } of flat) {
      for (const [field, values] of fields) {
        if (this.types.has(field)) continue;
        const first = values.find((v) => v !== null);
        if (first !== undefined)
          this.types.set(field, EVENT_FIELDS.mapped(field) ?? EVENT_FIELDS.dynamic(first));
      }
    }
    this.documents = flat.map(({ event, fields }) => {
      const indexed = new Map<string, IndexedValue[]>();
      const present = new Set<string>();
      for (const [field, values] of fields) {
        const mapping = this.types.get(field);
        if (!mapping?.searchable) continue;
        const kept = values.flatMap((v) => {
          try {
            const value = indexValue(field, mapping, v);
            return value ? [value] : [];
          } catch (error) {
            if (error instanceof FieldValueError)
              throw new FixtureEngineError(`${event.id}: ${error.message}`);
            throw error;
          }
        });
        if (kept.length === 0) continue;
        indexed.set(field, kept);
        const parts = field.split(".");
        for (let i = 1; i <= parts.length; i++) present.add(parts.slice(0, i).join("."));
      }
      return { event, fields: indexed, present };
    });
  }

  /** The field's mapping for a query: the template's, else what dynamic mapping made of the documents. */
  typeOf(field: string): FieldMapping | undefined {
    return EVENT_FIELDS.mapped(field) ?? this.types.get(field);
  }
}

type Predicate = (doc: IndexedDocument) => boolean;

function compile(node: KqlNode, index: MemoryIndex): Predicate {
  switch (node.kind) {
    case "and": {
      const children = node.children.map((c) => compile(c, index));
      return (doc) => children.every((c) => c(doc));
    }
    case "or": {
      const children = node.children.map((c) => compile(c, index));
      return (doc) => children.some((c) => c(doc));
    }
    case "not": {
      const child = compile(node.child, index);
      return (doc) => !child(doc);
    }
    case "exists":
      if (!EVENT_FIELDS.isObject(node.field)) queryable(node.field, index, true);
      return (doc) => doc.present.has(node.field);
    case "match":
      return anyValue(node.field, matcher(node.field, node.value, index));
    case "range":
      return anyValue(node.field, ranger(node.field, node.op, node.value, index));
    case "nested":
      throw new FixtureEngineError(
        `${node.path}: the scanproof mapping has no nested fields, so Elasticsearch refuses a nested query`,
      );
    case "text":
      throw new FixtureEngineError(
        `"${node.value.text}": a query without a field searches every field's full text, which is not evaluated in memory`,
      );
  }
}

function anyValue(field: string, test: ((value: IndexedValue) => boolean) | undefined): Predicate {
  if (!test) return () => false;
  return (doc) => (doc.fields.get(field) ?? []).some(test);
}

/** A field the query names, which must be searchable (and, for values, of a type evaluated here). */
function queryable(field: string, index: MemoryIndex, presenceOnly = false): FieldMapping | undefined {
  if (EVENT_FIELDS.isObject(field)) {
    throw new FixtureEngineError(`${field}: an object field matches no value; query one of its fields`);
  }
  const mapping = index.typeOf(field);
  if (mapping && !mapping.searchable) {
    throw new FixtureEngineError(
      `${field}: Elasticsearch cannot search a field that is neither indexed nor has doc values`,
    );
  }
  if (mapping?.type === "text" && !presenceOnly) {
    throw new FixtureEngineError(`${field}: full-text queries on text fields are not evaluated in memory`);
  }
  return mapping;
}

/** match and match_phrase on keyword, ip, numeric, date and boolean fields are term queries. */
function matcher(
  field: string,
  value: KqlValue,
  index: MemoryIndex,
): ((v: IndexedValue) => boolean) | undefined {
  const mapping = queryable(field, index);
  if (!mapping) return undefined;
  const type = mapping.type;
  if (value.wildcard) {
    if (type !== "keyword") {
      throw new FixtureEngineError(
        `${field}: Elasticsearch runs wildcard queries on keyword and text fields only, not on ${type}`,
      );
    }
    const pattern = wildcardRegExp(value.text);
    return (v) => pattern.test(v.shown);
  }
  const text = value.text;
  if (type === "keyword") {
    if (mapping.ignoreAbove !== undefined && text.length > mapping.ignoreAbove) return undefined;
    const key = keywordKey(text);
    return (v) => v.sortKey === key;
  }
  if (type === "ip") {
    const range = ipRange(text);
    if (!range) throw new FixtureEngineError(`${field}: "${text}" is not an IP address or CIDR block`);
    return (v) => (v.sortKey as string) >= range[0] && (v.sortKey as string) <= range[1];
  }
  if (isNumeric(type)) {
    const n = numberOf(field, text);
    return (v) => v.sortKey === n;
  }
  if (type === "date") {
    const from = dateOf(field, text, false);
    const to = dateOf(field, text, true);
    return (v) => (v.sortKey as number) >= from && (v.sortKey as number) <= to;
  }
  if (type === "boolean") {
    const key = booleanKey(text);
    if (key === undefined) throw new FixtureEngineError(`${field}: "${text}" is not a boolean`);
    return (v) => v.sortKey === key;
  }
  throw new FixtureEngineError(`${field}: fields of type ${type} are not evaluated in memory`);
}

function ranger(
  field: string,
  op: KqlRangeOp,
  text: string,
  index: MemoryIndex,
): ((v: IndexedValue) => boolean) | undefined {
  const mapping = queryable(field, index);
  if (!mapping) return undefined;
  const type = mapping.type;
  let bound: string | number;
  if (type === "keyword") bound = keywordKey(text);
  else if (type === "ip") {
    const ip = parseIp(text);
    if (!ip) throw new FixtureEngineError(`${field}: "${text}" is not an IP address`);
    bound = ip.sortKey;
  } else if (isNumeric(type)) bound = numberOf(field, text);
  else if (type === "date") bound = dateOf(field, text, op === "gt" || op === "lte");
  else throw new FixtureEngineError(`${field}: range queries on ${type} fields are not evaluated in memory`);
  switch (op) {
    case "gt":
      return (v) => v.sortKey > bound;
    case "gte":
      return (v) => v.sortKey >= bound;
    case "lt":
      return (v) => v.sortKey < bound;
    case "lte":
      return (v) => v.sortKey <= bound;
  }
}

function numberOf(field: string, text: string): number {
  const n = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(n)) {
    throw new FixtureEngineError(`${field}: "${text}" is not a number, so Elasticsearch refuses the query`);
  }
  return n;
}

function dateOf(field: string, text: string, roundUp: boolean): number {
  const ms = parseDate(text, roundUp);
  if (ms === undefined) {
    throw new FixtureEngineError(
      `${field}: "${text}" is not a date in strict_date_optional_time or epoch_millis (date math is not evaluated in memory)`,
    );
  }
  return ms;
}

/** An Elasticsearch wildcard pattern (`*`, `?`, `\` escapes) as an anchored regular expression. */
function wildcardRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === "\\" && i + 1 < pattern.length) source += escapeRegExp(pattern.charAt(++i));
    else if (c === "*") source += "[\\s\\S]*";
    else if (c === "?") source += "[\\s\\S]";
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, "u");
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Index patterns as Elasticsearch resolves them: comma lists, `*` wildcards, `-` exclusions. */
function inIndices(index: string, patterns: readonly string[]): boolean {
  let included = false;
  for (const pattern of patterns.flatMap((p) => p.split(","))) {
    const exclude = pattern.startsWith("-");
    if (wildcardRegExp(exclude ? pattern.slice(1) : pattern).test(index)) included = !exclude;
  }
  return included;
}

export interface FixtureEvaluation {
  /** The end of the look-back window. */
  readonly now: Date;
  /** Extra KQL every event must also match (e.g. a filter built from the asset inventory). */
  readonly extra?: KqlNode;
}

/** The rule's detections over the events, as the engine would find them in Elasticsearch. */
export function evaluateRuleInMemory(
  rule: Rule,
  events: readonly FixtureEvent[],
  options: FixtureEvaluation,
): FixtureDetection[] {
  if (rule.language !== "kuery") {
    throw new FixtureEngineError(
      `${rule.file}: only KQL rules are evaluated in memory (this one is ${rule.language})`,
    );
  }
  const index = new MemoryIndex(events.filter((e) => inIndices(e.index, rule.index)));
  const query = rule.query.trim() === "" ? undefined : parseKql(rule.query);
  const clauses = [query, options.extra].filter((c): c is KqlNode => c !== undefined);
  const matches = clauses.length === 0 ? () => true : compile({ kind: "and", children: clauses }, index);
  const window = {
    gte: new Date(options.now.getTime() - rule.lookbackMs).toISOString(),
    lte: options.now.toISOString(),
  };
  const inWindow = anyValue(rule.timestampField, (v) => {
    const at = v.sortKey as number;
    return at >= Date.parse(window.gte) && at <= Date.parse(window.lte);
  });
  const timestampType = index.typeOf(rule.timestampField)?.type;
  if (timestampType !== undefined && timestampType !== "date") {
    throw new FixtureEngineError(`${rule.timestampField}: the rule's timestamp field is not a date`);
  }
  const hits = index.documents.filter((d) => inWindow(d) && matches(d));
  return rule.type === "threshold" ? threshold(rule, hits, index, window) : perEvent(rule, hits, window);
}

function firstShown(doc: IndexedDocument, field: string): string {
  return doc.fields.get(field)?.[0]?.shown ?? "";
}

function isoOf(doc: IndexedDocument, field: string): string {
  const ms = doc.fields.get(field)?.[0]?.sortKey;
  return typeof ms === "number" ? new Date(ms).toISOString() : "";
}

/** One detection per matching event, oldest first, at most max_signals. */
function perEvent(
  rule: QueryRule,
  hits: readonly IndexedDocument[],
  window: FixtureDetection["window"],
): FixtureDetection[] {
  const at = (d: IndexedDocument) =>
    Math.min(...(d.fields.get(rule.timestampField) ?? []).map((v) => v.sortKey as number));
  return [...hits]
    .sort((a, b) => at(a) - at(b))
    .slice(0, rule.maxSignals)
    .map((doc) => {
      const seen = isoOf(doc, rule.timestampField);
      return {
        rule,
        group: {
          "source.ip": firstShown(doc, "source.ip"),
          "destination.ip": firstShown(doc, "destination.ip"),
          "event.id": doc.event.id,
        },
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
 * Kibana's threshold semantics as the engine's composite aggregation computes them: one bucket per
 * combination of the group fields' values (documents missing one are left out), in key order.
 */
function threshold(
  rule: ThresholdRule,
  hits: readonly IndexedDocument[],
  index: MemoryIndex,
  window: FixtureDetection["window"],
): FixtureDetection[] {
  const { fields, value, cardinality } = rule.threshold;
  for (const field of [...fields, ...cardinality.map((c) => c.field)]) {
    const type = index.typeOf(field)?.type;
    if (type === "text")
      throw new FixtureEngineError(`${field}: Elasticsearch cannot aggregate a text field`);
  }
  const buckets = new Map<string, Bucket>();
  for (const doc of hits) {
    for (const keys of combinations(fields.map((f) => doc.fields.get(f) ?? []))) {
      const id = JSON.stringify(keys.map((k) => k.sortKey));
      const bucket = buckets.get(id) ?? { keys, docs: [] };
      bucket.docs.push(doc);
      buckets.set(id, bucket);
    }
  }
  if (fields.length === 0) buckets.set("[]", { keys: [], docs: [...hits] });
  const ordered = [...buckets.values()].sort((a, b) => compareKeys(a.keys, b.keys));
  return ordered
    .map((bucket) => ({
      bucket,
      distinct: cardinality.map((c) => ({
        field: c.field,
        values: new Set(bucket.docs.flatMap((d) => (d.fields.get(c.field) ?? []).map((v) => v.sortKey))).size,
      })),
    }))
    .filter(
      ({ bucket, distinct }) =>
        bucket.docs.length >= value && cardinality.every((c, i) => (distinct[i]?.values ?? 0) >= c.value),
    )
    .slice(0, rule.maxSignals)
    .map(({ bucket, distinct }) => {
      const times = bucket.docs.flatMap((d) =>
        (d.fields.get(rule.timestampField) ?? []).map((v) => v.sortKey as number),
      );
      return {
        rule,
        group: Object.fromEntries(fields.map((f, i) => [f, bucket.keys[i]?.shown ?? ""])),
        evidence: {
          events: bucket.docs.length,
          distinct,
          firstSeen:
            times.length > 0 ? new Date(Math.min(...times)).toISOString() : new Date(0).toISOString(),
          lastSeen: times.length > 0 ? new Date(Math.max(...times)).toISOString() : new Date(0).toISOString(),
        },
        window,
      };
    });
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
