import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../backend/backend.js";
import { formatDuration } from "../context/durations.js";
import { ScanproofError } from "../core/errors.js";
import { Teardown } from "../core/lifecycle.js";
import { task } from "../core/progress.js";
import type { LogSourceName, SensorName } from "../core/vocabulary.js";
import { startLab } from "../lab/lab.js";
import type { LabPlan } from "../lab/topology.js";
import {
  awaitIngest,
  describeMissing,
  sawEveryEvent,
  scenarioFilter,
  shippedCompletely,
  summariseAccount,
} from "../logs/accounting.js";
import { relocateRun, type Relocated } from "../logs/history.js";
import type { HistoryRecord } from "../result.js";
import type { GroundTruth } from "../scanners/ground-truth.js";
import type { Scenario } from "../scenario/load.js";
import type { HistoryEntrySpec } from "../scenario/schema.js";
import { runSteps } from "./steps.js";

export interface HistoryOptions {
  readonly scenario: Scenario;
  readonly plan: LabPlan;
  readonly sensors: readonly SensorName[];
  readonly sources: readonly LogSourceName[];
  readonly backend: Backend;
  readonly runId: string;
  readonly workDir: string;
  /** The run's teardown: the history lab is removed with it on Ctrl-C. */
  readonly teardown: Teardown;
  readonly ingestTimeoutMs: number;
  /** Runs the scenario's rules as of a past moment over the history; resolves to the alerts raised. */
  readonly raiseAlerts: (at: Date) => Promise<number>;
}

const DAY_MS = 86_400_000;

/**
 * The past moments the rules run at over one entry's runs: the end of its latest run in each
 * 24-hour period counted back from `now`. Every run holds the same events, so one execution per
 * period finds what the period's alerts are, at the cost of a few executions however often it ran.
 */
export function ruleMoments(starts: readonly number[], tookMs: number, now: number): number[] {
  const latest = new Map<number, number>();
  for (const start of starts) {
    const period = Math.floor((now - start) / DAY_MS);
    latest.set(period, Math.max(latest.get(period) ?? start, start));
  }
  return [...latest.values()].map((start) => start + tookMs + 1_000).sort((a, b) => a - b);
}

/**
 * The past moments one entry's runs begin, oldest first, counted back from `now`: every `every`
 * over `for` (the latest one `every` before now), or each `ago`.
 */
export function occurrences(entry: HistoryEntrySpec, now: number): number[] {
  const back =
    entry.ago ??
    Array.from(
      { length: Math.floor((entry.for ?? 0) / (entry.every ?? 1)) },
      (_, k) => (k + 1) * (entry.every ?? 0),
    );
  return back.map((ms) => now - ms).sort((a, b) => a - b);
}

/**
 * Past runs must not overlap each other or reach the present: an entry whose steps took longer
 * than the spacing of its runs (its `every`, or the gap between its `ago`s and now) is refused.
 */
function checkSpacing(entry: HistoryEntrySpec, h: number, tookMs: number): void {
  const back = entry.ago ?? [entry.every ?? 0];
  const sorted = [...back].sort((a, b) => a - b);
  const spacing = Math.min(...sorted.map((ms, i) => ms - (sorted[i - 1] ?? 0)));
  if (tookMs >= spacing)
    throw new ScanproofError(
      `history[${h}]: its steps took ${formatDuration(tookMs)}, as long as the spacing of its runs (${formatDuration(spacing)}): its past runs would overlap each other or the scenario.`,
      `Space its runs wider (every, or ago) or make its steps shorter.`,
    );
}

/**
 * Produces a scenario's declared history for real: a lab of the same plan runs each entry's steps,
 * its sensors record them and the shipper indexes them, every event is accounted as a scenario's
 * would be (a loss fails the run here), and the lab is removed; then each entry's events are moved
 * to the past at every occurrence, labelled as history. The scenario's own lab starts after.
 */
export async function produceHistory(options: HistoryOptions): Promise<HistoryRecord[]> {
  const { scenario, backend } = options;
  const teardown = new Teardown();
  options.teardown.defer(`remove the history lab of ${scenario.id}`, () => teardown.run());
  const workDir = join(options.workDir, "history");
  const starts: number[] = [];
  let ended = Date.now();
  try {
    const lab = await startLab({
      runId: options.runId,
      scenarioId: scenario.id,
      plan: options.plan,
      sensors: options.sensors,
      backend,
      workDir,
      teardown,
    });
    const truths: GroundTruth[] = [];
    for (const [h, entry] of scenario.history.entries()) {
      starts.push(Date.now());
      const entryDir = join(workDir, `entry-${h + 1}`);
      mkdirSync(entryDir, { recursive: true });
      const ran = await lab.whileAlive(() =>
        runSteps(lab, { ...scenario, id: `${scenario.id} history ${h + 1}`, steps: entry.steps }, entryDir),
      );
      truths.push(...ran);
      checkSpacing(entry, h, Date.now() - (starts[h] ?? 0));
    }
    ended = Date.now();
    await lab.assertAlive();
    await lab.quiesce();
    const reports = await task(
      `[${scenario.id}] wait for the history's ${options.sources.join(", ")} events`,
      () =>
        Promise.all(
          options.sources.map((source) =>
            awaitIngest(backend, lab, source, truths, ended, options.ingestTimeoutMs),
          ),
        ),
      (r) => r.map(summariseAccount).join("; "),
    );
    const lost = reports.filter(
      (r) => (r.sensorRecords > 0 && !shippedCompletely(r)) || (r.expectedEvents > 0 && !sawEveryEvent(r)),
    );
    if (lost.length > 0)
      throw new ScanproofError(
        `The history of ${scenario.id} did not reach Elasticsearch whole: ${lost
          .map((r) => `${summariseAccount(r)}${r.missing.length > 0 ? ` (${describeMissing(r)})` : ""}`)
          .join("; ")}`,
        "History is only evidence when all of it arrived: see the history folder's sensor logs, or raise --ingest-timeout.",
      );
  } finally {
    await teardown.run();
  }
  const now = Date.now();
  const filters = scenarioFilter({ runId: options.runId, scenarioId: scenario.id });
  const moved: {
    entry: HistoryEntrySpec;
    at: number[];
    counts: Relocated;
    moments: number[];
  }[] = [];
  for (const [h, entry] of scenario.history.entries()) {
    const anchor = starts[h] ?? now;
    const from = h === 0 ? 0 : anchor;
    const until = starts[h + 1] ?? now;
    const at = occurrences(entry, now);
    const counts = await task(
      `[${scenario.id}] move history ${h + 1}/${scenario.history.length} into the past (${at.length} run${at.length === 1 ? "" : "s"})`,
      () => relocateRun(backend, filters, { anchor, from, until, occurrences: at }),
      (m) => `${m.recorded} events recorded, ${m.indexed} indexed in the past`,
    );
    moved.push({ entry, at, counts, moments: ruleMoments(at, (starts[h + 1] ?? ended) - anchor, now) });
  }
  // Every entry is in the past before any rule runs: a moment's look-back sees all of them.
  const moments = moved
    .flatMap(({ moments }, h) => moments.map((moment) => ({ moment, h })))
    .sort((x, y) => x.moment - y.moment);
  const alerts = await task(
    `[${scenario.id}] run the rules over the history (${moments.length} moment${moments.length === 1 ? "" : "s"}, one a day per entry)`,
    async () => {
      const raised = moved.map(() => 0);
      for (const { moment, h } of moments)
        raised[h] = (raised[h] ?? 0) + (await options.raiseAlerts(new Date(moment)));
      return raised;
    },
    (raised) => `${raised.reduce((n, r) => n + r, 0)} alerts`,
  );
  const records: HistoryRecord[] = moved.map(({ entry, at, counts, moments: own }, h) => ({
    entry: h,
    steps: entry.steps.length,
    runs: at.length,
    first: new Date(at[0] ?? now).toISOString(),
    last: new Date(at.at(-1) ?? now).toISOString(),
    recordedEvents: counts.recorded,
    indexedEvents: counts.indexed,
    ruleRuns: own.length,
    alerts: alerts[h] ?? 0,
  }));
  return records;
}
