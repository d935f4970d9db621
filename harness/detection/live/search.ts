import { createHash } from "node:crypto";
import { errors, type estypes } from "@elastic/elasticsearch";
import type { Backend } from "../../backend/backend.js";
import { shardFailure } from "../../backend/shard-failure.js";
import { ScanproofError } from "../../core/errors.js";
import type { Rule } from "../rules/rule.js";
import type { ExecutionWindow } from "../rules/schedule.js";
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

/** Elasticsearch could not run a rule's search over all its data: what it found is no verdict. */
export class RuleSearchError extends ScanproofError {
  constructor(
    readonly rule: Pick<Rule, "name" | "file">,
    readonly why: string,
  ) {
    super(
      `rule "${rule.name}" (${rule.file}): Elasticsearch could not run its search: ${why}`,
      "Fix the rule's query for the field types of the indices it reads, or narrow its index patterns.",
    );
    this.name = "RuleSearchError";
  }
}

/**
 * Elasticsearch refused the rule because it reads fields that no searched index has (ES|QL's
 * "Unknown column"): the rule cannot apply to these events, which is no failed search.
 */
export class RuleCannotApplyError extends RuleSearchError {
  constructor(rule: Pick<Rule, "name" | "file">, why: string) {
    super(rule, why);
    this.name = "RuleCannotApplyError";
  }
}

/**
 * One search of a rule over its index patterns. A refused query (HTTP 400) and a search that failed
 * on some shards (HTTP 200 with `_shards.failures`, as when a field has another type in one of the
 * indices) are both a RuleSearchError: a partial answer would pass for a rule that found nothing.
 */
export async function searchRule(
  backend: Backend,
  rule: Rule,
  request: Omit<estypes.SearchRequest, "index">,
): Promise<estypes.SearchResponse> {
  let response: estypes.SearchResponse;
  try {
    response = await backend.client.search({ ...SEARCH_DEFAULTS, ...request, index: [...rule.index] });
  } catch (error) {
    if (error instanceof errors.ResponseError && error.statusCode === 400)
      throw new RuleSearchError(rule, firstReason(error.body) ?? error.message);
    throw error;
  }
  const shards = shardFailure(response);
  if (shards !== undefined)
    throw new RuleSearchError(
      rule,
      `${shards.failed} of ${shards.total} shards failed${shards.reason ? `: ${shards.reason}` : ""}`,
    );
  return response;
}

function firstReason(body: unknown): string | undefined {
  const error = (body as { error?: { root_cause?: { reason?: string }[]; reason?: string } } | undefined)
    ?.error;
  return error?.root_cause?.[0]?.reason ?? error?.reason;
}

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
