import { ecsEventMappings } from "../backend/templates.js";
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
  wildcardMatcher,
  type IndexedValue,
} from "./field-values.js";
import type { KqlRangeOp } from "./kql.js";

/**
 * Recorded ECS documents in an in-memory index, and the query DSL over them with Elasticsearch's
 * semantics for the scanproof event mapping (harness/backend/templates.ts): keywords match exactly
 * and by wildcard, addresses by CIDR, numbers and dates by range, `exists` skips what was not
 * indexed (ignore_above). Whatever it cannot evaluate exactly as Elasticsearch would is an error.
 */

/** One document as it would be indexed: its id, its index and its _source. */
export interface FixtureEvent {
  readonly id: string;
  readonly index: string;
  readonly source: Readonly<Record<string, unknown>>;
}

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

export interface IndexedDocument {
  readonly event: FixtureEvent;
  readonly fields: ReadonlyMap<string, readonly IndexedValue[]>;
  /** Every dotted path with a value, with each of its object prefixes. */
  readonly present: ReadonlySet<string>;
}

/** The documents of one evaluation, indexed once with the types the mapping (or dynamic mapping) gives. */
export class MemoryIndex {
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
type Dsl = Readonly<Record<string, unknown>>;

/**
 * The query DSL the engine sends (the rule's compiled KQL and Kibana filters, and any extra
 * filters) as a predicate over indexed documents: the clauses kqlToQueryDsl and Kibana's filters
 * produce, each with Elasticsearch's semantics for the field's type.
 */
export function compile(query: Dsl, index: MemoryIndex): Predicate {
  const entries = Object.entries(query);
  const [kind, body] = entries[0] ?? [];
  if (entries.length !== 1 || kind === undefined) {
    throw new FixtureEngineError(`expected one query clause, found ${JSON.stringify(query)}`);
  }
  switch (kind) {
    case "bool":
      return compileBool(body as Dsl, index);
    case "match_all":
      return () => true;
    case "match_none":
      return () => false;
    case "exists": {
      const field = (body as { field: string }).field;
      if (!EVENT_FIELDS.isObject(field)) queryable(field, index, true);
      return (doc) => doc.present.has(field);
    }
    case "match":
    case "match_phrase":
    case "term": {
      const [field, value] = fieldClause(kind, body, "query", "value");
      return anyValue(field, matcher(field, String(value), false, index));
    }
    case "terms": {
      const [field, values] = fieldClause(kind, body);
      if (!Array.isArray(values))
        throw new FixtureEngineError(`terms on ${field}: expected a list of values`);
      const tests = values.map((v) => matcher(field, String(v), false, index));
      return anyValue(field, (v) => tests.some((t) => t?.(v) ?? false));
    }
    case "wildcard": {
      const [field, value] = fieldClause(kind, body, "value", "wildcard");
      if ((body as Record<string, { case_insensitive?: boolean }>)[field]?.case_insensitive === true) {
        throw new FixtureEngineError(`${field}: case-insensitive wildcards are not evaluated in memory`);
      }
      return anyValue(field, matcher(field, String(value), true, index));
    }
    case "range": {
      const [field, bounds] = fieldClause(kind, body);
      const { format, ...ops } = bounds as Record<string, unknown>;
      if (format !== undefined && format !== "strict_date_optional_time") {
        throw new FixtureEngineError(
          `${field}: range format ${JSON.stringify(format)} is not evaluated in memory`,
        );
      }
      const tests = Object.entries(ops).map(([op, value]) => {
        if (!RANGE_OPS.has(op))
          throw new FixtureEngineError(`${field}: range option "${op}" is not evaluated in memory`);
        return ranger(field, op as KqlRangeOp, String(value), index);
      });
      return anyValue(field, (v) => tests.every((t) => t?.(v) ?? false));
    }
    case "nested":
      throw new FixtureEngineError(
        `${(body as { path?: string }).path ?? "nested"}: the scanproof mapping has no nested fields, so Elasticsearch refuses a nested query`,
      );
    case "multi_match":
    case "query_string":
      throw new FixtureEngineError(
        `${kind}: full-text search across fields (a KQL term without a field, or Lucene) is not evaluated in memory`,
      );
    default:
      throw new FixtureEngineError(`${kind} queries are not evaluated in memory`);
  }
}

const RANGE_OPS = new Set(["gt", "gte", "lt", "lte"]);

function compileBool(body: Dsl, index: MemoryIndex): Predicate {
  const list = (key: string): Predicate[] => {
    const clauses = body[key];
    if (clauses === undefined) return [];
    return (Array.isArray(clauses) ? clauses : [clauses]).map((c) => compile(c as Dsl, index));
  };
  const required = [...list("filter"), ...list("must")];
  const should = list("should");
  const mustNot = list("must_not");
  const minimum = body.minimum_should_match ?? (required.length === 0 && should.length > 0 ? 1 : 0);
  if (typeof minimum !== "number") {
    throw new FixtureEngineError(
      `minimum_should_match ${JSON.stringify(minimum)} is not evaluated in memory`,
    );
  }
  return (doc) =>
    required.every((c) => c(doc)) &&
    !mustNot.some((c) => c(doc)) &&
    should.filter((c) => c(doc)).length >= minimum;
}

/** The field and value of a leaf clause: `{ field: value }` or `{ field: { <key>: value, … } }`. */
function fieldClause(kind: string, body: unknown, ...valueKeys: string[]): [string, unknown] {
  const entries = Object.entries(body as Record<string, unknown>);
  const [field, value] = entries[0] ?? [];
  if (entries.length !== 1 || field === undefined) {
    throw new FixtureEngineError(`${kind}: expected exactly one field, found ${JSON.stringify(body)}`);
  }
  if (valueKeys.length === 0 || value === null || typeof value !== "object" || Array.isArray(value)) {
    return [field, value];
  }
  const options = value as Record<string, unknown>;
  const key = valueKeys.find((k) => k in options);
  if (key === undefined) throw new FixtureEngineError(`${kind} on ${field}: no ${valueKeys.join(" or ")}`);
  return [field, options[key]];
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

/** match, match_phrase and term on keyword, ip, numeric, date and boolean fields are term queries. */
function matcher(
  field: string,
  text: string,
  wildcard: boolean,
  index: MemoryIndex,
): ((v: IndexedValue) => boolean) | undefined {
  const mapping = queryable(field, index);
  if (!mapping) return undefined;
  const type = mapping.type;
  if (wildcard) {
    if (type !== "keyword") {
      throw new FixtureEngineError(
        `${field}: Elasticsearch runs wildcard queries on keyword and text fields only, not on ${type}`,
      );
    }
    const matches = wildcardMatcher(text);
    return (v) => matches(v.shown);
  }
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

/** Index patterns as Elasticsearch resolves them: comma lists, `*` wildcards, `-` exclusions. */
export function inIndices(index: string, patterns: readonly string[]): boolean {
  let included = false;
  for (const pattern of patterns.flatMap((p) => p.split(","))) {
    const exclude = pattern.startsWith("-");
    if (wildcardMatcher(exclude ? pattern.slice(1) : pattern)(index)) included = !exclude;
  }
  return included;
}
