import type { Analysis } from "./escalation/analysis.js";
import type { ContainmentRecord } from "./escalation/containment.js";
import type { Enrichment, Reason } from "./escalation/escalate.js";
import type { NextAction } from "./escalation/next-action.js";
import type { SkippedRule } from "./detection/rule.js";
import type { LogSourceReport } from "./logs/accounting.js";
import type { GroundTruth } from "./scanners/ground-truth.js";
import type { Tier } from "./scenario/schema.js";

/** pass: every expectation held; fail: a detection or log expectation did not; error: the lab or a tool broke. */
export type Verdict = "pass" | "fail" | "error" | "skip";

export interface ExpectationResult {
  readonly id: string;
  readonly description: string;
  readonly passed: boolean;
  readonly expected: string;
  readonly observed: string;
}

export interface AlertSummary {
  readonly id: string;
  readonly ruleId: string;
  readonly ruleName: string;
  readonly severity: string;
  readonly riskScore: number;
  readonly techniques: readonly string[];
  readonly source?: string;
  readonly destination?: string;
  readonly events: number;
  readonly distinct: readonly { readonly field: string; readonly values: number }[];
  readonly tier: Tier;
  readonly reasons: readonly Reason[];
  /** The alert's first and last event, and every host it names. */
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  readonly targets?: readonly string[];
  /** The playbook's analysis questions answered, the enrichment and the next step (results since escalation details). */
  readonly analysis?: Analysis;
  readonly enrichment?: Enrichment;
  readonly nextAction?: NextAction;
  /** From the end of the steps it follows until this alert was searchable. */
  readonly timeToAlertMs?: number;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly file: string;
  readonly technique: string;
  readonly tags: readonly string[];
  readonly verdict: Verdict;
  /** Why the verdict is error or skip. */
  readonly reason?: string;
  readonly durationMs: number;
  readonly timings: Readonly<Record<string, number>>;
  readonly groundTruth: readonly GroundTruth[];
  readonly logs: readonly LogSourceReport[];
  readonly alerts: readonly AlertSummary[];
  /** From the end of the last step until the scenario's alerts were searchable. */
  readonly timeToAlertMs?: number;
  /** What each contain step decided and did, verified against the events that followed. */
  readonly containment?: readonly ContainmentRecord[];
  readonly expectations: readonly ExpectationResult[];
  /** The lab left running because the scenario did not pass and --keep-lab was given. */
  readonly keptLab?: KeptLab;
}

export interface KeptLab {
  readonly runId: string;
  /** The attacker's container name, for `docker exec`. */
  readonly attacker: string;
  readonly elasticsearch: string;
  readonly logDir: string;
}

export interface RunResult {
  readonly runId: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly backend: string;
  readonly rules: { readonly loaded: readonly string[]; readonly skipped: readonly SkippedRule[] };
  readonly scenarios: readonly ScenarioResult[];
  readonly resultsDir: string;
}

export function overallVerdict(results: readonly ScenarioResult[]): Verdict {
  if (results.some((r) => r.verdict === "error")) return "error";
  if (results.some((r) => r.verdict === "fail")) return "fail";
  return "pass";
}
