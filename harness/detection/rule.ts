import type { estypes } from "@elastic/elasticsearch";

export interface ThreatMapping {
  readonly tactic: { readonly id: string; readonly name: string };
  readonly techniques: readonly {
    readonly id: string;
    readonly name: string;
    readonly subtechniques: readonly { readonly id: string; readonly name: string }[];
  }[];
}

interface RuleBase {
  readonly file: string;
  readonly ruleId: string;
  readonly name: string;
  readonly description: string;
  readonly severity: "low" | "medium" | "high" | "critical";
  readonly riskScore: number;
  readonly index: readonly string[];
  readonly language: "kuery" | "lucene";
  readonly query: string;
  /** The compiled query (KQL or Lucene) as Elasticsearch DSL. */
  readonly filter: estypes.QueryDslQueryContainer;
  readonly lookbackMs: number;
  readonly intervalMs: number;
  readonly maxSignals: number;
  readonly timestampField: string;
  readonly threat: readonly ThreatMapping[];
}

export interface QueryRule extends RuleBase {
  readonly type: "query";
}

export interface ThresholdRule extends RuleBase {
  readonly type: "threshold";
  readonly threshold: {
    readonly fields: readonly string[];
    readonly value: number;
    readonly cardinality: readonly { readonly field: string; readonly value: number }[];
  };
}

export type Rule = QueryRule | ThresholdRule;

/** A rule file that was read but will not run, with the precise reason. */
export interface SkippedRule {
  readonly file: string;
  readonly ruleId?: string;
  readonly name?: string;
  readonly reason: string;
}
