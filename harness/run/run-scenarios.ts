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
import type { RuleSet } from "../detection/rules/rule.js";
import { settleEsqlRules } from "../detection/live/backend-rules.js";
import { requireDocker } from "../docker/client.js";
import { pruneOrphans, pruneRun } from "../lab/prune.js";
import { writeReports } from "../report/write-reports.js";
import type { RunResult, ScenarioProgress, ScenarioResult } from "../result.js";
import { loadInputs, type InputFiles, type LoadedInputs } from "./inputs.js";
import { ScenarioRun, type ScenarioContext, type ScenarioOutcome } from "./scenario-run.js";

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
  const { baseline } = await runSuite(options);
  return baseline;
}

/** The same scenarios judged by two rule sets. */
export interface RuleComparison {
  readonly baseline: RunResult;
  readonly changed: RunResult;
}

/**
 * Runs every scenario once and judges it by two rule sets: the inputs' (the baseline) and
 * `changedRules`, which runs over the same lab's events after the baseline's alerts of the scenario
 * are forgotten — one lab per scenario, and both sets see exactly the same data. A scenario with
 * contain steps is the exception: its rules decide a block during the steps, so it runs in a second
 * lab with the changed rules. Each set's reports go to `<run>/baseline/` and `<run>/changed/`.
 */
export async function compareRuleSets(
  options: RunOptions & { readonly changedRules: RuleSet },
): Promise<RuleComparison> {
  const { baseline, changed } = await runSuite(options, options.changedRules);
  if (!changed) throw new Error("a comparison run ended without the changed rule set's results");
  return { baseline, changed };
}

/** Where a changed rule set's second lab of a scenario runs: a run label and folder of its own. */
const CHANGED = "changed";

function hasContainSteps(ctx: ScenarioContext): boolean {
  return ctx.scenario.steps.some((s) => s.tool === "contain");
}

/** One scenario judged by the baseline, and by the changed rules when there are some. */
async function judgeScenario(ctx: ScenarioContext, changed: RuleSet | undefined): Promise<ScenarioOutcome> {
  if (!changed) return runScenario(ctx);
  if (!hasContainSteps(ctx)) return runScenario({ ...ctx, changedRules: changed });
  const { result } = await runScenario(ctx);
  const second = await runScenario({
    ...ctx,
    rules: changed,
    runId: `${ctx.runId}-${CHANGED}`,
    runDir: join(ctx.runDir, CHANGED),
  });
  return { result, changed: second.result };
}

async function runSuite(
  options: RunOptions,
  changedRules?: RuleSet,
): Promise<{ baseline: RunResult; changed?: RunResult }> {
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
    `Run ${runId}: ${scenarios.length} scenario${scenarios.length === 1 ? "" : "s"}, ${loaded.rules.length + loaded.esql.length} rules${changedRules ? `, and ${changedRules.rules.length + changedRules.esql.length} changed rules over the same events` : ""}; results in ${runDir}`,
  );
  const teardown = new Teardown();
  for (const id of changedRules ? [runId, `${runId}-${CHANGED}`] : [runId])
    teardown.defer(`remove anything else labelled with run ${id}`, () =>
      kept ? Promise.resolve() : pruneRun(id),
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
    const changed = changedRules && (await settleEsqlRules(backend, changedRules));
    for (const s of changed?.skipped ?? []) say(`  changed rule skipped: ${s.file}: ${s.reason}`);
    for (const scenario of scenarios) progress({ scenarioId: scenario.id, phase: "queued", detail: "" });
    const out = await inPool(scenarios, concurrency, (scenario) =>
      judgeScenario(
        {
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
        },
        changed,
      ),
    );
    kept = out.some((r) => r.result.keptLab);
    return { out, backend: backend.description, rules, changed };
  });
  const endedAt = new Date().toISOString();
  const runOf = (rules: RuleSet, scenarioResults: ScenarioResult[], dir: string): RunResult => ({
    runId,
    startedAt,
    endedAt,
    backend: results.backend,
    rules: { loaded: rules.rules.map((r) => r.ruleId), skipped: rules.skipped },
    scenarios: scenarioResults,
    resultsDir: dir,
  });
  if (!results.changed) {
    const baseline = runOf(
      results.rules,
      results.out.map((o) => o.result),
      runDir,
    );
    writeReports(baseline, runDir);
    return { baseline };
  }
  const baseline = runOf(
    results.rules,
    results.out.map((o) => o.result),
    join(runDir, "baseline"),
  );
  const changed = runOf(
    results.changed,
    results.out.map((o) => o.changed ?? o.result),
    join(runDir, CHANGED),
  );
  for (const run of [baseline, changed]) writeReports(run, run.resultsDir);
  return { baseline, changed };
}

/** Runs one scenario in a lab of its own; its progress goes to its own log when labs run side by side. */
async function runScenario(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const workDir = join(ctx.runDir, ctx.scenario.id);
  mkdirSync(workDir, { recursive: true });
  const run = () => new ScenarioRun(ctx, workDir).run();
  if (!ctx.ownLog) return run();
  const log = join(workDir, "progress.log");
  return withProgressSink((line) => appendFileSync(log, `${line}\n`), run);
}

export async function openBackend(runId: string, teardown: Teardown): Promise<Backend> {
  const external = externalClusterFromEnv();
  return external ? connectExternalCluster(external, teardown) : startEmbeddedElasticsearch(runId, teardown);
}
