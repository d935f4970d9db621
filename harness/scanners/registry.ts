import type { z } from "zod";
import type { ScopeGuard } from "../lab/scope-guard.js";
import { commandStep, CommandStepSchema } from "./command.js";
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
  CommandStepSchema,
  ContainStepSchema,
] as const;

export type ToolStepSpec = z.output<(typeof TOOL_STEP_SCHEMAS)[number]>;

type KindOf<T extends ToolStepSpec["tool"]> = StepKind<Extract<ToolStepSpec, { readonly tool: T }>>;

/** The kind of every tool, by tool: a tool the schemas accept without a kind here does not compile. */
const KINDS: { readonly [T in ToolStepSpec["tool"]]: KindOf<T> } = {
  nmap: nmapStep,
  masscan: masscanStep,
  http: httpStep,
  ffuf: ffufStep,
  "gobuster-dns": gobusterDnsStep,
  axfr: axfrStep,
  nikto: niktoStep,
  command: commandStep,
  contain: containStep,
};

export const TOOL_STEPS: readonly StepKind<ToolStepSpec>[] = Object.values(
  KINDS,
) as readonly StepKind<ToolStepSpec>[];

function kindOf(step: ToolStepSpec): StepKind<ToolStepSpec> {
  // TypeScript cannot follow that the kind looked up by a step's tool takes that step's shape.
  return KINDS[step.tool] as StepKind<ToolStepSpec>;
}

export function describeToolStep(step: ToolStepSpec): string {
  return kindOf(step).describe(step);
}

/** The argument layer of the scope guard for one step; throws `steps[i].field: …` when it fails. */
export function planStep(step: ToolStepSpec, index: number, guard: ScopeGuard, uplink: string): PlannedStep {
  return kindOf(step).plan(step, index, guard, uplink);
}
