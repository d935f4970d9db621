import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { docker, requireDocker } from "./docker/client.js";
import { ALERTS_INDEX, SOURCE_INDEX } from "./backend/templates.js";
import { describeError, ScanproofError } from "./core/errors.js";
import { Teardown, withTeardown } from "./core/lifecycle.js";
import { resultsDir } from "./core/paths.js";
import { prune } from "./lab/prune.js";
import { awaitIngest } from "./logs/accounting.js";
import { say, task } from "./core/progress.js";
import type { KeptLab } from "./lab/lab-records.js";
import { settleEsqlRules } from "./detection/live/backend-rules.js";
import type { Alert } from "./detection/live/alerts.js";
import type { Escalation } from "./escalation/escalate.js";
import { startScheduler } from "./detection/live/scheduler.js";
import { executionNotes, scenarioDetection } from "./run/detection.js";
import { runSteps } from "./run/steps.js";
import { loadInputs } from "./run/inputs.js";
import { newRunId, openBackend } from "./run/run-scenarios.js";
import { startLab } from "./lab/lab.js";
import { type StartedLab } from "./lab/started-lab.js";
import { forgetLab, recordedLabs, recordLab, type LabRecord } from "./lab/lab-records.js";
import { planLab } from "./lab/topology.js";

/** How to look at a lab that is running, and how to remove it. */
export function describeLab(lab: KeptLab & { scenarioId: string }): string {
  const runFilter = `labels.scanproof_run_id:${lab.runId}`;
  return [
    `lab of ${lab.scenarioId} (run ${lab.runId}) is running:`,
    `  attacker shell:   docker exec -it ${lab.attacker} bash`,
    `  its containers:   docker ps --filter label=io.scanproof.run=${lab.runId}`,
    `  Elasticsearch:    ${lab.elasticsearch}`,
    `  events:           curl '${lab.elasticsearch}/${Object.values(SOURCE_INDEX).join(",")}/_search?q=${runFilter}&size=5&pretty'`,
    `  alerts:           curl '${lab.elasticsearch}/${ALERTS_INDEX}/_search?q=${runFilter}&pretty'`,
    `  raw sensor logs:  ${lab.logDir}`,
    `  remove it:        scanproof lab down ${lab.runId}`,
  ].join("\n");
}

function describeAlert(alert: Alert<Escalation>): string {
  const { tier, reasons } = alert.escalation;
  const group = Object.entries(alert.group)
    .map(([field, value]) => `${field}=${value}`)
    .join(" ");
  return `alert: ${alert.rule.name} (${group}) → ${tier}${reasons.length ? ` (${reasons.map((r) => r.code).join(", ")})` : ""}`;
}

function addresses(lab: StartedLab): string {
  return [
    ...[...lab.hosts.values()].map((h) => `${h.name} ${h.address} (${h.role}, ${h.plan.network})`),
    ...[...lab.targets.values()].map((t) => `${t.name} ${t.address}`),
  ].join(", ");
}

export interface LabUpOptions {
  readonly scenarioFile: string;
  readonly rulePaths: readonly string[];
  readonly contextFile: string;
  /** Run the scenario's steps once the lab is up. */
  readonly steps: boolean;
}

/** The steps' firewall records are searchable before the rules first run (so they see them at once). */
const INGEST_TIMEOUT_MS = 60_000;

/** How often `lab up` checks that its lab still exists (`lab down` or `prune` may remove it). */
const PRESENCE_POLL_MS = 2_000;

/**
 * Starts a scenario's lab and Elasticsearch and keeps them until Ctrl-C, SIGTERM or `lab down`:
 * for iterating on rules against real events, or scanning by hand from the attacker.
 */
export async function labUp(options: LabUpOptions): Promise<void> {
  const {
    scenarios,
    rules: loaded,
    context,
  } = loadInputs({
    scenarioFiles: [options.scenarioFile],
    rulePaths: options.rulePaths,
    contextFile: options.contextFile,
  });
  const scenario = scenarios[0];
  if (!scenario) throw new ScanproofError(`${options.scenarioFile}: no scenario.`);
  const runId = `lab-${newRunId()}`;
  const workDir = join(resultsDir(), runId, scenario.id);
  mkdirSync(workDir, { recursive: true });
  const teardown = new Teardown();
  await withTeardown(teardown, async () => {
    await requireDocker();
    const backend = await openBackend(runId, teardown);
    const lab = await startLab({
      runId,
      scenarioId: scenario.id,
      plan: planLab(scenario),
      sensors: scenario.lab.sensors,
      backend,
      workDir,
      teardown,
    });
    const record: LabRecord = {
      runId,
      scenarioId: scenario.id,
      attacker: lab.attacker.container.getName().replace(/^\//, ""),
      elasticsearch: backend.url,
      logDir: lab.logDir,
      pid: process.pid,
    };
    recordLab(record);
    teardown.defer("forget the lab", () => {
      forgetLab(runId);
      return Promise.resolve();
    });
    say(`\n${describeLab(record)}\n  hosts:            ${addresses(lab)}\n`);
    if (options.steps) {
      const truths = await runSteps(lab, scenario, workDir);
      const stepsEnded = Date.now();
      await task(
        "Wait until the firewall's records of the steps are searchable",
        () => awaitIngest(backend, lab, "firewall", truths, stepsEnded, INGEST_TIMEOUT_MS),
        (r) => `${r.indexed}/${r.sensorRecords} indexed, ${r.seenEvents}/${r.expectedEvents} events`,
      );
    }
    const rules = await settleEsqlRules(backend, loaded);
    const scheduler = startScheduler(backend, rules.rules, {
      ...scenarioDetection(backend, context, lab),
      onExecution: (execution) => {
        for (const line of [...executionNotes([execution]), ...execution.alerts.map(describeAlert)])
          say(line);
      },
      onError: (rule, error) => {
        say(`rule "${rule.name}" failed this time: ${describeError(error)}`);
      },
    });
    teardown.defer("stop the rule scheduler", () => scheduler.stop());
    say(
      `Lab up; ${rules.rules.length} rules run at their intervals over this lab's events, as Kibana runs them (alerts appear below). Ctrl-C or \`scanproof lab down\` removes it.`,
    );
    await untilGone(lab.firewall.container.getId());
    say("The lab was removed from outside (lab down or prune); cleaning up the rest.");
  });
}

async function untilGone(containerId: string): Promise<void> {
  for (;;) {
    await new Promise((r) => setTimeout(r, PRESENCE_POLL_MS));
    try {
      const info = await docker().getContainer(containerId).inspect();
      if (!info.State.Running) return;
    } catch {
      return;
    }
  }
}

/** How long `lab down` waits for a `lab up` process to tear its lab down before removing it itself. */
const GRACEFUL_DOWN_MS = 30_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes labs left running (all of them, or the runs named): asks the `lab up` process holding one
 * to tear it down, then removes whatever still carries the run's label.
 */
export async function labDown(runIds: readonly string[]): Promise<string[]> {
  const records = recordedLabs();
  const runs = runIds.length > 0 ? [...runIds] : [...new Set(records.map((r) => r.runId))];
  for (const runId of runs) {
    for (const pid of new Set(records.filter((r) => r.runId === runId).map((r) => r.pid))) {
      if (pid === undefined || pid === process.pid || !alive(pid)) continue;
      process.kill(pid, "SIGTERM");
      const until = Date.now() + GRACEFUL_DOWN_MS;
      while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
    }
    await prune(runId);
    forgetLab(runId);
  }
  return runs;
}
