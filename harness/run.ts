import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "./backend/backend.js";
import { startEmbeddedElasticsearch } from "./backend/embedded.js";
import { connectExternalCluster, externalClusterFromEnv } from "./backend/external.js";
import type { Alert } from "./detection/alerts.js";
import { settleEsqlRules } from "./detection/backend-rules.js";
import { executeRules, type RuleExecution } from "./detection/engine.js";
import type { RuleSet } from "./detection/rule.js";
import { loadRules } from "./detection/rule-loader.js";
import { requireDocker } from "./docker/client.js";
import { describeError } from "./errors.js";
import { loadContext, type EscalationContext } from "./escalation/context.js";
import { escalate } from "./escalation/escalate.js";
import { gatherFacts } from "./escalation/facts.js";
import { placeInventory } from "./escalation/inventory.js";
import { judge } from "./judge/judge.js";
import { startLab, type StartedLab } from "./lab/lab.js";
import { ScopeGuard } from "./lab/scope-guard.js";
import { labAddresses, planLab, SOURCE_BY_KIND, type LabPlan } from "./lab/topology.js";
import { Teardown, withTeardown } from "./lifecycle.js";
import { pruneOrphans } from "./prune.js";
import { awaitIngest, scenarioFilter, type LogSourceReport } from "./logs/accounting.js";
import { resultsDir } from "./paths.js";
import { writeReports } from "./report/write-reports.js";
import { say, task } from "./progress.js";
import type { AlertSummary, RunResult, ScenarioResult } from "./result.js";
import type { GroundTruth } from "./scanners/ground-truth.js";
import { runHttp } from "./scanners/http.js";
import { runMasscan } from "./scanners/masscan.js";
import { runNmap } from "./scanners/nmap.js";
import { runAxfr, runFfuf, runGobusterDns } from "./scanners/wordlists.js";
import { InputError, type Problem } from "./scenario/problems.js";
import { loadScenario, type Scenario } from "./scenario/load.js";
import { LOG_SOURCES, type LogSourceName, type StepSpec } from "./scenario/schema.js";

export interface RunOptions {
  readonly scenarioFiles: readonly string[];
  readonly rulePaths: readonly string[];
  readonly contextFile: string;
  /** An already started backend (tests share one); otherwise embedded or SCANPROOF_ES_URL. */
  readonly backend?: Backend;
  readonly ingestTimeoutMs?: number;
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
  const scenarios = options.scenarioFiles.map((f) => collect(() => loadScenario(f)));
  const rules = collect(() => loadRules(options.rulePaths));
  const context = collect(() => loadContext(options.contextFile));
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
  return { scenarios: scenarios.filter((s): s is Scenario => s !== undefined), rules, context };
}

export async function runScenarios(options: RunOptions): Promise<RunResult> {
  const { scenarios, rules: loaded, context } = loadInputs(options);
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
  const results = await withTeardown(teardown, async () => {
    const backend = options.backend ?? (await openBackend(runId, teardown));
    const rules = await settleEsqlRules(backend, loaded);
    for (const s of rules.skipped) say(`  rule skipped: ${s.file}: ${s.reason}`);
    const out: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      out.push(
        await runScenario({
          scenario,
          rules,
          context,
          backend,
          runId,
          runDir,
          teardown,
          ingestTimeoutMs: options.ingestTimeoutMs ?? 60_000,
        }),
      );
    }
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
}

async function runScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { scenario } = ctx;
  const started = Date.now();
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
  ctx.teardown.defer(`tear down the lab of ${scenario.id}`, () => labTeardown.run());
  const workDir = join(ctx.runDir, scenario.id);
  mkdirSync(workDir, { recursive: true });
  const plan = planLab(scenario);
  const base = {
    id: scenario.id,
    title: scenario.title,
    file: scenario.file,
    technique: scenario.technique,
    tags: scenario.tags,
  };
  say(`\n[${scenario.id}] ${scenario.title}`);
  const truths: GroundTruth[] = [];
  let logs: LogSourceReport[] = [];
  try {
    const lab = await timed("labStartMs", () =>
      startLab({
        runId: ctx.runId,
        scenarioId: scenario.id,
        plan,
        sensors: scenario.lab.sensors,
        backend: ctx.backend,
        workDir,
        teardown: labTeardown,
      }),
    );
    const guard = new ScopeGuard(lab.subnets, labAddresses(plan));
    await timed("stepsMs", async () => {
      for (const [i, step] of scenario.steps.entries()) {
        const truth = await task(
          `[${scenario.id}] step ${i + 1}/${scenario.steps.length}: ${describeStep(step)}`,
          () => runStep(lab, step, i, guard, workDir),
          (t) => t.summary,
        );
        truths.push(truth);
      }
    });
    const stepsEnded = Date.now();
    await lab.quiesce();
    const sources = labSources(plan, scenario);
    logs = await timed("ingestMs", () =>
      task(
        `[${scenario.id}] wait for ${sources.join(", ")} events in Elasticsearch`,
        async () => {
          const reports: LogSourceReport[] = [];
          for (const source of sources)
            reports.push(
              await awaitIngest(ctx.backend, lab, source, truths, stepsEnded, ctx.ingestTimeoutMs),
            );
          return reports;
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
    const alerts = await timed("detectionMs", () =>
      task(
        `[${scenario.id}] run ${ctx.rules.rules.length} rules and escalate`,
        () => detectAndEscalate(ctx, lab),
        (a) => `${a.length} alert${a.length === 1 ? "" : "s"}`,
      ),
    );
    const timeToAlertMs = alerts.length > 0 ? Date.now() - stepsEnded : undefined;
    await timed("teardownMs", () => labTeardown.run());
    const expectations = judge(scenario, {
      plan,
      logs,
      alerts,
      ...(timeToAlertMs === undefined ? {} : { timeToAlertMs }),
    });
    return {
      ...base,
      verdict: expectations.every((e) => e.passed) ? "pass" : "fail",
      durationMs: Date.now() - started,
      timings,
      groundTruth: truths,
      logs,
      alerts,
      ...(timeToAlertMs === undefined ? {} : { timeToAlertMs }),
      expectations,
    };
  } catch (error) {
    say(`✖ [${scenario.id}] error: ${describeError(error)}`);
    await labTeardown.run();
    return {
      ...base,
      verdict: "error",
      reason: describeError(error),
      durationMs: Date.now() - started,
      timings,
      groundTruth: truths,
      logs,
      alerts: [],
      expectations: [],
    };
  }
}

/** Every source the lab writes (the firewall, and each target kind's own log), in a stable order. */
function labSources(plan: LabPlan, scenario: Scenario): LogSourceName[] {
  const sensors: readonly string[] = scenario.lab.sensors;
  const present = new Set<LogSourceName>([
    "firewall",
    ...LOG_SOURCES.filter((s) => sensors.includes(s)),
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
  }
}

function runStep(
  lab: StartedLab,
  step: StepSpec,
  index: number,
  guard: ScopeGuard,
  workDir: string,
): Promise<GroundTruth> {
  switch (step.tool) {
    case "nmap":
      return runNmap(lab, step, index, guard, workDir);
    case "masscan":
      return runMasscan(lab, step, index, guard, workDir);
    case "http":
      return runHttp(lab, step, index, guard);
    case "ffuf":
      return runFfuf(lab, step, index, guard);
    case "gobuster-dns":
      return runGobusterDns(lab, step, index, guard);
    case "axfr":
      return runAxfr(lab, step, index, guard);
  }
}

async function detectAndEscalate(ctx: ScenarioContext, lab: StartedLab): Promise<AlertSummary[]> {
  const filters = scenarioFilter(lab);
  const inventory = placeInventory(ctx.context.assets, lab.plan.targets);
  const executions = await executeRules(ctx.backend, ctx.rules.rules, {
    startedAt: new Date(),
    scope: {
      filters,
      key: `${ctx.runId}/${lab.scenarioId}`,
      labels: { runId: ctx.runId, scenarioId: lab.scenarioId },
    },
    escalate: async (detection) =>
      escalate(await gatherFacts(ctx.backend, detection, ctx.context, filters), ctx.context, inventory),
  });
  for (const line of executionNotes(executions)) say(`  [${lab.scenarioId}] ${line}`);
  return executions.flatMap((e) => e.alerts).map(summarise);
}

/** What an analyst should know about the executions beyond their alerts: skips and warnings. */
function executionNotes(executions: readonly RuleExecution[]): string[] {
  return executions.flatMap((e) => [
    ...(e.skipped ? [`rule "${e.rule.name}" did not run: ${e.skipped}`] : []),
    ...(e.indices.length > 0 ? e.warnings : []).map((w) => `rule "${e.rule.name}": ${w}`),
  ]);
}

function summarise(alert: Alert): AlertSummary {
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
  };
}
