import type { estypes } from "@elastic/elasticsearch";
import type { FilterClause } from "./rule.js";

/** Kibana's filters beside the query: enabled ones must match, negated ones must not. */
export function withFilters(
  query: estypes.QueryDslQueryContainer,
  clauses: readonly FilterClause[],
): estypes.QueryDslQueryContainer {
  if (clauses.length === 0) return query;
  const mustNot = clauses.filter((c) => c.negate).map((c) => c.clause);
  return {
    bool: {
      filter: [query, ...clauses.filter((c) => !c.negate).map((c) => c.clause)],
      ...(mustNot.length > 0 ? { must_not: mustNot } : {}),
    },
  };
}
