import { fieldPatternMatches, isFieldPattern, kqlFields, kqlToQueryDsl, parseKql } from "./kql.js";
import { withFilters } from "./query-filters.js";
import type { Rule } from "./rule.js";

/** What one field pattern of a rule's query expanded to in the searched indices. */
export interface FieldPatternExpansion {
  readonly pattern: string;
  readonly fields: readonly string[];
}

/** The field patterns (`file.hash.*`) of a KQL rule's query, as written. */
export function ruleFieldPatterns(rule: Rule): string[] {
  if (rule.language !== "kuery" || rule.query.trim() === "") return [];
  return kqlFields(parseKql(rule.query)).filter(isFieldPattern);
}

/**
 * The rule with its query's field patterns expanded into the mapped fields they match, as Kibana's
 * detection engine expands them against the fields of the rule's index patterns before it searches.
 * Lucene queries need nothing: `query_string` expands field patterns itself.
 */
export function expandFieldPatterns(
  rule: Rule,
  mappedFields: readonly string[],
): { rule: Rule; expansions: FieldPatternExpansion[] } {
  const patterns = ruleFieldPatterns(rule);
  if (patterns.length === 0) return { rule, expansions: [] };
  const matching = (pattern: string): string[] =>
    mappedFields.filter((field) => fieldPatternMatches(pattern, field)).sort();
  const filter = withFilters(kqlToQueryDsl(parseKql(rule.query), matching), rule.filterClauses ?? []);
  return {
    rule: { ...rule, filter },
    expansions: patterns.map((pattern) => ({ pattern, fields: matching(pattern) })),
  };
}
