import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "./backend/backend.js";
import { startEmbeddedElasticsearch } from "./backend/embedded.js";
import { connectExternalCluster, externalClusterFromEnv } from "./backend/external.js";
import type { Alert } from "./detection/alerts.js";
import { settleEsqlRules } from "./detection/backend-rules.js";
import { executeRules, type ExecutionOptions, type RuleExecution } from "./detection/engine.js";
import type { RuleSet } from "./detection/rule.js";
import { loadRules } from "./detection/rule-loader.js";
import { rulesReading } from "./detection/source-rules.js";
import { requireDocker } from "./docker/client.js";
import { describeError, ScanproofError } from "./core/errors.js";
import { loadContext, type EscalationContext } from "./context/context.js";
import { escalate, type Escalation } from "./escalation/escalate.js";
import { inPool } from "./core/pool.js";
import { contain, verifyContainment, type ContainmentRecord } from "./escalation/containment.js";
import { gatherFacts } from "./escalation/gather-facts.js";
import { placeInventory } from "./context/inventory.js";
import { judge } from "./judge/judge.js";
import { startLab } from "./lab/lab.js";
import { FLUSHED_ON_STOP, sourcesShippedBy } from "./lab/sensors.js";
import { type StartedLab } from "./lab/started-lab.js";
import { recordLab } from "./lab/lab-records.js";
import { egressViolation } from "./lab/egress-guard.js";
import { ScopeGuard } from "./lab/scope-guard.js";
import { labAddresses, planLab, SOURCE_BY_KIND, type LabPlan } from "./lab/topology.js";
import { Teardown, withTeardown } from "./core/lifecycle.js";
import { prune, pruneOrphans } from "./lab/prune.js";
import { awaitIngest, scenarioFilter, type LogSourceReport } from "./logs/accounting.js";
import { resultsDir } from "./core/paths.js";
import { writeReports } from "./report/write-reports.js";
import { say, task, withProgressSink } from "./core/progress.js";
import type {
  AlertSummary,
  RunResult,
  ScenarioPhase,
  ScenarioProgress,
  ScenarioResult,
  Verdict,
} from "./result.js";
import type { KeptLab } from "./lab/lab-records.js";
import type { GroundTruth } from "./scanners/ground-truth.js";
import { runStep } from "./scanners/run-step.js";
import { scenarioScopeProblems } from "./scanners/step-scope.js";
import { InputError, type Problem } from "./core/problems.js";
import { loadScenario, type Scenario } from "./scenario/load.js";
import { type ContainStepSpec, type StepSpec } from "./scenario/schema.js";
import { LOG_SOURCES, type LogSourceName, type SensorName } from "./core/vocabulary.js";

export interface RunOptions {
  readonly scenarioFiles: readonly string[];
  readonly rulePaths: readonly string[];
  readonly contextFile: string;
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

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

/** Validates every input before anything starts: all problems of all files, at once. */
export function loadInputs(options: Pick<RunOptions, "scenarioFiles" | "rulePaths" | "contextFile">): {
  scenarios: Scenario[];
  rules: RuleSet;
  context: EscalationContext;
  /** The escalation context of each scenario: its own `context` file, or the run's. */
  contextOf: (scenario: Scenario) => EscalationContext;
} {
  const problems: Problem[] = [];
  const collect = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (error instanceof InputError) problems.push(...error.problems);
      else throw error;
      return undefined;
    }
  };
  const scenarios = options.scenarioFiles.map((f) => collect(() => loadScenario(f, [scenarioScopeProblems])));
  const rules = collect(() => loadRules(options.rulePaths));
  const context = collect(() => loadContext(options.contextFile));
  const own = new Map<string, EscalationContext | undefined>();
  for (const s of scenarios)
    if (s?.contextFile !== undefined && !own.has(s.contextFile)) {
      const file = s.contextFile;
      own.set(
        file,
        collect(() => loadContext(file)),
      );
    }
  if (problems.length > 0 || !rules || !context) throw new InputError(problems);
  const ids = new Map<string, string>();
  for (const s of scenarios) {
    if (!s) continue;
    const other = ids.get(s.id);
    if (other)
      problems.push({
        file: s.file,
        line: 1,
        column: 1,
        path: "id",
        message: `scenario id "${s.id}" is also used by ${other}`,
      });
    ids.set(s.id, s.file);
  }
  if (problems.length > 0) throw new InputError(problems);
  return {
    scenarios: scenarios.filter((s): s is Scenario => s !== undefined),
    rules,
    context,
    contextOf: (s) => (s.contextFile === undefined ? undefined : own.get(s.contextFile)) ?? context,
  };
}

export async function runScenarios(options: RunOptions): Promise<RunResult> {
  const { scenarios, rules: loaded, contextOf } = loadInputs(options);
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

interface ScenarioContext {
  readonly scenario: Scenario;
  readonly rules: RuleSet;
  readonly context: EscalationContext;
  readonly backend: Backend;
  readonly runId: string;
  readonly runDir: string;
  /** The run's teardown: the scenario's own is registered in it, so Ctrl-C removes the lab too. */
  readonly teardown: Teardown;
  readonly ingestTimeoutMs: number;
  readonly keepLab: boolean;
  readonly observers: readonly SensorName[];
  /** Write the detailed progress to the scenario's own progress.log (labs running side by side). */
  readonly ownLog: boolean;
  readonly progress: (update: ScenarioProgress) => void;
}

async function runScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const workDir = join(ctx.runDir, ctx.scenario.id);
  mkdirSync(workDir, { recursive: true });
  if (!ctx.ownLog) return scenarioInLab(ctx, workDir);
  const log = join(workDir, "progress.log");
  return withProgressSink(
    (line) => appendFileSync(log, `${line}\n`),
    () => scenarioInLab(ctx, workDir),
  );
}

async function scenarioInLab(labCtx: ScenarioContext, workDir: string): Promise<ScenarioResult> {
  let ctx = labCtx;
  const { scenario } = ctx;
  const started = Date.now();
  const phase = (p: ScenarioPhase, detail = "", verdict?: Verdict) =>
    ctx.progress({ scenarioId: scenario.id, phase: p, detail, ...(verdict ? { verdict } : {}) });
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await work();
    } finally {
      timings[name] = Date.now() - t;
    }
  };
  const labTeardown = new Teardown();
  let keep = false;
  ctx.teardown.defer(`tear down the lab of ${scenario.id}`, () =>
    keep ? Promise.resolve() : labTeardown.run(),
  );
  const base = {
    id: scenario.id,
    title: scenario.title,
    file: scenario.file,
    technique: scenario.technique,
    tags: scenario.tags,
  };
  say(`\n[${scenario.id}] ${scenario.title}`);
  const truths: GroundTruth[] = [];
  const containment: ContainmentRecord[] = [];
  /** Alerts a contain step raised: the final detection does not raise them again. */
  const alertedEarlier: AlertSummary[] = [];
  let logs: LogSourceReport[] = [];
  let lab: StartedLab | undefined;
  const finish = async (result: ScenarioResult): Promise<ScenarioResult> => {
    keep = ctx.keepLab && result.verdict !== "pass" && lab !== undefined;
    if (!keep) await timed("teardownMs", () => labTeardown.run());
    phase("done", result.reason ?? "", result.verdict);
    const done = { ...result, durationMs: Date.now() - started, timings };
    if (!keep || !lab) return done;
    const kept = keptLab(lab, ctx.backend);
    recordLab({ ...kept, scenarioId: scenario.id });
    return { ...done, keptLab: kept };
  };
  try {
    const plan = planLab(scenario);
    const judged = labSources(plan, scenario);
    const rules = rulesReading(ctx.rules.rules, judged);
    if (rules.length < ctx.rules.rules.length)
      say(
        `  [${scenario.id}] ${ctx.rules.rules.length - rules.length} rules read only sources this lab does not write as the scenario declares it (${judged.join(", ")}): not run for it`,
      );
    ctx = { ...ctx, rules: { ...ctx.rules, rules } };
    const sources = [...new Set([...judged, ...sourcesShippedBy(ctx.observers)])];
    phase("lab", "starting");
    lab = await timed("labStartMs", () =>
      startLab({
        runId: ctx.runId,
        scenarioId: scenario.id,
        plan,
        sensors: [...new Set([...scenario.lab.sensors, ...ctx.observers])],
        backend: ctx.backend,
        workDir,
        teardown: labTeardown,
      }),
    );
    const running = lab;
    const steps = scenario.steps.length;
    phase("steps", `1/${steps}`);
    const containStep = async (step: ContainStepSpec, index: number): Promise<GroundTruth> => {
      alertedEarlier.push(...(await alertsSoFar(ctx, running, truths)));
      const record = await contain(running, index, running.host(step.source).address, [...alertedEarlier]);
      containment.push(record);
      return containmentTruth(record, index);
    };
    await timed("stepsMs", () =>
      running.whileAlive(() =>
        runSteps(
          running,
          scenario,
          workDir,
          (truth, i) => {
            truths.push(truth);
            if (i + 1 < steps) phase("steps", `${i + 2}/${steps}`);
          },
          containStep,
        ),
      ),
    );
    const stepsEnded = Date.now();
    await lab.assertAlive();
    await lab.quiesce();
    phase("ingest", sources.join(", "));
    logs = await timed("ingestMs", () =>
      task(
        `[${scenario.id}] wait for ${sources.join(", ")} events in Elasticsearch`,
        async () => {
          return Promise.all(
            sources.map((source) =>
              awaitIngest(ctx.backend, running, source, truths, stepsEnded, ctx.ingestTimeoutMs),
            ),
          );
        },
        (reports) =>
          reports
            .map(
              (r) =>
                `${r.source} ${r.indexed}/${r.sensorRecords} indexed, ${r.seenEvents}/${r.expectedEvents} events`,
            )
            .join("; "),
      ),
    );
    await running.assertAlive();
    phase("detection", `${ctx.rules.rules.length} rules`);
    const raised = await timed("detectionMs", () =>
      task(
        `[${scenario.id}] run ${ctx.rules.rules.length} rules and escalate`,
        () => detectAndEscalate(ctx, running, stepsEnded),
        (a) => `${a.length} alert${a.length === 1 ? "" : "s"}`,
      ),
    );
    const alertTimes = raised.flatMap((a) => (a.timeToAlertMs === undefined ? [] : [a.timeToAlertMs]));
    const timeToAlertMs = alertTimes.length > 0 ? Math.min(...alertTimes) : undefined;
    const alerts = [...alertedEarlier, ...raised];
    const contained = await Promise.all(
      containment.map(async (c) =>
        c.blocked
          ? { ...c, verification: await verifyContainment(ctx.backend, scenarioFilter(running), c) }
          : c,
      ),
    );
    const expectations = judge(scenario, {
      plan,
      logs,
      alerts,
      containment: contained,
      ...(timeToAlertMs === undefined ? {} : { timeToAlertMs }),
    });
    return await finish({
      ...base,
      verdict: expectations.every((e) => e.passed) ? "pass" : "fail",
      durationMs: 0,
      timings,
      groundTruth: truths,
      logs,
      alerts,
      ...(timeToAlertMs === undefined ? {} : { timeToAlertMs }),
      ...(contained.length > 0 ? { containment: contained } : {}),
      expectations,
    });
  } catch (error) {
    say(`✖ [${scenario.id}] error: ${describeError(error)}`);
    return finish({
      ...base,
      verdict: "error",
      reason: describeError(error),
      durationMs: 0,
      timings,
      groundTruth: truths,
      logs,
      alerts: [],
      expectations: [],
    });
  }
}

/**
 * Runs a scenario's steps in order, each from the host its `from` names, every target through the
 * scope guard; `onStep` gets each step's ground truth as it ends.
 */
export async function runSteps(
  lab: StartedLab,
  scenario: Scenario,
  workDir: string,
  onStep: (truth: GroundTruth, index: number) => void = () => undefined,
  contain?: (step: ContainStepSpec, index: number) => Promise<GroundTruth>,
): Promise<GroundTruth[]> {
  const guard = new ScopeGuard(lab.subnets, labAddresses(lab.plan));
  const truths: GroundTruth[] = [];
  const containStep = (step: ContainStepSpec, index: number): Promise<GroundTruth> => {
    if (contain) return contain(step, index);
    throw new ScanproofError(
      `steps[${index}]: a contain step decides on the alerts so far, and nothing detects here.`,
      "Run the scenario with `scanproof run`.",
    );
  };
  for (const [i, step] of scenario.steps.entries()) {
    const truth = await task(
      `[${scenario.id}] step ${i + 1}/${scenario.steps.length}: ${describeStep(step)}`,
      () => (step.tool === "contain" ? containStep(step, i) : runStep(lab, step, i, guard, workDir)),
      (t) => t.summary,
    );
    const drops = await lab.egressDrops();
    if (drops.length > 0) throw egressViolation(drops, `steps[${i}]`);
    truths.push(truth);
    onStep(truth, i);
  }
  return truths;
}

/** How to look at a lab left running, and how to remove it. */
function keptLab(lab: StartedLab, backend: Backend): KeptLab {
  return {
    runId: lab.runId,
    attacker: lab.attacker.container.getName().replace(/^\//, ""),
    elasticsearch: backend.url,
    logDir: lab.logDir,
  };
}

/** Every source the lab writes (the firewall, and each target kind's own log), in a stable order. */
function labSources(plan: LabPlan, scenario: Scenario): LogSourceName[] {
  const present = new Set<LogSourceName>([
    "firewall",
    ...sourcesShippedBy(scenario.lab.sensors),
    ...scenario.expect.logs,
  ]);
  for (const t of plan.targets) {
    const source = SOURCE_BY_KIND[t.kind];
    if (source) present.add(source);
  }
  return LOG_SOURCES.filter((s) => present.has(s));
}

function describeStep(step: StepSpec): string {
  switch (step.tool) {
    case "nmap":
      return `nmap ${step.args.join(" ")} ${step.target}`;
    case "masscan":
      return `masscan ports ${step.ports} of ${step.target} at ${step.rate} pps`;
    case "http":
      return `http ${step.paths.length * step.repeat} requests to ${step.target}`;
    case "ffuf":
      return `ffuf ${step.wordlist} against ${step.target}`;
    case "gobuster-dns":
      return `gobuster dns ${step.wordlist} for ${step.domain} at ${step.server}`;
    case "axfr":
      return `AXFR of ${step.domain} from ${step.server}`;
    case "nikto":
      return `nikto against ${step.target} for at most ${step.maxtime} s`;
    case "contain":
      return `contain ${step.source} if its alerts reach Tier 2`;
  }
}

/**
 * What a contain step decides on: once the firewall's (and the targets') records of the steps so
 * far are searchable, the rules run and escalate. Sensors that only flush when they stop (IDS
 * flows, NetFlow) are not waited for: they keep watching the steps after.
 */
async function alertsSoFar(
  ctx: ScenarioContext,
  lab: StartedLab,
  truths: readonly GroundTruth[],
): Promise<AlertSummary[]> {
  const now = Date.now();
  const sources = labSources(lab.plan, ctx.scenario).filter((s) => !FLUSHED_ON_STOP.has(s));
  await task(`  wait for ${sources.join(", ")} events so far`, async () => {
    for (const source of sources)
      await awaitIngest(ctx.backend, lab, source, truths, now, ctx.ingestTimeoutMs);
  });
  return task(`  run ${ctx.rules.rules.length} rules and escalate`, () => detectAndEscalate(ctx, lab, now));
}

function containmentTruth(record: ContainmentRecord, index: number): GroundTruth {
  return {
    step: index,
    tool: "contain",
    command: record.commands,
    source: record.source,
    startedAt: record.at,
    endedAt: record.at,
    probes: [],
    events: [],
    summary: record.reason,
  };
}

/** What a rule execution for one scenario's lab needs: its events only, and escalation in its context. */
export function scenarioDetection(
  backend: Backend,
  context: EscalationContext,
  lab: Pick<StartedLab, "runId" | "scenarioId" | "plan">,
): Pick<ExecutionOptions<Escalation>, "scope" | "escalate"> {
  const filters = scenarioFilter(lab);
  const inventory = placeInventory(context.assets, lab.plan.targets);
  return {
    scope: {
      filters,
      inventory,
      key: `${lab.runId}/${lab.scenarioId}`,
      labels: { runId: lab.runId, scenarioId: lab.scenarioId },
    },
    escalate: async (detection, peers) =>
      escalate(
        await gatherFacts(backend, detection, context, { filters, inventory }, peers),
        context,
        inventory,
      ),
  };
}

/** Runs the rules once; each alert's time to alert counts from `since`, when the steps it follows ended. */
async function detectAndEscalate(
  ctx: ScenarioContext,
  lab: StartedLab,
  since: number,
): Promise<AlertSummary[]> {
  const executions = await executeRules(ctx.backend, ctx.rules.rules, {
    startedAt: new Date(),
    ...scenarioDetection(ctx.backend, ctx.context, lab),
  });
  for (const line of executionNotes(executions)) say(`  [${lab.scenarioId}] ${line}`);
  const failed = executions.filter((e) => e.failed !== undefined);
  if (failed.length > 0)
    throw new ScanproofError(
      `${failed.length} rule${failed.length === 1 ? "" : "s"} could not search, so no verdict can be given: ${failed.map((e) => `"${e.rule.name}": ${e.failed}`).join("; ")}`,
      "Fix the rule's query for the field types of the indices it reads, or narrow its index patterns.",
    );
  return executions
    .flatMap((e) => e.alerts)
    .map((a) => ({ ...summarise(a), timeToAlertMs: a.searchableAt.getTime() - since }));
}

/** What an analyst should know about the executions beyond their alerts: skips and warnings. */
export function executionNotes(executions: readonly RuleExecution<unknown>[]): string[] {
  return executions.flatMap((e) => [
    ...(e.skipped ? [`rule "${e.rule.name}" did not run: ${e.skipped}`] : []),
    ...(e.failed ? [`rule "${e.rule.name}" failed: ${e.failed}`] : []),
    ...(e.indices.length > 0 ? e.warnings : []).map((w) => `rule "${e.rule.name}": ${w}`),
  ]);
}

function summarise(alert: Alert<Escalation>): AlertSummary {
  const source = alert.group["source.ip"];
  const destination = alert.group["destination.ip"];
  return {
    id: alert.id,
    ruleId: alert.rule.ruleId,
    ruleName: alert.rule.name,
    severity: alert.rule.severity,
    riskScore: alert.rule.riskScore,
    techniques: alert.rule.threat.flatMap((t) =>
      t.techniques.flatMap((tech) => [tech.id, ...tech.subtechniques.map((s) => s.id)]),
    ),
    ...(source ? { source } : {}),
    ...(destination ? { destination } : {}),
    events: alert.evidence.events,
    distinct: alert.evidence.distinct,
    tier: alert.escalation.tier,
    reasons: alert.escalation.reasons,
    firstSeen: alert.evidence.firstSeen,
    lastSeen: alert.evidence.lastSeen,
    targets: alert.escalation.enrichment.targets,
    analysis: alert.escalation.analysis,
    enrichment: alert.escalation.enrichment,
    nextAction: alert.escalation.nextAction,
  };
}
