import { join } from "node:path";
import { loadRules } from "../harness/detection/rules/rule-loader.js";
import { assertionsDir } from "../harness/core/paths.js";
import type { ScenarioResult } from "../harness/result.js";
import type { Scenario } from "../harness/scenario/load.js";
import { runScenarios } from "../harness/run/run-scenarios.js";
import { watchAlerts, type FirstAlerts } from "./lib/alert-watch.js";
import { firewallLogWindow, scenarioFirewallLog } from "./lib/firewall-log.js";
import { writeBenchResults } from "./lib/results.js";
import { libraryScenarios, writeVariant, type Variant } from "./lib/scenario-variants.js";
import { benchSession, type BenchHeader } from "./lib/session.js";
import { spread, type Spread } from "./lib/stats.js";
import { renderLatencyMarkdown, renderLatencyText } from "./latency-report.js";

export const ALERT_TARGET_P95_MS = 5_000;
export const LAB_START_TARGET_MS = 10_000;

/** One expected alert in one run of one scenario. */
export interface LatencySample {
  readonly rule: string;
  readonly scenario: string;
  readonly repeat: number;
  /** From the scan's last packet until a search first found the rule's alert. */
  readonly searchableAfterMs?: number;
  readonly verdict: string;
}

export interface RuleLatency {
  readonly rule: string;
  readonly ruleName: string;
  readonly scenarios: readonly string[];
  readonly runs: number;
  readonly missed: number;
  readonly latency?: Spread;
}

export interface LatencyBench extends BenchHeader {
  readonly backend: string;
  readonly repeats: number;
  readonly samples: readonly LatencySample[];
  readonly rules: readonly RuleLatency[];
  /** Lab start to ready (networks, hosts, overlay, sensors, shipper) over every run. */
  readonly labStart?: Spread;
  readonly errors: readonly string[];
}

/**
 * When the scan ended: the firewall's last logged packet (microseconds), or else the tools' own end
 * times (nmap reports whole seconds).
 */
export function scanEndedMs(result: ScenarioResult, resultsDir: string): number | undefined {
  const logged = firewallLogWindow(scenarioFirewallLog(resultsDir, result.id));
  if (logged) return logged.lastMs;
  const ends = result.groundTruth.map((t) => Date.parse(t.endedAt));
  return ends.length > 0 ? Math.max(...ends) : undefined;
}

/** Each expected alert of each run: the rule's id and name as the scenario names either. */
export function latencySamples(
  variants: readonly (Variant & { readonly repeat: number })[],
  results: readonly ScenarioResult[],
  resultsDir: string,
  first: FirstAlerts,
  ruleNames: ReadonlyMap<string, string>,
): LatencySample[] {
  return variants.flatMap((v) => {
    const result = results.find((r) => r.id === v.id);
    if (!result) return [];
    const ended = scanEndedMs(result, resultsDir);
    return v.scenario.expect.alerts.flatMap((expected) => {
      const rule = [...ruleNames].find(([id, name]) => expected.rule === id || expected.rule === name)?.[0];
      if (!rule) return [];
      const seen = first.get(v.id)?.get(rule);
      return [
        {
          rule,
          scenario: v.scenario.id,
          repeat: v.repeat,
          ...(seen === undefined || ended === undefined ? {} : { searchableAfterMs: seen - ended }),
          verdict: result.verdict,
        },
      ];
    });
  });
}

export function ruleLatencies(
  samples: readonly LatencySample[],
  ruleNames: ReadonlyMap<string, string>,
): RuleLatency[] {
  return [...ruleNames]
    .map(([rule, ruleName]) => {
      const mine = samples.filter((s) => s.rule === rule);
      const times = mine.flatMap((s) => (s.searchableAfterMs === undefined ? [] : [s.searchableAfterMs]));
      const latency = spread(times);
      return {
        rule,
        ruleName,
        scenarios: [...new Set(mine.map((s) => s.scenario))],
        runs: mine.length,
        missed: mine.length - times.length,
        ...(latency ? { latency } : {}),
      };
    })
    .filter((r) => r.runs > 0);
}

/**
 * For each rule, the simplest library scenario (fewest sensors, then steps) that expects its alert:
 * the library holds many that prove escalation, not detection speed, with the same rule.
 */
export function scenariosPerRule(
  scenarios: readonly Scenario[],
  ruleNames: ReadonlyMap<string, string>,
): Scenario[] {
  const simplestFirst = [...scenarios].sort(
    (a, b) => a.lab.sensors.length - b.lab.sensors.length || a.steps.length - b.steps.length,
  );
  const chosen = new Set<Scenario>();
  for (const [id, name] of ruleNames) {
    const first = simplestFirst.find((s) => s.expect.alerts.some((a) => a.rule === id || a.rule === name));
    if (first) chosen.add(first);
  }
  return [...chosen];
}

/**
 * For each rule, one library scenario that expects its alert, `repeats` times over, on one Elasticsearch: for
 * each rule, from scan end until its alert was searchable (median, p95), and the lab start times.
 */
export async function benchLatency(repeats = 5): Promise<void> {
  await benchSession("latency", async (session) => {
    const rulePaths = [join(assertionsDir, "rules")];
    const ruleNames = new Map(loadRules(rulePaths).rules.map((r) => [r.ruleId, r.name] as const));
    const scenarios = scenariosPerRule(libraryScenarios(), ruleNames);
    const variants = Array.from({ length: repeats }, (_, repeat) =>
      scenarios.map((s) => ({ ...writeVariant(s, session.scratch), repeat: repeat + 1 })),
    ).flat();
    const backend = await session.backend();
    const watch = watchAlerts(
      backend,
      variants.map((v) => v.id),
    );
    let first: FirstAlerts = new Map();
    const run = await runScenarios({
      scenarioFiles: variants.map((v) => v.file),
      rulePaths,
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend,
    }).finally(async () => {
      first = await watch.stop();
    });
    const samples = latencySamples(variants, run.scenarios, run.resultsDir, first, ruleNames);
    const labStart = spread(
      run.scenarios.flatMap((s) => (s.timings.labStartMs === undefined ? [] : [s.timings.labStartMs])),
    );
    const figures: LatencyBench = {
      ...session.header(),
      backend: backend.description,
      repeats,
      samples,
      rules: ruleLatencies(samples, ruleNames),
      ...(labStart ? { labStart } : {}),
      errors: run.scenarios.filter((s) => s.verdict === "error").map((s) => `${s.id}: ${s.reason ?? ""}`),
    };
    process.stdout.write(`\n${renderLatencyText(figures)}\n`);
    await writeBenchResults("latency", session.date, figures, (json) => renderLatencyMarkdown(figures, json));
  });
}
