import { ScanproofError } from "../core/errors.js";
import { ScopeGuard } from "../lab/scope-guard.js";
import { SEGMENTS } from "../lab/segments.js";
import { labAddresses, labSubnets, planLab } from "../lab/topology.js";
import { planStep } from "../scanners/registry.js";
import type { CrossProblem } from "./load.js";
import type { ScenarioSpec, StepSpec } from "./schema.js";

/**
 * The argument layer of the scope guarantee, needing no lab: every field that names a destination
 * goes through the guard, and nmap's arguments through the classifier. `validate` and a run call
 * the same functions, so whatever a run would refuse here, validate refuses too.
 */
export function checkStepScope(step: StepSpec, index: number, guard: ScopeGuard, uplink: string): void {
  planStep(step, index, guard, uplink);
}

/** Where a scope error's `steps[i].field` prefix points in the scenario file. */
const STEP_PLACE = /^steps\[(\d+)\](?:\.(\w+)(?:\[(\d+)\])?)?[^:]*: /;

/**
 * A scope error of step `index` as a located problem: the field it names, the message without it.
 * `at` is where the step is in the file (a history entry's steps are not the scenario's).
 */
export function stepProblem(
  error: unknown,
  index: number,
  at: readonly PropertyKey[] = ["steps", index],
): CrossProblem {
  if (!(error instanceof ScanproofError)) throw error;
  const place = STEP_PLACE.exec(error.message);
  return {
    path: [...at, ...(place?.[2] ? [place[2]] : []), ...(place?.[3] ? [Number(place[3])] : [])],
    message: place ? error.message.slice(place[0].length) : error.message,
  };
}

/** The guard of a scenario's planned lab, and the lab interface each step's source sends on. */
export function plannedScope(spec: ScenarioSpec): {
  guard: ScopeGuard;
  uplinkOf: (step: StepSpec) => string;
} {
  const plan = planLab(spec);
  return {
    guard: new ScopeGuard(labSubnets(plan), labAddresses(plan)),
    uplinkOf: (step) => {
      const from = "from" in step ? plan.hosts.find((h) => h.name === step.from) : undefined;
      return from ? SEGMENTS[from.network].interface : "";
    },
  };
}

/**
 * The argument layer for every step of a scenario against its planned lab, as located problems:
 * loading a scenario (and so `validate`) refuses whatever a run's guard would refuse before it starts.
 */
export function scenarioScopeProblems(spec: ScenarioSpec): CrossProblem[] {
  const { guard, uplinkOf } = plannedScope(spec);
  const problems: CrossProblem[] = [];
  const check = (steps: readonly StepSpec[], at: (i: number) => PropertyKey[]) =>
    steps.forEach((step, i) => {
      try {
        checkStepScope(step, i, guard, uplinkOf(step));
      } catch (error) {
        problems.push(stepProblem(error, i, at(i)));
      }
    });
  spec.history.forEach((entry, h) => check(entry.steps, (i) => ["history", h, "steps", i]));
  check(spec.steps, (i) => ["steps", i]);
  return problems;
}
