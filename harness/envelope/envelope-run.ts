import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../backend/backend.js";
import { requireDocker } from "../docker/client.js";
import { Teardown, withTeardown } from "../core/lifecycle.js";
import { resultsDir } from "../core/paths.js";
import { say, task } from "../core/progress.js";
import type { LogSourceName, SensorName } from "../core/vocabulary.js";
import { settleEsqlRules } from "../detection/live/backend-rules.js";
import type { RuleSet } from "../detection/rules/rule.js";
import { rulesReading, sourcesRead } from "../detection/rules/source-rules.js";
import { startLab } from "../lab/lab.js";
import { pruneOrphans, pruneRun } from "../lab/prune.js";
import { sourcesShippedBy } from "../lab/sensors.js";
import { ScopeGuard } from "../lab/scope-guard.js";
import { labAddresses, planLab } from "../lab/topology.js";
import type {
  EnvelopeContender,
  EnvelopeDimension,
  EnvelopeDimensionName,
  EnvelopeResult,
} from "../report/envelope-model.js";
import { newRunId, openBackend } from "../run/run-scenarios.js";
import { searchBoundaries } from "./bisect.js";
import type { DetectorName } from "./detectors.js";
import { dimensionPlan, type DimensionLimits } from "./dimensions.js";
import { contenderId, measurePoint, type PointBench } from "./point.js";

export interface EnvelopeOptions {
  /** Rule sets by origin (scanproof's pack, each `--rules` path, Elastic's published rules), loaded. */
  readonly ruleSets: readonly { readonly origin: string; readonly set: RuleSet }[];
  readonly detectors: readonly DetectorName[];
  readonly dimensions: readonly EnvelopeDimensionName[];
  readonly limits: DimensionLimits;
  /** At most this many points per dimension (the search stops with wider brackets). */
  readonly maxPoints?: number;
  /** Where the scans come from: the outside attacker (default) or an insider on the LAN. */
  readonly source?: EnvelopeSource;
  readonly ingestTimeoutMs?: number;
  /** An Elasticsearch already open (a bench's, the lab tests'); otherwise the run opens its own. */
  readonly backend?: Backend;
}

/**
 * The lab every envelope measures in: one web server behind the firewall, NetFlow watching when a
 * rule reads it, and the scans sent by the outside attacker or by an insider on the LAN (a private
 * address: Elastic's scan rules count only those).
 */
function envelopeLab(source: EnvelopeSource) {
  return {
    lab: {
      targets: [{ name: "web", kind: "web" as const }],
      hosts: source === "lan" ? [{ name: INSIDER, role: "attacker" as const, network: "lan" as const }] : [],
      sensors: [],
    },
  };
}
const INSIDER = "insider";

export type EnvelopeSource = "outside" | "lan";
const ENVELOPE_ID = "envelope";
const SOURCES: readonly LogSourceName[] = ["firewall", "flow", "web"];

export const ISOLATION =
  "Every point is its own scan, judged on its own events: rules search only events stamped within the point's scan (±1 s), on the schedule the rule gives it, with alerts and threshold history in a scope of the point's own; psad and scanlogd are restarted with empty state before each point and count only reports of the attacker from the point's start to 3 s after its end.";

/**
 * Measures where each contender stops detecting, dimension by dimension, in one lab started once:
 * each dimension's points found by bisection, every point a real scan from the attacker.
 */
export async function runEnvelope(
  options: EnvelopeOptions,
): Promise<{ result: EnvelopeResult; dir: string }> {
  const started = Date.now();
  const runId = `envelope-${newRunId()}`;
  const dir = join(resultsDir(), runId);
  const workDir = join(dir, ENVELOPE_ID);
  mkdirSync(workDir, { recursive: true });
  const teardown = new Teardown();
  const result = await withTeardown(teardown, async () => {
    await requireDocker();
    teardown.defer(`remove anything else labelled with run ${runId}`, () => pruneRun(runId));
    await pruneOrphans();
    const backend = options.backend ?? (await openBackend(runId, teardown));
    const source = options.source ?? "outside";
    const from = source === "lan" ? INSIDER : "attacker";
    const plan = planLab(envelopeLab(source));
    const target = plan.targets[0]?.address ?? "";
    const ruleSets = await Promise.all(
      options.ruleSets.map(async ({ origin, set }) => ({
        origin,
        rules: rulesReading((await settleEsqlRules(backend, set)).rules, SOURCES),
      })),
    );
    const read = new Set(ruleSets.flatMap((s) => s.rules.flatMap(sourcesRead)));
    const sensors: SensorName[] = read.has("flow") ? ["flow"] : [];
    const lab = await startLab({
      runId,
      scenarioId: ENVELOPE_ID,
      plan,
      sensors: [...sensors, ...options.detectors],
      backend,
      workDir,
      teardown,
    });
    const bench: PointBench = {
      lab,
      backend,
      guard: new ScopeGuard(lab.subnets, labAddresses(lab.plan)),
      workDir,
      sources: ["firewall", ...sourcesShippedBy(sensors)],
      ruleSets,
      detectors: options.detectors,
      ingestTimeoutMs: options.ingestTimeoutMs ?? 60_000,
      truths: [],
      from,
      skipped: new Map(),
    };
    const contenders: EnvelopeContender[] = [
      ...ruleSets.flatMap(({ origin, rules }) =>
        rules.map((r) => ({
          id: contenderId(origin, r.ruleId),
          name: r.name,
          kind: "rule" as const,
          origin,
          ruleId: r.ruleId,
        })),
      ),
      ...options.detectors.map((d) => ({ id: d, name: d, kind: "detector" as const, origin: d })),
    ];
    const dimensions: EnvelopeDimension[] = [];
    for (const name of options.dimensions)
      dimensions.push(await measureDimension(bench, name, target, contenders, options));
    return {
      kind: "scanproof-envelope" as const,
      runId,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      isolation: ISOLATION,
      source: `${source === "lan" ? "an insider on the LAN" : "the outside attacker"} (${lab.host(from).plan.seenAs})`,
      contenders: contenders.map((c) => {
        const note = bench.skipped.get(c.id);
        return note === undefined ? c : { ...c, note: `skipped: ${note}` };
      }),
      dimensions,
    };
  });
  return { result, dir };
}

async function measureDimension(
  bench: PointBench,
  name: EnvelopeDimensionName,
  target: string,
  contenders: readonly EnvelopeContender[],
  options: EnvelopeOptions,
): Promise<EnvelopeDimension> {
  const plan = dimensionPlan(name, target, options.limits, bench.from);
  const started = Date.now();
  say(`\n${plan.title}: ${plan.values[0]} … ${plan.values.at(-1)} ${plan.unit} (${plan.fixed})`);
  const search = await task(
    `${plan.title}: bisection over ${plan.values.length} values for ${contenders.length} contenders`,
    () =>
      searchBoundaries({
        count: plan.values.length,
        contenders: contenders.map((c) => c.id),
        ...(options.maxPoints === undefined ? {} : { maxPoints: options.maxPoints }),
        measure: async (index) => {
          const value = plan.values[index] ?? 0;
          const point = await measurePoint(bench, name, index, value, plan.step(value));
          const fired = contenders.filter((c) => point.detected[c.id]).length;
          say(`    ${value} ${plan.unit}: ${fired}/${contenders.length} contenders detected`);
          return { point, detected: point.detected };
        },
      }),
    (s) => `${s.measured.length} points`,
  );
  const valueAt = (i: number | undefined) => (i === undefined ? undefined : plan.values[i]);
  return {
    name,
    title: plan.title,
    unit: plan.unit,
    evasive: plan.evasive,
    range: [plan.values[0] ?? 0, plan.values.at(-1) ?? 0],
    fixed: plan.fixed,
    points: search.measured.map((m) => m.point),
    boundaries: search.brackets.map((b) => {
      const lastDetected = valueAt(b.lastDetected);
      const firstMissed = valueAt(b.firstMissed);
      return {
        contender: b.contender,
        ...(lastDetected === undefined ? {} : { lastDetected }),
        ...(firstMissed === undefined ? {} : { firstMissed }),
        monotone: b.monotone,
      };
    }),
    durationMs: Date.now() - started,
  };
}
