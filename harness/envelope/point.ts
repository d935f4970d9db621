import type { Backend } from "../backend/backend.js";
import { ScanproofError } from "../core/errors.js";
import { task } from "../core/progress.js";
import type { LogSourceName } from "../core/vocabulary.js";
import type { Rule } from "../detection/rules/rule.js";
import { egressViolation } from "../lab/egress-guard.js";
import type { ScopeGuard } from "../lab/scope-guard.js";
import type { StartedLab } from "../lab/started-lab.js";
import { awaitIngest, describeMissing, sawEveryEvent } from "../logs/accounting.js";
import type { EnvelopePoint } from "../report/envelope-model.js";
import type { GroundTruth } from "../scanners/ground-truth.js";
import { describeToolStep, type ToolStepSpec } from "../scanners/registry.js";
import { runStep } from "../scanners/run-step.js";
import { DETECTOR_SETTLE_MS, detectorsDetected, restartDetectors, type DetectorName } from "./detectors.js";
import { pointScopeKey, pointWindow, type PointWindow } from "./point-window.js";
import { rulesDetected } from "./rule-outcome.js";

/** Rules of one origin (scanproof's pack, a user's rule path, Elastic's published rules). */
export interface RuleContenders {
  readonly origin: string;
  readonly rules: readonly Rule[];
}

/** A contender's id in an envelope: its origin and its own id, so two versions of a rule can compete. */
export function contenderId(origin: string, id: string): string {
  return `${origin}/${id}`;
}

/** The lab an envelope measures in, and what every point of it is judged by. */
export interface PointBench {
  readonly lab: StartedLab;
  readonly backend: Backend;
  readonly guard: ScopeGuard;
  readonly workDir: string;
  readonly sources: readonly LogSourceName[];
  readonly ruleSets: readonly RuleContenders[];
  readonly detectors: readonly DetectorName[];
  readonly ingestTimeoutMs: number;
  /** The traffic source every point's scan is sent from. */
  readonly from: string;
  /** Every point's ground truth so far: the lab's accounting is over all of them. */
  readonly truths: GroundTruth[];
  /** Why each contender was skipped at some point. */
  readonly skipped: Map<string, string>;
}

/**
 * Measures one point: the detectors restarted with empty state, the scan run from the attacker
 * through the step registry and the scope guard, every event it caused searchable in every source
 * (or the point is refused), then every contender judged on that point's events alone.
 */
export async function measurePoint(
  bench: PointBench,
  dimension: string,
  index: number,
  value: number,
  step: ToolStepSpec,
): Promise<EnvelopePoint> {
  const { lab, backend } = bench;
  if (bench.detectors.length > 0)
    await task(`  restart ${bench.detectors.join(", ")} with empty state`, () =>
      restartDetectors(lab, bench.detectors),
    );
  const stepIndex = bench.truths.length;
  const truth = await task(`  ${dimension}: ${describeToolStep(step)}`, () =>
    lab.whileAlive(() => runStep(lab, step, stepIndex, bench.guard, bench.workDir)),
  );
  const drops = await lab.egressDrops();
  if (drops.length > 0) throw egressViolation(drops, `the envelope's ${dimension} point ${index}`);
  bench.truths.push(truth);
  const ended = Date.now();
  const reports = await task(`  wait for ${bench.sources.join(", ")} events of the point`, () =>
    Promise.all(
      bench.sources.map((s) => awaitIngest(backend, lab, s, bench.truths, ended, bench.ingestTimeoutMs)),
    ),
  );
  const incomplete = reports.find((r) => r.expectedEvents > 0 && !sawEveryEvent(r));
  if (incomplete)
    throw new ScanproofError(
      `the envelope's ${dimension} point ${index}: ${incomplete.source} did not show every event of the scan within ${bench.ingestTimeoutMs / 1000} s (${describeMissing(incomplete)}); its outcome would be no evidence.`,
    );
  const window = pointWindow(truth.startedAt, truth.endedAt);
  const settle = window.end.getTime() + DETECTOR_SETTLE_MS - Date.now();
  if (settle > 0) await new Promise((r) => setTimeout(r, settle));
  const detected = await task(`  judge the point by every contender`, () =>
    judge(bench, dimension, index, window),
  );
  return {
    value,
    startedAt: truth.startedAt,
    endedAt: truth.endedAt,
    command: truth.command.join(" "),
    detected,
  };
}

/** Every contender's outcome on one point: the detectors' reports, then each rule set's executions. */
async function judge(
  bench: PointBench,
  dimension: string,
  index: number,
  window: PointWindow,
): Promise<Record<string, boolean>> {
  const { lab } = bench;
  const searchableAt = new Date();
  const detected = detectorsDetected(lab.logDir, bench.detectors, lab.host(bench.from).plan.seenAs, window);
  for (const set of bench.ruleSets) {
    const scope = pointScopeKey(lab.runId, `${dimension}/${set.origin}`, index);
    const outcome = await rulesDetected(bench.backend, set.rules, lab, window, scope, searchableAt);
    for (const [id, fired] of Object.entries(outcome.detected)) detected[contenderId(set.origin, id)] = fired;
    for (const [id, why] of Object.entries(outcome.skipped))
      bench.skipped.set(contenderId(set.origin, id), why);
  }
  return detected;
}
