import type { estypes } from "@elastic/elasticsearch";

/**
 * scanproof's extension to the rule format: a top-level `[scanproof]` table whose
 * `inventory_filter` confines the rule to events the asset inventory (the escalation context's
 * `assets`, placed in the lab) says something about. Kibana does not know it; scanproof adds the
 * filter to every search of the rule.
 *
 * - `undeclared-services`: the event's destination is an inventory asset and its transport and
 *   destination port are not a service that asset declares.
 */
export const INVENTORY_FILTERS = ["undeclared-services"] as const;
export type InventoryFilter = (typeof INVENTORY_FILTERS)[number];

export interface ThreatMapping {
  readonly tactic: { readonly id: string; readonly name: string };
  readonly techniques: readonly {
    readonly id: string;
    readonly name: string;
    readonly subtechniques: readonly { readonly id: string; readonly name: string }[];
  }[];
}

/** A rule as its file holds it (detection-rules' layout; a Kibana export's rule as its `rule`). */
export interface RuleDocument {
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly scanproof?: Readonly<Record<string, unknown>>;
  readonly rule: Readonly<Record<string, unknown>>;
}

interface RuleBase {
  readonly file: string;
  /** The document the rule was read from, for exporting it again. */
  readonly document?: RuleDocument;
  readonly ruleId: string;
  readonly name: string;
  readonly description: string;
  readonly severity: "low" | "medium" | "high" | "critical";
  readonly riskScore: number;
  /** The rule's index patterns; an ES|QL rule's are its FROM command's. */
  readonly index: readonly string[];
  readonly language: "kuery" | "lucene" | "esql";
  readonly query: string;
  /**
   * The compiled query (KQL or Lucene) and the rule's filters as Elasticsearch DSL; for an ES|QL
   * rule, whose conditions Elasticsearch evaluates in `_query`, its filters alone (sent beside the
   * query, as Kibana sends them). KQL field patterns are expanded against the searched indices'
   * mappings before a search (`field-patterns.ts`); until then they stand as written.
   */
  readonly filter: estypes.QueryDslQueryContainer;
  /** Kibana's enabled filters beside the query, already part of `filter`. */
  readonly filterClauses?: readonly FilterClause[];
  /** Kibana's `from`: how far before the execution time each window starts. */
  readonly lookbackMs: number;
  /** Kibana's `to`: how far before the execution time each window ends (0 for "now"). */
  readonly endOffsetMs: number;
  readonly intervalMs: number;
  /** Kibana's `max_signals`: the most alerts one execution creates. */
  readonly maxSignals: number;
  /** `timestamp_override`, else `@timestamp`. */
  readonly timestampField: string;
  /**
   * With a timestamp override, events without that field are placed by `@timestamp`, as Kibana
   * does unless `timestamp_override_fallback_disabled` is set.
   */
  readonly timestampFallback: boolean;
  readonly threat: readonly ThreatMapping[];
  /** scanproof's `[scanproof] inventory_filter` extension (detection/inventory-filter.ts). */
  readonly inventoryFilter?: InventoryFilter;
}

/** One of Kibana's filters: a query clause that must match, or must not when negated. */
export interface FilterClause {
  readonly negate: boolean;
  readonly clause: estypes.QueryDslQueryContainer;
}

/** Kibana's custom query rule: one alert per matching event. */
export interface QueryRule extends RuleBase {
  readonly type: "query";
}

/** One alert per group of events that reaches the count and the distinct-value thresholds. */
export interface ThresholdRule extends RuleBase {
  readonly type: "threshold";
  readonly threshold: {
    readonly fields: readonly string[];
    readonly value: number;
    readonly cardinality: readonly { readonly field: string; readonly value: number }[];
  };
}

/** One alert per combination of field values seen in the window but never in the history before it. */
export interface NewTermsRule extends RuleBase {
  readonly type: "new_terms";
  readonly newTerms: {
    readonly fields: readonly string[];
    /** Kibana's `history_window_start`: how far before the execution time the history starts. */
    readonly historyWindowMs: number;
  };
}

/**
 * Kibana's ES|QL rule: Elasticsearch runs the query over the look-back window (`_query` with a
 * time-range filter) and each row it returns is an alert. Whether it can run depends on the
 * backend, so it is decided once one is up.
 */
export interface EsqlRule extends RuleBase {
  readonly type: "esql";
  readonly language: "esql";
  /** A STATS query: its rows are groups, not events, and are identified by window and position. */
  readonly aggregating: boolean;
}

export type Rule = QueryRule | ThresholdRule | NewTermsRule | EsqlRule;

/** One rule as read: to run, to decide once the backend is known (ES|QL), or skipped with why. */
export type LoadedRule =
  | { ok: true; rule: Rule }
  | { ok: true; esql: EsqlRule }
  | { ok: false; skipped: SkippedRule };

/** Where a rule's keys and its query start in the file it came from, for problems about them. */
export interface RuleOrigin {
  readonly file: string;
  /** Where the rule's document starts. */
  readonly start: { line: number; column: number };
  key(key: string): { line: number; column: number };
  /** Where the query's first character is: KQL and Lucene errors are placed from it. */
  query(): { line: number; column: number };
}

/** What Kibana's exception lists, where a rule's format carries them, make of a rule's `exceptions_list`. */
export type ExceptionResolution =
  | { readonly ok: true; readonly clauses: readonly FilterClause[] }
  | { readonly ok: false; readonly reason: string };

/** A rule file that was read but will not run, with the precise reason. */
export interface SkippedRule {
  readonly file: string;
  readonly ruleId?: string;
  readonly name?: string;
  readonly reason: string;
}

export interface RuleSet {
  readonly rules: readonly Rule[];
  /** ES|QL rules, loaded or skipped once the backend's capabilities are known. */
  readonly esql: readonly EsqlRule[];
  readonly skipped: readonly SkippedRule[];
}

/** What a rule found, before escalation: the group it fired for and the evidence counts. */
export interface Detection {
  /** Stable for one rule, scope and finding: writing it twice never makes two alerts. */
  readonly id: string;
  readonly rule: Rule;
  readonly group: Readonly<Record<string, string>>;
  readonly evidence: {
    readonly events: number;
    readonly distinct: readonly { readonly field: string; readonly values: number }[];
    readonly firstSeen: string;
    readonly lastSeen: string;
  };
  readonly window: { readonly gte: string; readonly lte: string };
}
