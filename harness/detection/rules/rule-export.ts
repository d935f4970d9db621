import { stringify as toToml } from "smol-toml";
import type { EsqlRule, Rule, RuleDocument } from "./rule.js";

/** Keys Kibana sets itself on a stored rule; an import gives them anew. */
const SERVER_KEYS = new Set([
  "id",
  "immutable",
  "rule_source",
  "revision",
  "created_at",
  "created_by",
  "updated_at",
  "updated_by",
  "execution_summary",
]);

export type ExportedRule =
  | { readonly ok: true; readonly ruleId: string; readonly kibana: Record<string, unknown> }
  | { readonly ok: false; readonly ruleId: string; readonly name: string; readonly reason: string };

/**
 * A rule as Kibana's import API takes it (the shape Kibana's export writes): detection-rules'
 * `[rule.new_terms]` table as `new_terms_fields` and `history_window_start`, and the rule's filters
 * and resolved exception lists as Kibana filters, which apply as the lists did. A rule using
 * scanproof's inventory filter is not exported: Kibana could not honour it.
 */
export function kibanaRuleOf(rule: Rule | EsqlRule): ExportedRule {
  const document = documentOf(rule);
  if (document.scanproof?.inventory_filter !== undefined) {
    return {
      ok: false,
      ruleId: rule.ruleId,
      name: rule.name,
      reason: `its [scanproof] inventory_filter (${JSON.stringify(document.scanproof.inventory_filter)}) has no Kibana equivalent, so Kibana would alert on events the filter excludes`,
    };
  }
  const kibana = portableTable(rule, document);
  const newTerms = kibana.new_terms as
    | { value: string[]; history_window_start: { value: string }[] }
    | undefined;
  if (newTerms) {
    delete kibana.new_terms;
    kibana.new_terms_fields = newTerms.value;
    kibana.history_window_start = newTerms.history_window_start[0]?.value;
  }
  const threshold = kibana.threshold as { field: string | string[] } | undefined;
  if (threshold && !Array.isArray(threshold.field)) {
    kibana.threshold = { ...threshold, field: threshold.field === "" ? [] : [threshold.field] };
  }
  return { ok: true, ruleId: rule.ruleId, kibana };
}

/**
 * The rule's table without the keys Kibana sets itself, and with exception lists that were
 * resolved from a Kibana export written as the Kibana filters they amount to, since the lists
 * themselves are not exported.
 */
function portableTable(rule: Rule | EsqlRule, document: RuleDocument): Record<string, unknown> {
  const table = Object.fromEntries(Object.entries(document.rule).filter(([key]) => !SERVER_KEYS.has(key)));
  const lists = table.exceptions_list;
  if ("filterClauses" in rule && Array.isArray(lists) && lists.length > 0) {
    delete table.exceptions_list;
    table.filters = (rule.filterClauses ?? []).map((c) => ({
      meta: { negate: c.negate, disabled: false },
      query: c.clause,
    }));
  }
  return table;
}

/** NDJSON for Kibana's import API: one rule a line, then the export summary Kibana writes last. */
export function kibanaNdjson(exported: readonly Record<string, unknown>[]): string {
  const summary = {
    exported_count: exported.length,
    exported_rules_count: exported.length,
    missing_rules: [],
    missing_rules_count: 0,
    exported_exception_list_count: 0,
    exported_exception_list_item_count: 0,
    missing_exception_list_item_count: 0,
    missing_exception_list_items: [],
    missing_exception_lists: [],
    missing_exception_lists_count: 0,
    exported_action_connector_count: 0,
    missing_action_connection_count: 0,
    missing_action_connections: [],
    excluded_action_connection_count: 0,
    excluded_action_connections: [],
  };
  return [...exported, summary].map((line) => JSON.stringify(line)).join("\n") + "\n";
}

/**
 * The rule as a detection-rules TOML file: its metadata (or a production one dated today), the
 * Kibana rule with `new_terms_fields` and `history_window_start` as the `[rule.new_terms]` table,
 * and scanproof's `[scanproof]` table where it has one.
 */
export function detectionRulesToml(rule: Rule | EsqlRule, today = new Date()): string {
  const document = documentOf(rule);
  const table = portableTable(rule, document);
  const fields = table.new_terms_fields;
  const start = table.history_window_start;
  if (fields !== undefined && start !== undefined) {
    delete table.new_terms_fields;
    delete table.history_window_start;
    table.new_terms = {
      field: "new_terms_fields",
      value: fields,
      history_window_start: [{ field: "history_window_start", value: start }],
    };
  }
  const date = today.toISOString().slice(0, 10).replaceAll("-", "/");
  const metadata = document.metadata ?? { creation_date: date, maturity: "production", updated_date: date };
  return toToml({ metadata, ...(document.scanproof ? { scanproof: document.scanproof } : {}), rule: table });
}

/** A file name for the rule: its name in lower case, words joined by underscores. */
export function ruleFileStem(rule: Rule | EsqlRule): string {
  const stem = rule.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_|_$/g, "");
  return stem === "" ? rule.ruleId : stem;
}

function documentOf(rule: Rule | EsqlRule): RuleDocument {
  if (!rule.document)
    throw new Error(`${rule.file}: the rule was not read from a file, so it cannot be exported`);
  return rule.document;
}
