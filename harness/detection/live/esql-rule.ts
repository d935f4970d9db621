import { errors, type estypes } from "@elastic/elasticsearch";
import type { Backend } from "../../backend/backend.js";
import type { Detection, EsqlRule } from "../rules/rule.js";
import { alertId, RuleCannotApplyError, RuleSearchError, windowOf, type SearchContext } from "./search.js";
import { timeRange } from "./timestamp.js";

/** Kibana asks for at most this many times `max_signals` rows: ES|QL has no pagination. */
const PAGES = 3;
/** `_query`'s answer with `drop_null_columns`: the columns some row has a value in. */
interface EsqlResponse {
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly values: readonly (readonly unknown[])[];
}

/** The `_query` request Kibana sends for one execution window of an ES|QL rule. */
export function esqlRequest(
  rule: EsqlRule,
  context: SearchContext,
  size: number,
): { query: string; filter: estypes.QueryDslQueryContainer } {
  return {
    query: `${rule.query}\n| limit ${size}`,
    filter: {
      bool: {
        filter: [
          ...(rule.filterClauses?.length ? [rule.filter] : []),
          timeRange(rule, { gte: context.window.gte, lte: context.window.lte }),
          ...context.filters,
        ],
      },
    },
  };
}

/** The columns an ES|QL verification error names as unknown: fields no searched index maps. */
export function unknownColumns(reason: string): string[] {
  return [...new Set([...reason.matchAll(/Unknown column \[([^\]]+)\]/g)].map((m) => m[1] ?? ""))];
}

async function runEsql(
  backend: Backend,
  rule: EsqlRule,
  body: ReturnType<typeof esqlRequest>,
): Promise<EsqlResponse> {
  try {
    return await backend.client.transport.request<EsqlResponse>({
      method: "POST",
      path: "/_query",
      querystring: { drop_null_columns: true },
      body,
    });
  } catch (error) {
    if (error instanceof errors.ResponseError && error.statusCode === 400) {
      const reason = (error.body as { error?: { reason?: string } } | undefined)?.error?.reason;
      const unknown = unknownColumns(reason ?? "");
      if (unknown.length > 0)
        throw new RuleCannotApplyError(
          rule,
          `no searched index has ${unknown.join(", ")} (ES|QL: Unknown column)`,
        );
      throw new RuleSearchError(rule, reason ?? error.message);
    }
    throw error;
  }
}

/** ES|QL answers scalars; anything else is shown as JSON rather than "[object Object]". */
const text = (value: unknown): string =>
  typeof value === "object" && value !== null
    ? JSON.stringify(value)
    : String(value as string | number | boolean);

/** A row's values as alert group fields: multi-valued columns joined with commas, nulls left out. */
export function rowGroup(columns: EsqlResponse["columns"], row: readonly unknown[]): Record<string, string> {
  const group: Record<string, string> = {};
  columns.forEach((column, i) => {
    const value = row[i];
    if (value === null || value === undefined) return;
    group[column.name] = Array.isArray(value) ? value.map(text).join(",") : text(value);
  });
  return group;
}

const DATE_TYPES = new Set(["date", "date_nanos"]);

/**
 * When a row's events happened, as far as the row tells: the span of its date columns (the event's
 * own time for a row that keeps it, a STATS row's time bucket such as DATE_TRUNC's), or the whole
 * window for a row that carries no date.
 */
export function rowTimes(
  columns: EsqlResponse["columns"],
  row: readonly unknown[],
  window: { gte: string; lte: string },
): { firstSeen: string; lastSeen: string } {
  const times = columns
    .flatMap((c, i) => (DATE_TYPES.has(c.type) ? [row[i]].flat() : []))
    .filter((v): v is string => typeof v === "string")
    .map((v) => Date.parse(v))
    .filter((t) => !Number.isNaN(t));
  if (times.length === 0) return { firstSeen: window.gte, lastSeen: window.lte };
  return {
    firstSeen: new Date(Math.min(...times)).toISOString(),
    lastSeen: new Date(Math.max(...times)).toISOString(),
  };
}

/**
 * Kibana's ES|QL rule semantics: the query runs over the window with `| limit max_signals`, each
 * row one alert; while a page comes back full, the limit grows by `max_signals` (up to three times
 * it) and only the new rows count. A row of an aggregating (STATS) query is identified by the
 * window and its position, a row that carries `_id` (METADATA _id) by its event; any other row by
 * the window and its position too.
 */
export async function* esqlDetections(
  backend: Backend,
  rule: EsqlRule,
  context: SearchContext,
): AsyncGenerator<Detection[]> {
  for (let size = rule.maxSignals; size <= rule.maxSignals * PAGES; size += rule.maxSignals) {
    const response = await runEsql(backend, rule, esqlRequest(rule, context, size));
    const first = size - rule.maxSignals;
    yield response.values.slice(first).map((row, i) => {
      const group = rowGroup(response.columns, row);
      const event = !rule.aggregating && group._id !== undefined;
      return {
        id: alertId(
          rule,
          context.scopeKey,
          event
            ? [group._index, group._id, group._version]
            : [context.window.gte.toISOString(), context.window.lte.toISOString(), first + i],
        ),
        rule,
        group,
        evidence: { events: 1, distinct: [], ...rowTimes(response.columns, row, windowOf(context)) },
        window: windowOf(context),
      };
    });
    if (response.values.length < size) return;
  }
}
