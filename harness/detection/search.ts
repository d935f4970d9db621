import { createHash } from "node:crypto";
import type { estypes } from "@elastic/elasticsearch";
import type { Rule } from "./rule.js";
import type { ExecutionWindow } from "./schedule.js";
import { timeRange } from "./timestamp.js";

/** What one search of a rule execution covers. */
export interface SearchContext {
  readonly window: ExecutionWindow;
  /** Extra filters that confine the rule to one scenario's (or one lab's) events. */
  readonly filters: readonly estypes.QueryDslQueryContainer[];
  /** Part of each alert id: the same rule and group in another scope is another alert. */
  readonly scopeKey: string;
}

export const SEARCH_DEFAULTS = { ignore_unavailable: true, allow_no_indices: true } as const;

/** The rule's query and filters, within the window and the scope, with any extra clauses. */
export function windowQuery(
  rule: Rule,
  context: SearchContext,
  extra: { filter?: estypes.QueryDslQueryContainer[]; mustNot?: estypes.QueryDslQueryContainer[] } = {},
): estypes.QueryDslQueryContainer {
  return {
    bool: {
      filter: [
        rule.filter,
        timeRange(rule, { gte: context.window.gte, lte: context.window.lte }),
        ...context.filters,
        ...(extra.filter ?? []),
      ],
      ...(extra.mustNot?.length ? { must_not: extra.mustNot } : {}),
    },
  };
}

/** A stable alert id: the same parts always give the same id, so writing it twice alerts once. */
export function alertId(rule: Rule, scopeKey: string, parts: readonly unknown[]): string {
  return createHash("sha256")
    .update(JSON.stringify([rule.ruleId, scopeKey, ...parts]))
    .digest("hex")
    .slice(0, 32);
}

/** A composite aggregation key as strings, which is how groups and alerts carry field values. */
export function groupOf(key: Record<string, estypes.FieldValue>): Record<string, string> {
  return Object.fromEntries(Object.entries(key).map(([k, v]) => [k, String(v)]));
}

export function windowOf(context: SearchContext): { gte: string; lte: string } {
  return { gte: context.window.gte.toISOString(), lte: context.window.lte.toISOString() };
}
