import type { Backend } from "../backend/backend.js";
import type { EscalationContext } from "../context/context.js";
import { describeError } from "../core/errors.js";
import { Teardown } from "../core/lifecycle.js";
import { say, task } from "../core/progress.js";
import type { LogSourceName, SensorName } from "../core/vocabulary.js";
import type { Rule, RuleSet } from "../detection/rules/rule.js";
import { rulesReading } from "../detection/rules/source-rules.js";
import { contain, type ContainmentRecord } from "../escalation/containment.js";
import { startLab } from "../lab/lab.js";
import { keptLab, recordLab } from "../lab/lab-records.js";
import { FLUSHED_ON_STOP, sourcesShippedBy } from "../lab/sensors.js";
import type { StartedLab } from "../lab/started-lab.js";
import { planLab, type LabPlan } from "../lab/topology.js";
import { awaitIngest, summariseAccount, type LogSourceReport } from "../logs/accounting.js";
import type {
  AlertSummary,
  HistoryRecord,
  ScenarioPhase,
  ScenarioProgress,
  ScenarioResult,
  Verdict,
} from "../result.js";
import type { GroundTruth } from "../scanners/ground-truth.js";
import type { Scenario } from "../scenario/load.js";
import type { StepPorts } from "../scanners/step-kind.js";
import { detectAndEscalate, detectInHistory, forgetScenarioAlerts } from "./detection.js";
import { produceHistory } from "./history.js";
import { labSources } from "./lab-sources.js";
import { containmentTruth, runSteps } from "./steps.js";
import { verdictOf } from "./verdict.js";

/** What one scenario of a run is given: its inputs, loaded, and the run's shared parts. */
export interface ScenarioContext {
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
  /**
   * A second rule set judged over the same events once the scenario's own rules were
   * (`scanproof diff --rules-changed`). A scenario with contain steps cannot be given one: what its
   * rules decide during the steps changes the traffic.
   */
  readonly changedRules?: RuleSet;
}

/** A scenario's result, and the changed rule set's over the same events when it was given one. */
export interface ScenarioOutcome {
  readonly result: ScenarioResult;
  readonly changed?: ScenarioResult;
}

/**
 * One scenario from lab to verdict, phase by phase: start the lab, run the steps, let the sensors
 * settle and account every source, run the rules and escalate, judge. Its lab has a teardown of its
 * own, registered in the run's, run in reverse when the scenario ends unless the lab is kept.
 */
export class ScenarioRun {
  private readonly started = Date.now();
  private readonly timings: Record<string, number> = {};
  private readonly labTeardown = new Teardown();
  private readonly truths: GroundTruth[] = [];
  private readonly containment: ContainmentRecord[] = [];
  /** Alerts a contain step raised: the final detection does not raise them again. */
  private readonly alertedEarlier: AlertSummary[] = [];
  private logs: LogSourceReport[] = [];
  private history: HistoryRecord[] = [];
  /** When the rules ran over the history, so that a changed rule set runs over it at the same moments. */
  private readonly historyMoments: Date[] = [];
  private lab: StartedLab | undefined;
  private keep = false;
  /** The rules that speak for the scenario as it is written (observers' sources excluded). */
  private rules: RuleSet;

  constructor(
    private readonly ctx: ScenarioContext,
    private readonly workDir: string,
  ) {
    this.rules = ctx.rules;
    ctx.teardown.defer(`tear down the lab of ${ctx.scenario.id}`, () =>
      this.keep ? Promise.resolve() : this.labTeardown.run(),
    );
  }

  async run(): Promise<ScenarioOutcome> {
    say(`\n[${this.ctx.scenario.id}] ${this.ctx.scenario.title}`);
    try {
      if (this.ctx.changedRules && this.ctx.scenario.steps.some((s) => s.tool === "contain"))
        throw new Error(
          "a scenario with contain steps runs in a lab per rule set, not with a changed rule set",
        );
      const plan = planLab(this.ctx.scenario);
      const sources = this.scopeRules(plan);
      if (this.ctx.scenario.history.length > 0) {
        this.phase("history", `${this.ctx.scenario.history.length} entries`);
        this.history = await this.timed("historyMs", () =>
          produceHistory({
            scenario: this.ctx.scenario,
            plan,
            sensors: this.sensors(),
            sources,
            backend: this.ctx.backend,
            runId: this.ctx.runId,
            workDir: this.workDir,
            teardown: this.ctx.teardown,
            ingestTimeoutMs: this.ctx.ingestTimeoutMs,
            raiseAlerts: (at) => {
              this.historyMoments.push(at);
              return this.detectInHistory(this.rules.rules, plan, at);
            },
          }),
        );
      }
      this.phase("lab", "starting");
      const lab = await this.timed("labStartMs", () => this.startLab(plan));
      const stepsEnded = await this.timed("stepsMs", () => this.runSteps(lab));
      await lab.assertAlive();
      await lab.quiesce();
      this.phase("ingest", sources.join(", "));
      this.logs = await this.timed("ingestMs", () => this.account(lab, sources, stepsEnded));
      await lab.assertAlive();
      this.phase("detection", `${this.rules.rules.length} rules`);
      const detectionStart = new Date();
      const judged = await this.timed("detectionMs", async () => {
        const raised = await task(
          `[${this.ctx.scenario.id}] run ${this.rules.rules.length} rules and escalate`,
          () => this.detect(lab, stepsEnded, detectionStart),
          (a) => `${a.length} alert${a.length === 1 ? "" : "s"}`,
        );
        return verdictOf(this.ctx.scenario, this.ctx.backend, {
          plan,
          lab,
          groundTruth: this.truths,
          logs: this.logs,
          alertedEarlier: this.alertedEarlier,
          raised,
          containment: this.containment,
        });
      }).then(
        (outcome) => ({ outcome }),
        (error: unknown) => ({ error }),
      );
      // The changed set runs over the same events even when the first set's rules could not search:
      // a change that mends a broken rule must show as such.
      const changed = this.ctx.changedRules
        ? await this.judgeChanged(this.ctx.changedRules, lab, plan, stepsEnded, detectionStart)
        : undefined;
      if ("error" in judged) say(`✖ [${this.ctx.scenario.id}] error: ${describeError(judged.error)}`);
      const result = await this.finish(
        "error" in judged ? this.errored(judged.error) : { ...this.base(), ...judged.outcome },
      );
      return { result, ...(changed ? { changed } : {}) };
    } catch (error) {
      say(`✖ [${this.ctx.scenario.id}] error: ${describeError(error)}`);
      const result = await this.finish(this.errored(error));
      return { result, ...(this.ctx.changedRules ? { changed: result } : {}) };
    }
  }

  /** The rules as of a past moment of the scenario's history: the alerts the SOC had then. */
  private detectInHistory(rules: readonly Rule[], plan: LabPlan, at: Date): Promise<number> {
    const { backend, context, runId, scenario } = this.ctx;
    return detectInHistory(backend, rules, context, { runId, scenarioId: scenario.id, plan }, at);
  }

  private errored(error: unknown): ScenarioResult {
    return { ...this.base(), verdict: "error", reason: describeError(error), alerts: [], expectations: [] };
  }

  /**
   * The changed rule set over the same events, judged against the same expectations: the scenario's
   * alerts so far are forgotten first, so it runs as the first set did, on an alerts index without
   * them. It runs as of the same moment as the first set (the same look-back windows); its time to
   * alert counts from the same end of the steps, so it is later by the first's run.
   */
  private async judgeChanged(
    changed: RuleSet,
    lab: StartedLab,
    plan: LabPlan,
    stepsEnded: number,
    detectionStart: Date,
  ): Promise<ScenarioResult> {
    const started = Date.now();
    const rules = rulesReading(changed.rules, labSources(plan, this.ctx.scenario));
    try {
      await forgetScenarioAlerts(this.ctx.backend, lab);
      if (this.historyMoments.length > 0)
        await task(
          `[${this.ctx.scenario.id}] run the changed set's rules over the history (${this.historyMoments.length} moments)`,
          async () => {
            for (const at of this.historyMoments) await this.detectInHistory(rules, plan, at);
          },
        );
      const raised = await task(
        `[${this.ctx.scenario.id}] run the changed set's ${rules.length} rules and escalate`,
        () => detectAndEscalate(this.ctx.backend, rules, this.ctx.context, lab, stepsEnded, detectionStart),
        (a) => `${a.length} alert${a.length === 1 ? "" : "s"}`,
      );
      const judged = await verdictOf(this.ctx.scenario, this.ctx.backend, {
        plan,
        lab,
        groundTruth: this.truths,
        logs: this.logs,
        alertedEarlier: [],
        raised,
        containment: [],
      });
      const ms = Date.now() - started;
      return { ...this.base(), ...judged, durationMs: ms, timings: { detectionMs: ms } };
    } catch (error) {
      say(`✖ [${this.ctx.scenario.id}] error with the changed rules: ${describeError(error)}`);
      const ms = Date.now() - started;
      return { ...this.errored(error), durationMs: ms, timings: { detectionMs: ms } };
    }
  }

  /** Keeps the rules that read a source the scenario's lab writes; returns every source to account. */
  private scopeRules(plan: LabPlan): LogSourceName[] {
    const judged = labSources(plan, this.ctx.scenario);
    const rules = rulesReading(this.ctx.rules.rules, judged);
    if (rules.length < this.ctx.rules.rules.length)
      say(
        `  [${this.ctx.scenario.id}] ${this.ctx.rules.rules.length - rules.length} rules read only sources this lab does not write (it writes ${judged.join(", ")}): not run for it`,
      );
    this.rules = { ...this.ctx.rules, rules };
    return [...new Set([...judged, ...sourcesShippedBy(this.ctx.observers)])];
  }

  private async startLab(plan: LabPlan): Promise<StartedLab> {
    this.lab = await startLab({
      runId: this.ctx.runId,
      scenarioId: this.ctx.scenario.id,
      plan,
      sensors: this.sensors(),
      backend: this.ctx.backend,
      workDir: this.workDir,
      teardown: this.labTeardown,
    });
    return this.lab;
  }

  private sensors(): SensorName[] {
    return [...new Set([...this.ctx.scenario.lab.sensors, ...this.ctx.observers])];
  }

  /** Runs the steps while the lab is alive; returns when they ended. */
  private async runSteps(lab: StartedLab): Promise<number> {
    const steps = this.ctx.scenario.steps.length;
    this.phase("steps", `1/${steps}`);
    const ports: StepPorts = {
      contain: async (address, index) => {
        this.alertedEarlier.push(...(await this.alertsSoFar(lab)));
        const record = await contain(lab, index, address, [...this.alertedEarlier]);
        this.containment.push(record);
        return containmentTruth(record, index);
      },
    };
    await lab.whileAlive(() =>
      runSteps(
        lab,
        this.ctx.scenario,
        this.workDir,
        (truth, i) => {
          this.truths.push(truth);
          if (i + 1 < steps) this.phase("steps", `${i + 2}/${steps}`);
        },
        ports,
      ),
    );
    return Date.now();
  }

  /** Waits for every source's events and accounts each against the ground truth, all at once. */
  private account(
    lab: StartedLab,
    sources: readonly LogSourceName[],
    stepsEnded: number,
  ): Promise<LogSourceReport[]> {
    return task(
      `[${this.ctx.scenario.id}] wait for ${sources.join(", ")} events in Elasticsearch`,
      () =>
        Promise.all(
          sources.map((source) =>
            awaitIngest(this.ctx.backend, lab, source, this.truths, stepsEnded, this.ctx.ingestTimeoutMs),
          ),
        ),
      (reports) => reports.map(summariseAccount).join("; "),
    );
  }

  private detect(lab: StartedLab, since: number, startedAt?: Date): Promise<AlertSummary[]> {
    return detectAndEscalate(this.ctx.backend, this.rules.rules, this.ctx.context, lab, since, startedAt);
  }

  /**
   * What a contain step decides on: once the firewall's (and the targets') records of the steps so
   * far are searchable, the rules run and escalate. Sensors that only flush when they stop (IDS
   * flows, NetFlow) are not waited for: they keep watching the steps after.
   */
  private async alertsSoFar(lab: StartedLab): Promise<AlertSummary[]> {
    const now = Date.now();
    const sources = labSources(lab.plan, this.ctx.scenario).filter((s) => !FLUSHED_ON_STOP.has(s));
    await task(`  wait for ${sources.join(", ")} events so far`, async () => {
      for (const source of sources)
        await awaitIngest(this.ctx.backend, lab, source, this.truths, now, this.ctx.ingestTimeoutMs);
    });
    return task(`  run ${this.rules.rules.length} rules and escalate`, () => this.detect(lab, now));
  }

  private base() {
    const { scenario } = this.ctx;
    return {
      id: scenario.id,
      title: scenario.title,
      file: scenario.file,
      technique: scenario.technique,
      tags: scenario.tags,
      durationMs: 0,
      timings: this.timings,
      groundTruth: this.truths,
      ...(this.history.length > 0 ? { history: this.history } : {}),
      logs: this.logs,
    };
  }

  /** Tears the lab down (or keeps it, when asked and the scenario did not pass) and stamps the result. */
  private async finish(result: ScenarioResult): Promise<ScenarioResult> {
    const { lab } = this;
    this.keep = this.ctx.keepLab && result.verdict !== "pass" && lab !== undefined;
    if (!this.keep) await this.timed("teardownMs", () => (lab ? lab.stop() : this.labTeardown.run()));
    this.phase("done", result.reason ?? "", result.verdict);
    const done = { ...result, durationMs: Date.now() - this.started, timings: this.timings };
    if (!this.keep || !lab) return done;
    const kept = keptLab(lab, this.ctx.backend.url);
    recordLab({ ...kept, scenarioId: this.ctx.scenario.id });
    return { ...done, keptLab: kept };
  }

  private phase(p: ScenarioPhase, detail = "", verdict?: Verdict): void {
    this.ctx.progress({
      scenarioId: this.ctx.scenario.id,
      phase: p,
      detail,
      ...(verdict ? { verdict } : {}),
    });
  }

  private async timed<T>(name: string, work: () => Promise<T>): Promise<T> {
    const t = Date.now();
    try {
      return await work();
    } finally {
      this.timings[name] = Date.now() - t;
    }
  }
}
