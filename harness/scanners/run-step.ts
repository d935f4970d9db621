import type { StartedLab } from "../lab/started-lab.js";
import type { ScopeGuard } from "../lab/scope-guard.js";
import type { ContainStepSpec, StepSpec } from "../scenario/schema.js";
import type { GroundTruth } from "./ground-truth.js";
import { runHttp } from "./http.js";
import { runMasscan } from "./masscan.js";
import { runNikto } from "./nikto.js";
import { runNmap } from "./nmap.js";
import { hostScope, nmapScope } from "./step-scope.js";
import { runAxfr, runFfuf, runGobusterDns } from "./wordlists.js";

/** Runs one tool step from its traffic source, after the scope guard checked every destination it names. */
export async function runStep(
  lab: StartedLab,
  step: Exclude<StepSpec, ContainStepSpec>,
  index: number,
  guard: ScopeGuard,
  workDir: string,
): Promise<GroundTruth> {
  if (step.tool === "nmap") {
    const nmap = nmapScope(step, index, guard, lab.host(step.from).uplink.interface);
    return await runNmap(lab, step, index, nmap, guard, workDir);
  }
  const target = hostScope(step, index, guard);
  switch (step.tool) {
    case "masscan":
      return runMasscan(lab, step, index, target, guard, workDir);
    case "http":
      return runHttp(lab, step, index, target);
    case "ffuf":
      return runFfuf(lab, step, index, target);
    case "gobuster-dns":
      return runGobusterDns(lab, step, index, target);
    case "axfr":
      return runAxfr(lab, step, index, target);
    case "nikto":
      return runNikto(lab, step, index, target, workDir);
  }
}
