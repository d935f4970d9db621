import {
  describeMissing,
  findLogReport,
  sawEveryEvent,
  shippedCompletely,
  type LogSourceReport,
} from "../logs/accounting.js";
import type { AlertSummary, ExpectationResult } from "../result.js";
import type { Scenario } from "../scenario/load.js";
import type { LabPlan } from "../lab/topology.js";

export interface Observed {
  readonly plan: LabPlan;
  readonly logs: readonly LogSourceReport[];
  readonly alerts: readonly AlertSummary[];
  readonly timeToAlertMs?: number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Every expectation of the scenario, each checked against what was observed. */
export function judge(scenario: Scenario, observed: Observed): ExpectationResult[] {
  return [
    ...judgeLogs(scenario, observed),
    ...judgeSignatures(scenario, observed),
    ...judgeAlerts(scenario, observed),
    ...judgeAbsence(scenario, observed),
    ...judgeSilence(scenario, observed),
  ];
}

function judgeLogs(scenario: Scenario, observed: Observed): ExpectationResult[] {
  return scenario.expect.logs.flatMap((source): ExpectationResult[] => {
    const report = findLogReport(observed.logs, source);
    if (!report) {
      return [
        {
          id: `logs.${source}`,
          description: `${source} logs were accounted`,
          passed: false,
          expected: "an account of the source",
          observed: "none",
        },
      ];
    }
    const missing = describeMissing(report);
    return [
      {
        id: `logs.${source}.shipped`,
        description: `every ${source} record reached Elasticsearch as ECS`,
        passed: shippedCompletely(report),
        expected:
          report.sensorRecords > 0
            ? `${report.sensorRecords} records indexed, 0 unparsed`
            : `records from the ${source} sensor, all indexed`,
        observed: `${report.indexed} indexed of ${report.sensorRecords} written, ${report.parseFailures} unparsed`,
      },
      {
        id: `logs.${source}.events`,
        description: `the ${source} holds every event the tools say they caused`,
        passed: sawEveryEvent(report),
        expected:
          report.expectedEvents > 0
            ? `${report.expectedEvents} distinct events`
            : `events the steps cause at the ${source} (no step here causes any)`,
        observed: `${report.seenEvents} seen${missing ? `; ${missing}` : ""}`,
      },
    ];
  });
}

function judgeSignatures(scenario: Scenario, observed: Observed): ExpectationResult[] {
  const raised = findLogReport(observed.logs, "ids")?.signatures ?? {};
  return scenario.expect.ids_signatures.map((sid) => ({
    id: `ids.${sid}`,
    description: `the IDS raised signature ${sid}`,
    passed: (raised[String(sid)] ?? 0) > 0,
    expected: "at least one alert",
    observed: `${raised[String(sid)] ?? 0} alerts (raised: ${Object.keys(raised).join(", ") || "none"})`,
  }));
}

function judgeAlerts(scenario: Scenario, observed: Observed): ExpectationResult[] {
  const addresses = new Map([
    ...observed.plan.hosts.map((h) => [h.name, h.seenAs] as const),
    ...observed.plan.targets.map((t) => [t.name, t.address] as const),
  ]);
  return scenario.expect.alerts.flatMap((want, i): ExpectationResult[] => {
    const from = addresses.get(want.from) ?? want.from;
    const matching = observed.alerts.filter(
      (a) => (a.ruleId === want.rule || a.ruleName === want.rule) && a.source === from,
    );
    const results: ExpectationResult[] = [
      {
        id: `alerts[${i}].count`,
        description: `rule "${want.rule}" fired for ${want.from} (${from})`,
        passed: matching.length === want.count,
        expected: `${want.count} alert${want.count === 1 ? "" : "s"}`,
        observed: `${matching.length}`,
      },
    ];
    if (want.tier) {
      const tiers = [...new Set(matching.map((a) => a.tier))];
      results.push({
        id: `alerts[${i}].tier`,
        description: `escalation tier of "${want.rule}"`,
        passed: matching.length > 0 && tiers.length === 1 && tiers[0] === want.tier,
        expected: want.tier,
        observed: tiers.join(", ") || "no alert",
      });
    }
    if (want.reasons.length > 0) {
      const given = new Set<string>(matching.flatMap((a) => a.reasons.map((r) => r.code)));
      results.push({
        id: `alerts[${i}].reasons`,
        description: `escalation reasons of "${want.rule}"`,
        passed: matching.length > 0 && want.reasons.every((r) => given.has(r)),
        expected: want.reasons.join(", "),
        observed: [...given].join(", ") || "none",
      });
    }
    if (want.within !== undefined) {
      results.push({
        id: `alerts[${i}].within`,
        description: `"${want.rule}" was searchable soon enough after the last step`,
        passed:
          matching.length > 0 &&
          observed.timeToAlertMs !== undefined &&
          observed.timeToAlertMs <= want.within,
        expected: `≤ ${seconds(want.within)}`,
        observed: observed.timeToAlertMs === undefined ? "no alert" : seconds(observed.timeToAlertMs),
      });
    }
    return results;
  });
}

function judgeAbsence(scenario: Scenario, observed: Observed): ExpectationResult[] {
  return scenario.expect.absent.map((rule, i) => {
    const fired = observed.alerts.filter((a) => a.ruleId === rule || a.ruleName === rule);
    return {
      id: `absent[${i}]`,
      description: `rule "${rule}" did not fire`,
      passed: fired.length === 0,
      expected: "0 alerts",
      observed:
        fired.length === 0
          ? "0 alerts"
          : fired.map((a) => `${a.source ?? "?"} → ${a.destination ?? "*"} (${a.tier})`).join("; "),
    };
  });
}

function judgeSilence(scenario: Scenario, observed: Observed): ExpectationResult[] {
  if (!scenario.expect.silent) return [];
  return [
    {
      id: "silent",
      description: "no rule fired",
      passed: observed.alerts.length === 0,
      expected: "0 alerts",
      observed:
        observed.alerts.length === 0
          ? "0 alerts"
          : observed.alerts.map((a) => `${a.ruleId} (${a.source ?? "?"}, ${a.tier})`).join("; "),
    },
  ];
}
