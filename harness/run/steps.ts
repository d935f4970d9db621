import { ScanproofError } from "../core/errors.js";
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
import type { ContainStepSpec, StepSpec } from "../scenario/schema.js";

/**
 * Runs a scenario's steps in order, each from the host its `from` names, every target through the
 * scope guard and every source's egress filter read after each step; `onStep` gets each step's
 * ground truth as it ends. A contain step is handed to `contain`, which only a full run has.
 */
export async function runSteps(
  lab: StartedLab,
  scenario: Scenario,
  workDir: string,
  onStep: (truth: GroundTruth, index: number) => void = () => undefined,
  contain?: (step: ContainStepSpec, index: number) => Promise<GroundTruth>,
): Promise<GroundTruth[]> {
  const guard = new ScopeGuard(lab.subnets, labAddresses(lab.plan));
  const truths: GroundTruth[] = [];
  const containStep = (step: ContainStepSpec, index: number): Promise<GroundTruth> => {
    if (contain) return contain(step, index);
    throw new ScanproofError(
      `steps[${index}]: a contain step decides on the alerts so far, and nothing detects here.`,
      "Run the scenario with `scanproof run`.",
    );
  };
  for (const [i, step] of scenario.steps.entries()) {
    const truth = await task(
      `[${scenario.id}] step ${i + 1}/${scenario.steps.length}: ${describeStep(step)}`,
      () => (step.tool === "contain" ? containStep(step, i) : runStep(lab, step, i, guard, workDir)),
      (t) => t.summary,
    );
    const drops = await lab.egressDrops();
    if (drops.length > 0) throw egressViolation(drops, `steps[${i}]`);
    truths.push(truth);
    onStep(truth, i);
  }
  return truths;
}

function describeStep(step: StepSpec): string {
  return step.tool === "contain"
    ? `contain ${step.source} if its alerts reach Tier 2`
    : describeToolStep(step);
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
