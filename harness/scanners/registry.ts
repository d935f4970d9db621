import type { z } from "zod";
import { ScanproofError } from "../core/errors.js";
import type { ScopeGuard } from "../lab/scope-guard.js";
import { containStep, ContainStepSchema } from "./contain.js";
import { httpStep, HttpStepSchema } from "./http.js";
import { masscanStep, MasscanStepSchema } from "./masscan.js";
import { niktoStep, NiktoStepSchema } from "./nikto.js";
import { nmapStep, NmapStepSchema } from "./nmap.js";
import type { PlannedStep, StepKind } from "./step-kind.js";
import {
  axfrStep,
  AxfrStepSchema,
  DnsWordlistStepSchema,
  ffufStep,
  gobusterDnsStep,
  WebWordlistStepSchema,
} from "./wordlists.js";

/**
 * Every tool a scenario step can run. A new tool is its module (schema, description, plan, run)
 * and a line in each list here; the scenario schema, the scope guard, validate and the run take it
 * from these lists.
 */
export const TOOL_STEP_SCHEMAS = [
  NmapStepSchema,
  MasscanStepSchema,
  HttpStepSchema,
  WebWordlistStepSchema,
  DnsWordlistStepSchema,
  AxfrStepSchema,
  NiktoStepSchema,
  ContainStepSchema,
] as const;

export type ToolStepSpec = z.output<(typeof TOOL_STEP_SCHEMAS)[number]>;

export const TOOL_STEPS = [
  nmapStep,
  masscanStep,
  httpStep,
  ffufStep,
  gobusterDnsStep,
  axfrStep,
  niktoStep,
  containStep,
] as const;

function kindOf(step: ToolStepSpec): StepKind<ToolStepSpec> {
  const kind = TOOL_STEPS.find((k) => k.tool === step.tool);
  if (!kind) throw new ScanproofError(`no step kind is registered for the tool "${step.tool}"`);
  // The kind's tool is the step's: its functions take exactly this step's shape.
  return kind as unknown as StepKind<ToolStepSpec>;
}

export function describeToolStep(step: ToolStepSpec): string {
  return kindOf(step).describe(step);
}

/** The argument layer of the scope guard for one step; throws `steps[i].field: …` when it fails. */
export function planStep(step: ToolStepSpec, index: number, guard: ScopeGuard, uplink: string): PlannedStep {
  return kindOf(step).plan(step, index, guard, uplink);
}
