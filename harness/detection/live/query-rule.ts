import type { Backend } from "../../backend/backend.js";
import type { Detection } from "../rules/rule.js";
import type { QueryRule } from "../rules/rule.js";
import { alertId, searchRule, windowOf, windowQuery, type SearchContext } from "./search.js";
import { timeFields, timeOfHit, timeSort } from "./timestamp.js";

const PAGE_SIZE = 500;
/** Elasticsearch's default `index.max_result_window`: from + size may not exceed it. */
const MAX_RESULT_WINDOW = 10_000;
const GROUP_FIELDS = ["source.ip", "destination.ip"] as const;

/**
 * Kibana's custom query semantics: one alert per matching event, oldest first, its id tied to the
 * event so that an event seen again by an overlapping window is the same alert.
 */
export async function* queryDetections(
  backend: Backend,
  rule: QueryRule,
  context: SearchContext,
): AsyncGenerator<Detection[]> {
  for (let from = 0; from < MAX_RESULT_WINDOW; from += PAGE_SIZE) {
    const response = await searchRule(backend, rule, {
      from,
      size: PAGE_SIZE,
      query: windowQuery(rule, context),
      sort: timeSort(rule),
      fields: [...GROUP_FIELDS, ...timeFields(rule)],
      _source: false,
    });
    const hits = response.hits.hits;
    yield hits.map((hit) => {
      const values = GROUP_FIELDS.flatMap((f) => {
        const value = (hit.fields?.[f] as unknown[] | undefined)?.[0];
        return typeof value === "string" ? [[f, value] as const] : [];
      });
      const at = timeOfHit(rule, hit.fields);
      return {
        id: alertId(rule, context.scopeKey, [hit._index, hit._id]),
        rule,
        group: { ...Object.fromEntries(values), "event.id": hit._id ?? "" },
        evidence: { events: 1, distinct: [], firstSeen: at, lastSeen: at },
        window: windowOf(context),
      };
    });
    if (hits.length < PAGE_SIZE) return;
  }
}
