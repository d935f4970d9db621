import { seconds } from "../core/format.js";
import {
  describeMissing,
  findLogReport,
  sawEveryEvent,
  shippedCompletely,
  type LogSourceReport,
} from "../logs/accounting.js";
import type { AlertSummary, ExpectationResult } from "../result.js";
import type { Scenario } from "../scenario/load.js";
import type { AlertExpectationSpec } from "../scenario/schema.js";
import type { LabPlan } from "../lab/topology.js";
import type { ContainmentRecord } from "../escalation/containment.js";
import type { GroundTruth } from "../scanners/ground-truth.js";

export interface Observed {
  readonly plan: LabPlan;
  /** What each step sent, as its source's capture showed it: the accounting's reference. */
  readonly groundTruth: readonly GroundTruth[];
  readonly logs: readonly LogSourceReport[];
  readonly alerts: readonly AlertSummary[];
  readonly timeToAlertMs?: number;
  readonly containment?: readonly ContainmentRecord[];
}

/** Every expectation of the scenario, each checked against what was observed. */
export function judge(scenario: Scenario, observed: Observed): ExpectationResult[] {
  return [
    ...judgeReference(scenario, observed),
    ...judgeLogs(scenario, observed),
    ...judgeSignatures(scenario, observed),
    ...judgeAlerts(scenario, observed),
    ...judgeUnexpected(scenario, observed),
    ...judgeAbsence(scenario, observed),
    ...judgeSilence(scenario, observed),
    ...judgeContainment(scenario, observed),
  ];
}

/**
 * Sources are accounted against what the wire showed, so a capture that stopped at its bound or
 * lost packets leaves the account without its reference: the scenario fails, naming the step.
 */
function judgeReference(scenario: Scenario, observed: Observed): ExpectationResult[] {
  if (scenario.expect.logs.length === 0) return [];
  const incomplete = observed.groundTruth.flatMap((t) => {
    const c = t.wire?.capture;
    if (!c || (!c.bounded && c.dropped === 0)) return [];
    return [
      `step ${t.step + 1} (${t.tool}): ${c.bounded ? `stopped at its bound after ${c.packets} packets` : ""}${c.bounded && c.dropped > 0 ? ", " : ""}${c.dropped > 0 ? `${c.dropped} packets dropped` : ""}`,
    ];
  });
  return [
    {
      id: "logs.reference",
      description: "every step's capture, the reference the sources are accounted against, is complete",
      passed: incomplete.length === 0,
      expected: "no capture bounded and no packet dropped",
      observed: incomplete.length === 0 ? "complete" : incomplete.join("; "),
    },
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

/** Where each host name of the lab is seen from: its address as the sensors log it. */
function addressesOf(observed: Observed): Map<string, string> {
  return new Map([
    ...observed.plan.hosts.map((h) => [h.name, h.seenAs] as const),
    ...observed.plan.targets.map((t) => [t.name, t.address] as const),
  ]);
}

function expects(want: AlertExpectationSpec, from: string, alert: AlertSummary): boolean {
  return (alert.ruleId === want.rule || alert.ruleName === want.rule) && alert.source === from;
}

function judgeAlerts(scenario: Scenario, observed: Observed): ExpectationResult[] {
  const addresses = addressesOf(observed);
  return scenario.expect.alerts.flatMap((want, i): ExpectationResult[] => {
    const from = addresses.get(want.from) ?? want.from;
    const matching = observed.alerts.filter((a) => expects(want, from, a));
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
    if (want.absent_reasons.length > 0) {
      const present = [...new Set(matching.flatMap((a) => a.reasons.map((r) => r.code)))].filter((code) =>
        want.absent_reasons.includes(code),
      );
      results.push({
        id: `alerts[${i}].absent_reasons`,
        description: `escalation reasons "${want.rule}" must not have`,
        passed: matching.length > 0 && present.length === 0,
        expected: `none of ${want.absent_reasons.join(", ")}`,
        observed: matching.length === 0 ? "no alert" : present.join(", ") || "none of them",
      });
    }
    if (want.enrichment)
      results.push(...judgeEnrichment(`alerts[${i}]`, want.rule, want.enrichment, matching));
    if (want.within !== undefined) {
      const times = matching.map((a) => a.timeToAlertMs ?? observed.timeToAlertMs);
      const slowest =
        times.every((t) => t !== undefined) && times.length > 0 ? Math.max(...times) : undefined;
      results.push({
        id: `alerts[${i}].within`,
        description: `"${want.rule}" was searchable soon enough after the last step`,
        passed: slowest !== undefined && slowest <= want.within,
        expected: `≤ ${seconds(want.within)}`,
        observed: slowest === undefined ? "no alert" : seconds(slowest),
      });
    }
    return results;
  });
}

/**
 * A scenario that lists the alerts it expects claims to know everything that fires: an alert of a
 * rule and source it does not list fails it, so a new rule that fires there is never missed.
 */
function judgeUnexpected(scenario: Scenario, observed: Observed): ExpectationResult[] {
  if (scenario.expect.alerts.length === 0) return [];
  const addresses = addressesOf(observed);
  const unexpected = observed.alerts.filter(
    (a) => !scenario.expect.alerts.some((want) => expects(want, addresses.get(want.from) ?? want.from, a)),
  );
  return [
    {
      id: "alerts.unexpected",
      description: "no rule fired that the scenario does not expect",
      passed: unexpected.length === 0,
      expected: "only the alerts listed in expect.alerts",
      observed:
        unexpected.length === 0
          ? "none unexpected"
          : unexpected.map((a) => `"${a.ruleName}" (${a.ruleId}) for ${a.source ?? "?"}`).join("; "),
    },
  ];
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

type EnrichmentSpec = NonNullable<AlertExpectationSpec["enrichment"]>;

/** Each enrichment item the scenario states, checked on every matching alert. */
function judgeEnrichment(
  id: string,
  rule: string,
  want: EnrichmentSpec,
  matching: readonly AlertSummary[],
): ExpectationResult[] {
  const results: ExpectationResult[] = [];
  const check = (
    key: string,
    what: string,
    expected: string,
    observe: (a: AlertSummary) => { ok: boolean; seen: string },
  ) => {
    const seen = matching.map(observe);
    results.push({
      id: `${id}.enrichment.${key}`,
      description: `${what} of "${rule}"`,
      passed: seen.length > 0 && seen.every((s) => s.ok),
      expected,
      observed: seen.map((s) => s.seen).join("; ") || "no alert",
    });
  };
  const includesAll = (have: readonly string[], need: readonly string[]) =>
    need.every((n) => have.includes(n));
  if (want.reputation)
    check("reputation", "reputation verdict", want.reputation, (a) => {
      const v = a.enrichment?.reputation.verdict ?? "none";
      return { ok: v === want.reputation, seen: v };
    });
  if (want.seen_before !== undefined)
    check("seen_before", "whether the source was seen before", String(want.seen_before), (a) => {
      const prior = a.enrichment?.history.priorEvents;
      return {
        ok: prior !== undefined && prior > 0 === want.seen_before,
        seen: prior === undefined ? "no history" : `${prior} earlier events`,
      };
    });
  if (want.baseline !== undefined)
    check("baseline", "whether the volume had a baseline", String(want.baseline), (a) => {
      const perWindow = a.analysis?.volume.baselinePerWindow;
      return {
        ok: (perWindow !== undefined && perWindow > 0) === want.baseline,
        seen: perWindow === undefined ? "no baseline" : `${perWindow.toFixed(1)} events per window`,
      };
    });
  if (want.patterns.length > 0)
    check("patterns", "known scanning patterns", want.patterns.join(", "), (a) => {
      const names = (a.enrichment?.patterns ?? []).map((p) => `${p.name} (${p.confidence})`);
      const plain = (a.enrichment?.patterns ?? []).map((p) => p.name);
      return { ok: includesAll(plain, want.patterns), seen: names.join(", ") || "none" };
    });
  if (want.cves.length > 0)
    check("cves", "known vulnerabilities of the targeted services", want.cves.join(", "), (a) => {
      const cves = (a.enrichment?.targetedServices ?? []).flatMap((s) => s.cves);
      return { ok: includesAll(cves, want.cves), seen: cves.join(", ") || "none" };
    });
  if (want.advisories.length > 0)
    check("advisories", "recent advisories for the targeted services", want.advisories.join(", "), (a) => {
      const cves = (a.enrichment?.advisories ?? []).map((x) => x.cve);
      return { ok: includesAll(cves, want.advisories), seen: cves.join(", ") || "none" };
    });
  if (want.exploit_signatures.length > 0) {
    const sids = want.exploit_signatures.map(String);
    check("exploit_signatures", "exploit attempts linked", sids.join(", "), (a) => {
      const linked = (a.enrichment?.exploitAttempts ?? []).map((x) => x.id);
      return { ok: includesAll(linked, sids), seen: linked.join(", ") || "none" };
    });
  }
  if (want.next_action)
    check("next_action", "recommended next action", want.next_action, (a) => {
      const action = a.nextAction?.action ?? "none given";
      return { ok: action === want.next_action, seen: action };
    });
  return results;
}

/** The contain step blocked the source; what it sent afterwards was denied, logged and flagged. */
function judgeContainment(scenario: Scenario, observed: Observed): ExpectationResult[] {
  const want = scenario.expect.containment;
  if (!want) return [];
  const address = want.source === "attacker" ? observed.plan.attacker : want.source;
  const record = observed.containment?.find((c) => c.source === address);
  const v = record?.verification;
  const results: ExpectationResult[] = [
    {
      id: "containment.blocked",
      description: `containment ${want.blocked ? "blocked" : "left alone"} ${want.source} (${address})`,
      passed: record !== undefined && record.blocked === want.blocked,
      expected: want.blocked ? "blocked at Tier 2" : "not blocked",
      observed: record
        ? `${record.blocked ? "blocked" : "not blocked"}: ${record.reason}`
        : "no contain step ran",
    },
  ];
  if (want.blocked && want.denied)
    results.push({
      id: "containment.denied",
      description: `the firewall denied and logged everything ${want.source} sent after the block`,
      passed: v !== undefined && v.deniedAfter > 0 && v.allowedAfter === 0,
      expected: "≥ 1 denied event, 0 allowed",
      observed: v ? `${v.deniedAfter} denied, ${v.allowedAfter} allowed` : "nothing verified",
    });
  if (want.blocked && want.ids_flagged)
    results.push({
      id: "containment.ids_flagged",
      description: `the IDS flagged ${want.source} as a block-listed source after the block`,
      passed: v !== undefined && v.idsFlags > 0,
      expected: "≥ 1 block-list alert",
      observed: v ? `${v.idsFlags} alerts` : "nothing verified",
    });
  return results;
}
