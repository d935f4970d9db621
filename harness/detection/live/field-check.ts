import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../../backend/backend.js";
import { fieldPatternMatches, isFieldPattern, kqlFields, parseKql } from "../rules/kql.js";
import type { Rule } from "../rules/rule.js";
import { SEARCH_DEFAULTS } from "./search.js";

/** What the searched indices' mappings mean for one rule. */
export interface FieldCheck {
  /** The concrete indices the rule's patterns match now. */
  readonly indices: readonly string[];
  readonly warnings: readonly string[];
  /**
   * The mapped fields (objects aside, as a Kibana data view lists them) that the rule names, its
   * query's field patterns expanded.
   */
  readonly mappedFields: readonly string[];
  /** Why the rule cannot run against these indices at all, when it cannot. */
  readonly blocking?: string;
  /** The field that makes it so. */
  readonly blockingField?: string;
}

const DATE_TYPES = new Set(["date", "date_nanos"]);
const OBJECT_TYPES = new Set(["object", "nested"]);

/** The fields the rule groups or counts by, each with the role it plays. */
function aggregationFields(rule: Rule): { field: string; role: string }[] {
  switch (rule.type) {
    case "threshold":
      return [
        ...rule.threshold.fields.map((field) => ({ field, role: "threshold field" })),
        ...rule.threshold.cardinality.map((c) => ({ field: c.field, role: "cardinality field" })),
      ];
    case "new_terms":
      return rule.newTerms.fields.map((field) => ({ field, role: "new terms field" }));
    case "query":
    case "esql":
      return [];
  }
}

function queryFields(rule: Rule): string[] {
  return rule.language === "kuery" && rule.query.trim() !== "" ? kqlFields(parseKql(rule.query)) : [];
}

/** Field types as `_field_caps` reports them for the rule's index patterns. */
export async function checkFields(backend: Backend, rule: Rule): Promise<FieldCheck> {
  const fields = [
    rule.timestampField,
    "@timestamp",
    ...aggregationFields(rule).map((f) => f.field),
    ...queryFields(rule),
  ];
  const caps = await backend.client.fieldCaps({
    ...SEARCH_DEFAULTS,
    index: [...rule.index],
    fields: [...new Set(fields)],
  });
  return assessFieldCaps(rule, caps);
}

/**
 * Kibana runs such rules and finds nothing; scanproof says why: an aggregation over a field no
 * searched index can aggregate never makes a group, and a window over an unmapped time never matches.
 */
export function assessFieldCaps(rule: Rule, caps: estypes.FieldCapsResponse): FieldCheck {
  const indices = typeof caps.indices === "string" ? [caps.indices] : caps.indices;
  const mappedFields = Object.entries(caps.fields)
    .filter(([, byType]) => Object.keys(byType).some((t) => !OBJECT_TYPES.has(t)))
    .map(([field]) => field);
  if (indices.length === 0) {
    return {
      indices,
      mappedFields,
      warnings: [`no index matches ${rule.index.join(", ")}: nothing was searched`],
    };
  }
  const where = `in ${indices.join(", ")}`;
  const types = (field: string): Record<string, estypes.FieldCapsFieldCapability> => caps.fields[field] ?? {};
  const isDate = (field: string): boolean => Object.keys(types(field)).some((t) => DATE_TYPES.has(t));
  const warnings: string[] = [];

  if (!isDate(rule.timestampField)) {
    if (!rule.timestampFallback || !isDate("@timestamp")) {
      return {
        indices,
        mappedFields,
        warnings,
        blockingField: rule.timestampField,
        blocking: `the timestamp field ${rule.timestampField} is not mapped as a date ${where}, so no event falls in a window`,
      };
    }
    warnings.push(
      `timestamp_override ${rule.timestampField} is not mapped as a date ${where}: every event is placed by @timestamp (Kibana's fallback)`,
    );
  }
  for (const { field, role } of aggregationFields(rule)) {
    const found = Object.entries(types(field));
    if (found.length === 0) {
      return {
        indices,
        mappedFields,
        warnings,
        blockingField: field,
        blocking: `${role} ${field} is not mapped ${where}, so no group can form`,
      };
    }
    const unaggregatable = found.filter(([, cap]) => !cap.aggregatable).map(([type]) => type);
    if (unaggregatable.length === found.length) {
      return {
        indices,
        mappedFields,
        warnings,
        blockingField: field,
        blocking: `${role} ${field} cannot be aggregated ${where} (mapped as ${unaggregatable.join(", ")}), so no group can form`,
      };
    }
  }
  const mapped = (field: string): boolean =>
    isFieldPattern(field)
      ? mappedFields.some((m) => fieldPatternMatches(field, m))
      : Object.keys(types(field)).length > 0;
  // Elasticsearch refuses a query on a field that is neither indexed nor has doc values (ECS maps
  // event.original so) in every shard that maps it so: Kibana's search of such a rule fails there.
  const unsearchable = queryFields(rule).find(
    (f) => !isFieldPattern(f) && Object.values(types(f)).some((cap) => !cap.searchable),
  );
  if (unsearchable !== undefined) {
    const cannot = Object.values(types(unsearchable)).flatMap((cap) => cap.non_searchable_indices ?? []);
    return {
      indices,
      mappedFields,
      warnings,
      blockingField: unsearchable,
      blocking: `the query's field ${unsearchable} cannot be searched in ${cannot.length > 0 ? cannot.join(", ") : indices.join(", ")} (neither indexed nor with doc values), so Elasticsearch refuses the search there`,
    };
  }
  const unmapped = queryFields(rule).filter((f) => !mapped(f));
  if (unmapped.length > 0) {
    warnings.push(
      `the query names fields not mapped ${where}, whose clauses match nothing: ${unmapped.join(", ")}`,
    );
  }
  return { indices, mappedFields, warnings };
}
