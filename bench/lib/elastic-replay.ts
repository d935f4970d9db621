import type { Backend } from "../../harness/backend/backend.js";
import { executeRules } from "../../harness/detection/live/engine.js";
import type { Rule } from "../../harness/detection/rules/rule.js";
import type { EscalationContext } from "../../harness/context/context.js";
import { planLab } from "../../harness/lab/topology.js";
import { executionNotes, scenarioDetection } from "../../harness/run/detection.js";
import type { Scenario } from "../../harness/scenario/load.js";
import type { RuleAlert } from "../matrix-figures.js";

export interface ReplayedScenario {
  /** The scenario as the run loaded it: its id is on its events and alerts. */
  readonly scenario: Scenario;
  readonly context: EscalationContext;
  /** When the run's own rules ran for it: the moment these rules run as of. */
  readonly at: Date;
}

/**
 * Runs rules over one scenario's events of a finished run as they would have run beside the run's
 * own rules: the same execution time and look-back windows, the same escalation in the scenario's
 * context. Their alerts are written to the alerts index under the scenario's labels.
 */
async function replayRules(
  backend: Backend,
  rules: readonly Rule[],
  runId: string,
  target: ReplayedScenario,
): Promise<{ alerts: RuleAlert[]; notes: string[] }> {
  const executions = await executeRules(backend, rules, {
    startedAt: target.at,
    ...scenarioDetection(backend, target.context, {
      runId,
      scenarioId: target.scenario.id,
      plan: planLab(target.scenario),
    }),
  });
  const alerts = executions.flatMap((e) =>
    e.alerts.map((a): RuleAlert => {
      const source = a.group["source.ip"];
      const destination = a.group["destination.ip"];
      return {
        ruleId: a.rule.ruleId,
        ruleName: a.rule.name,
        ...(source === undefined ? {} : { source }),
        ...(destination === undefined ? {} : { destination }),
        tier: a.escalation.tier,
      };
    }),
  );
  return { alerts, notes: executionNotes(executions) };
}

/**
 * Replays the rules for each scenario in turn: every scenario's alerts by its id, and what the
 * engine said about the rules (rules that did not run, warnings), each once.
 */
export async function replayAfterRun(
  backend: Backend,
  rules: readonly Rule[],
  runId: string,
  targets: readonly ReplayedScenario[],
): Promise<{ alerts: Map<string, RuleAlert[]>; notes: string[] }> {
  const alerts = new Map<string, RuleAlert[]>();
  const notes = new Set<string>();
  for (const target of targets) {
    const replayed = await replayRules(backend, rules, runId, target);
    alerts.set(target.scenario.id, replayed.alerts);
    for (const note of replayed.notes) notes.add(note);
  }
  return { alerts, notes: [...notes].sort() };
}
