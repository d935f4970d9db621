import type { ScopeGuard } from "../lab/scope-guard.js";
import type { StartedLab } from "../lab/started-lab.js";
import type { GroundTruth } from "./ground-truth.js";

/** Runs a command in the step's traffic source (or, for validate, in a network-less copy of its image). */
export type ToolExec = (
  command: readonly string[],
) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

/** What every step has: the tool it runs (a traffic source's `from`, for those sent from one). */
export interface ToolStepBase {
  readonly tool: string;
}

/**
 * What a step may ask of the run beyond its lab: the playbook's containment of a source, decided
 * on the alerts so far. A run without detection (`lab up`) has no such port.
 */
export interface StepPorts {
  contain(address: string, index: number): Promise<GroundTruth>;
}

/** A step whose destinations the argument layer has checked: how to check it with the tool, and run it. */
export interface PlannedStep {
  /**
   * The tool layer, before anything is sent: the tool itself lists what it will target (nmap `-sL`,
   * masscan `--echo`) and every address is checked. Validate runs it without a lab.
   */
  checkWithTool?(exec: ToolExec, guard: ScopeGuard): Promise<void>;
  /** Runs the step in its source; the ground truth is what it reports it sent. */
  run(lab: StartedLab, guard: ScopeGuard, workDir: string, ports: StepPorts): Promise<GroundTruth>;
}

/**
 * One tool a scenario step can run, defined in its module beside the step's schema: how a progress
 * line describes it, and its plan: every field that names a destination through the scope guard
 * (the argument layer, which throws `steps[i].field: …`), then how it is checked and run.
 */
export interface StepKind<S extends ToolStepBase> {
  readonly tool: S["tool"];
  describe(step: S): string;
  plan(step: S, index: number, guard: ScopeGuard, uplink: string): PlannedStep;
}
