import type { ScopeGuard } from "../lab/scope-guard.js";
import type { StartedLab } from "../lab/started-lab.js";
import type { GroundTruth } from "./ground-truth.js";
import { planStep, type ToolStepSpec } from "./registry.js";

/** Runs one tool step from its traffic source, after the scope guard checked every destination it names. */
export async function runStep(
  lab: StartedLab,
  step: ToolStepSpec,
  index: number,
  guard: ScopeGuard,
  workDir: string,
): Promise<GroundTruth> {
  return planStep(step, index, guard, lab.host(step.from).uplink.interface).run(lab, guard, workDir);
}
