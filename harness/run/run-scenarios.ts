import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../backend/backend.js";
import { startEmbeddedElasticsearch } from "../backend/embedded.js";
import { connectExternalCluster, externalClusterFromEnv } from "../backend/external.js";
import { Teardown, withTeardown } from "../core/lifecycle.js";
import { resultsDir } from "../core/paths.js";
import { inPool } from "../core/pool.js";
import { say, withProgressSink } from "../core/progress.js";
import type { SensorName } from "../core/vocabulary.js";
import { settleEsqlRules } from "../detection/live/backend-rules.js";
import { requireDocker } from "../docker/client.js";
import { prune, pruneOrphans } from "../lab/prune.js";
import { writeReports } from "../report/write-reports.js";
import type { RunResult, ScenarioProgress, ScenarioResult } from "../result.js";
import { loadInputs, type InputFiles, type LoadedInputs } from "./inputs.js";
import { ScenarioRun, type ScenarioContext } from "./scenario-run.js";

export interface RunSettings {
  /** An already started backend (tests share one); otherwise embedded or SCANPROOF_ES_URL. */
  readonly backend?: Backend;
  readonly ingestTimeoutMs?: number;
  /** Scenarios run at the same time, each in its own lab (default 1). */
  readonly concurrency?: number;
  /** Leave the lab of a scenario that did not pass, and Elasticsearch, running for inspection. */
  readonly keepLab?: boolean;
  /** Told each scenario's phase as it changes: the live terminal view. */
  readonly onProgress?: (update: ScenarioProgress) => void;
  /**
   * Sensors started beside each scenario's own for another detector to read (the detection matrix's
   * NetFlow, psad and scanlogd). Their events are shipped and accounted, but each verdict is decided
   * as the scenario is written: rules that read only their sources do not run for it.
   */
  readonly observers?: readonly SensorName[];
}

/** A run of the inputs in these files, or of inputs already loaded (and validated) once. */
export type RunOptions = RunSettings & (InputFiles | { readonly inputs: LoadedInputs });

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

/**
 * Runs every scenario, each in a lab of its own, `concurrency` at a time, against one backend; writes
 * the reports and returns the results. Everything the run starts is removed when it ends, also on
 * failure and on Ctrl-C, except a lab kept for inspection and the backend it ships to.
 */
export async function runScenarios(options: RunOptions): Promise<RunResult> {
  const { scenarios, rules: loaded, contextOf } = "inputs" in options ? options.inputs : loadInputs(options);
  await requireDocker();
  const swept = await pruneOrphans();
  if (swept.runs.length > 0)
    say(
      `Removed ${swept.containers} containers and ${swept.networks} networks left by killed runs (${swept.runs.join(", ")})`,
    );
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const runDir = join(resultsDir(), runId);
  mkdirSync(runDir, { recursive: true });
  say(
    `Run ${runId}: ${scenarios.length} scenario${scenarios.length === 1 ? "" : "s"}, ${loaded.rules.length + loaded.esql.length} rules; results in ${runDir}`,
  );
  const teardown = new Teardown();
  teardown.defer(`remove anything else labelled with run ${runId}`, () =>
    kept ? Promise.resolve() : pruneRun(runId),
  );
  /** Elasticsearch stays up as long as a kept lab ships to it. */
  const backendTeardown = new Teardown();
  let kept = false;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const progress = options.onProgress ?? (() => undefined);
  const results = await withTeardown(teardown, async () => {
    const backend = options.backend ?? (await openBackend(runId, backendTeardown));
    if (!options.backend)
      teardown.defer("stop the run's backend", () => (kept ? Promise.resolve() : backendTeardown.run()));
    const rules = await settleEsqlRules(backend, loaded);
    for (const s of rules.skipped) say(`  rule skipped: ${s.file}: ${s.reason}`);
    for (const scenario of scenarios) progress({ scenarioId: scenario.id, phase: "queued", detail: "" });
    const out = await inPool(scenarios, concurrency, (scenario) =>
      runScenario({
        scenario,
        rules,
        context: contextOf(scenario),
        backend,
        runId,
        runDir,
        teardown,
        ingestTimeoutMs: options.ingestTimeoutMs ?? 60_000,
        keepLab: options.keepLab ?? false,
        observers: options.observers ?? [],
        ownLog: concurrency > 1,
        progress,
      }),
    );
    kept = out.some((r) => r.keptLab);
    return { results: out, backend: backend.description, rules };
  });
  const result: RunResult = {
    runId,
    startedAt,
    endedAt: new Date().toISOString(),
    backend: results.backend,
    rules: { loaded: results.rules.rules.map((r) => r.ruleId), skipped: results.rules.skipped },
    scenarios: results.results,
    resultsDir: runDir,
  };
  writeReports(result, runDir);
  return result;
}

/** Runs one scenario in a lab of its own; its progress goes to its own log when labs run side by side. */
async function runScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const workDir = join(ctx.runDir, ctx.scenario.id);
  mkdirSync(workDir, { recursive: true });
  const run = () => new ScenarioRun(ctx, workDir).run();
  if (!ctx.ownLog) return run();
  const log = join(workDir, "progress.log");
  return withProgressSink((line) => appendFileSync(log, `${line}\n`), run);
}

/** How long a container create that was in flight when the run was interrupted may take to land. */
const IN_FLIGHT_CREATE_MS = 1_500;

/**
 * Removes whatever still carries the run's label: a container whose start was interrupted (Ctrl-C
 * while it waited to be ready) was never registered for teardown. A second pass catches a create
 * request that was still on its way to Docker during the first.
 */
async function pruneRun(runId: string): Promise<void> {
  await prune(runId);
  await new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_CREATE_MS));
  await prune(runId);
}

export async function openBackend(runId: string, teardown: Teardown): Promise<Backend> {
  const external = externalClusterFromEnv();
  return external ? connectExternalCluster(external, teardown) : startEmbeddedElasticsearch(runId, teardown);
}
