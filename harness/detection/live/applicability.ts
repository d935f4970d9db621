import { errors } from "@elastic/elasticsearch";
import type { Backend } from "../../backend/backend.js";
import { ScanproofError } from "../../core/errors.js";
import { wildcardMatcher } from "../rules/field-values.js";
import { kqlFields, parseKql, type KqlNode } from "../rules/kql.js";
import type { Rule } from "../rules/rule.js";
import { unknownColumns } from "./esql-rule.js";
import { checkFields } from "./field-check.js";

/** What a set of indices holds, as far as deciding whether a rule can ever match there. */
export interface SearchedData {
  /** Every index and alias name the data is searchable under, with the datasets behind each. */
  readonly names: readonly { readonly name: string; readonly datasets: readonly string[] }[];
}

/**
 * Something a rule needs that the data lacks: an index pattern, a field, a dataset, or a field that
 * is mapped but cannot serve the rule (not searchable, not aggregatable, not a date), with why.
 */
export interface Lack {
  readonly kind: "index" | "field" | "dataset" | "unusable field";
  readonly name: string;
  readonly why?: string;
}

/**
 * Whether the rule can match any document of the data it reaches, whatever its events: it cannot
 * when none of its index patterns matches a name of the data, when a field it groups by or its time
 * field is not there (the engine's field check), when its query cannot hold for any document because
 * every way to satisfy it needs a field no document behind the reached names carries or a dataset
 * none of them holds, or when ES|QL refuses it for unknown columns. The lab's indices share one
 * mapping, so a field counts as there only when a document the rule reaches has it. `lacks` names
 * exactly what is missing; empty means the rule applies.
 */
export async function ruleLacks(backend: Backend, rule: Rule, data: SearchedData): Promise<Lack[]> {
  const reached = data.names.filter((n) => rule.index.some((pattern) => wildcardMatcher(pattern)(n.name)));
  if (reached.length === 0) return rule.index.map((name) => ({ kind: "index", name }));
  const names = reached.map((n) => n.name);
  if (rule.type === "esql") return esqlLacks(backend, rule, names);
  const fields = await checkFields(backend, rule);
  if (fields.blockingField !== undefined) {
    const name = fields.blockingField;
    return fields.mappedFields.includes(name)
      ? [{ kind: "unusable field", name, why: fields.blocking ?? "" }]
      : [{ kind: "field", name }];
  }
  if (rule.language !== "kuery" || rule.query.trim() === "") return [];
  const query = parseKql(rule.query);
  const held = await fieldsHeld(backend, names, kqlFields(query));
  return kqlLacks(query, {
    mapped: (field) => held.has(field),
    datasets: [...new Set(reached.flatMap((n) => n.datasets))],
  });
}

/** The fields among `fields` (patterns included) that some document behind `names` carries. */
async function fieldsHeld(
  backend: Backend,
  names: readonly string[],
  fields: readonly string[],
): Promise<Set<string>> {
  const counts = await Promise.all(
    fields.map(async (field) => {
      const { count } = await backend.client.count({
        index: [...names],
        query: { exists: { field } },
        ignore_unavailable: true,
        allow_no_indices: true,
      });
      return [field, count] as const;
    }),
  );
  return new Set(counts.filter(([, n]) => n > 0).map(([f]) => f));
}

/**
 * What a KQL query lacks to match any document of data with these fields and datasets: nothing when
 * some way to satisfy it is open, else the unmapped fields and absent datasets that close them all.
 * A clause on an unmapped field matches nothing, so its negation may match anything.
 */
export function kqlLacks(query: KqlNode, known: Knowledge): Lack[] {
  const verdict = neverMatches(query, "", known);
  return verdict.never ? dedupe(verdict.because) : [];
}

export interface Knowledge {
  readonly mapped: (field: string) => boolean;
  readonly datasets: readonly string[];
}

/** "never": no document of the data can match; otherwise it may. `because`: the lacks that decide it. */
type Verdict = { readonly never: true; readonly because: Lack[] } | { readonly never: false };

const MAY: Verdict = { never: false };

function neverMatches(node: KqlNode, prefix: string, known: Knowledge): Verdict {
  switch (node.kind) {
    case "and": {
      const never = node.children.map((c) => neverMatches(c, prefix, known)).find((v) => v.never);
      return never ?? MAY;
    }
    case "or": {
      const because: Lack[] = [];
      for (const child of node.children) {
        const verdict = neverMatches(child, prefix, known);
        if (!verdict.never) return MAY;
        because.push(...verdict.because);
      }
      return { never: true, because };
    }
    case "not":
      // A clause that never matches makes its negation match everything: it may.
      return MAY;
    case "nested":
      return neverMatches(node.query, `${prefix}${node.path}.`, known);
    case "text":
      return MAY;
    case "match":
    case "exists":
    case "range": {
      const field = prefix + node.field;
      if (!known.mapped(field)) return { never: true, because: [{ kind: "field", name: field }] };
      if (node.kind === "match" && field === "data_stream.dataset") {
        const value = node.value;
        const matches = value.wildcard
          ? known.datasets.some(wildcardMatcher(value.text))
          : known.datasets.includes(value.text);
        if (!matches) return { never: true, because: [{ kind: "dataset", name: value.text }] };
      }
      return MAY;
    }
  }
}

/** ES|QL's own verification names the columns no searched index has: asked with no rows wanted. */
async function esqlLacks(backend: Backend, rule: Rule, reached: readonly string[]): Promise<Lack[]> {
  try {
    await backend.client.transport.request({
      method: "POST",
      path: "/_query",
      body: { query: `${rule.query}\n| limit 0` },
    });
    return [];
  } catch (error) {
    if (!(error instanceof errors.ResponseError) || error.statusCode !== 400) throw error;
    const reason = (error.body as { error?: { reason?: string } } | undefined)?.error?.reason ?? "";
    const unknown = unknownColumns(reason);
    if (unknown.length === 0)
      throw new ScanproofError(
        `${rule.file}: ES|QL refused the query of rule "${rule.name}" over ${reached.join(", ")}: ${reason || error.message}`,
      );
    return unknown.map((name) => ({ kind: "field", name }));
  }
}

function dedupe(lacks: readonly Lack[]): Lack[] {
  const seen = new Map(lacks.map((l) => [`${l.kind}:${l.name}`, l]));
  return [...seen.values()];
}
