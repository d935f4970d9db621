import { task } from "../core/progress.js";
import type { ContainmentRecord } from "../escalation/containment.js";
import { egressViolation } from "../lab/egress-guard.js";
import { ScopeGuard } from "../lab/scope-guard.js";
import type { StartedLab } from "../lab/started-lab.js";
import { labAddresses } from "../lab/topology.js";
import type { GroundTruth } from "../scanners/ground-truth.js";
import { describeToolStep } from "../scanners/registry.js";
import { runStep } from "../scanners/run-step.js";
import type { Scenario } from "../scenario/load.js";

import type { StepPorts } from "../scanners/step-kind.js";

/**
 * Runs a scenario's steps in order, each from the host its `from` names, every target through the
 * scope guard and every source's egress filter read after each step; `onStep` gets each step's
 * ground truth as it ends. A contain step asks `ports`, which only a run with detection has.
 */
export async function runSteps(
  lab: StartedLab,
  scenario: Scenario,
  workDir: string,
  onStep: (truth: GroundTruth, index: number) => void = () => undefined,
  ports?: StepPorts,
): Promise<GroundTruth[]> {
  const guard = new ScopeGuard(lab.subnets, labAddresses(lab.plan));
  const truths: GroundTruth[] = [];
  for (const [i, step] of scenario.steps.entries()) {
    const truth = await task(
      `[${scenario.id}] step ${i + 1}/${scenario.steps.length}: ${describeToolStep(step)}`,
      () => runStep(lab, step, i, guard, workDir, ports),
      (t) => t.summary,
    );
    const drops = await lab.egressDrops();
    if (drops.length > 0) throw egressViolation(drops, `steps[${i}]`);
    truths.push(truth);
    onStep(truth, i);
  }
  return truths;
}

/** A contain step's record as the ground truth of its step: what it ran, and why. */
export function containmentTruth(record: ContainmentRecord, index: number): GroundTruth {
  return {
    step: index,
    tool: "contain",
    command: record.commands,
    source: record.source,
    startedAt: record.at,
    endedAt: record.at,
    probes: [],
    events: [],
    summary: record.reason,
  };
}
