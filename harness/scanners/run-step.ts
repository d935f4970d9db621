import { ScanproofError } from "../core/errors.js";
import type { ScopeGuard } from "../lab/scope-guard.js";
import type { StartedLab } from "../lab/started-lab.js";
import type { GroundTruth } from "./ground-truth.js";
import { planStep, type ToolStepSpec } from "./registry.js";
import type { StepPorts } from "./step-kind.js";
import { observeStep } from "./wire.js";

/** The lab interface a step's traffic source sends on; none for a step sent from no source. */
export function uplinkOf(lab: StartedLab, step: ToolStepSpec): string {
  return "from" in step ? lab.host(step.from).uplink.interface : "";
}

/** The ports of a lab without detection (`lab up`, tests of the lab alone): a contain step has nothing to decide on. */
const WITHOUT_DETECTION: StepPorts = {
  contain: (_address, index) =>
    Promise.reject(
      new ScanproofError(
        `steps[${index}]: a contain step decides on the alerts so far, and nothing detects here.`,
        "Run the scenario with `scanproof run`.",
      ),
    ),
};

/**
 * Runs one step from its traffic source, after the scope guard checked every destination it names;
 * a step sent from a source is captured there, and its ground truth carries what the wire showed.
 */
export async function runStep(
  lab: StartedLab,
  step: ToolStepSpec,
  index: number,
  guard: ScopeGuard,
  workDir: string,
  ports: StepPorts = WITHOUT_DETECTION,
): Promise<GroundTruth> {
  const planned = planStep(step, index, guard, uplinkOf(lab, step));
  const run = () => planned.run(lab, guard, workDir, ports);
  return "from" in step ? observeStep(lab, lab.host(step.from), index, run) : run();
}
