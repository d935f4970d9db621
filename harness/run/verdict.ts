import type { Backend } from "../backend/backend.js";
import { verifyContainment, type ContainmentRecord } from "../escalation/containment.js";
import { judge } from "../judge/judge.js";
import type { StartedLab } from "../lab/started-lab.js";
import type { LabPlan } from "../lab/topology.js";
import { scenarioFilter, type LogSourceReport } from "../logs/accounting.js";
import type { AlertSummary, ScenarioResult, Verdict } from "../result.js";
import type { Scenario } from "../scenario/load.js";
import type { GroundTruth } from "../scanners/ground-truth.js";

/**
 * The verdict: every expectation of the scenario against what was observed, after each block a
 * contain step made is verified against what the firewall and the IDS logged after it.
 */
export async function verdictOf(
  scenario: Scenario,
  backend: Backend,
  observed: {
    readonly plan: LabPlan;
    readonly lab: StartedLab;
    readonly groundTruth: readonly GroundTruth[];
    readonly logs: readonly LogSourceReport[];
    /** Alerts contain steps raised before the last detection. */
    readonly alertedEarlier: readonly AlertSummary[];
    /** Alerts of the detection after the steps: the scenario's time to alert is their first. */
    readonly raised: readonly AlertSummary[];
    readonly containment: readonly ContainmentRecord[];
  },
): Promise<Pick<ScenarioResult, "verdict" | "alerts" | "timeToAlertMs" | "containment" | "expectations">> {
  const alerts = [...observed.alertedEarlier, ...observed.raised];
  const alertTimes = observed.raised.flatMap((a) => (a.timeToAlertMs === undefined ? [] : [a.timeToAlertMs]));
  const timeToAlertMs = alertTimes.length > 0 ? Math.min(...alertTimes) : undefined;
  const containment = await Promise.all(
    observed.containment.map(async (c) =>
      c.blocked
        ? { ...c, verification: await verifyContainment(backend, scenarioFilter(observed.lab), c) }
        : c,
    ),
  );
  const expectations = judge(scenario, {
    plan: observed.plan,
    groundTruth: observed.groundTruth,
    logs: observed.logs,
    alerts,
    containment,
    ...(timeToAlertMs === undefined ? {} : { timeToAlertMs }),
  });
  const verdict: Verdict = expectations.every((e) => e.passed) ? "pass" : "fail";
  return {
    verdict,
    alerts,
    ...(timeToAlertMs === undefined ? {} : { timeToAlertMs }),
    ...(containment.length > 0 ? { containment } : {}),
    expectations,
  };
}
