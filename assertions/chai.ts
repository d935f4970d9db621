import {
  describeMissing,
  findLogReport,
  sawEveryEvent,
  shippedCompletely,
} from "../harness/logs/accounting.js";
import type { AlertSummary, ScenarioResult, Verdict } from "../harness/result.js";
import type { LogSourceName, Tier } from "../harness/core/vocabulary.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Chai {
    interface Assertion {
      /** Every probe the tools reported appears in the source, and every sensor record was indexed as ECS. */
      logged(source: LogSourceName): Assertion;
      /** At least one alert of the rule (id or name), optionally only from one source address. */
      alert(rule: string, from?: string): Assertion;
      /** Exactly this many alerts were selected by `alert(…)`. */
      times(count: number): Assertion;
      /** Every alert selected by `alert(…)` has this escalation tier. */
      tier(tier: Tier): Assertion;
      /** Every alert selected by `alert(…)` carries this machine-readable reason. */
      reason(code: string): Assertion;
      /** The scenario's verdict; on mismatch the message lists its failed expectations. */
      verdict(verdict: Verdict): Assertion;
      /** No rule fired. */
      silent: Assertion;
    }
  }
}

const ALERTS = "scanproof.alerts";

function describeAlerts(alerts: readonly AlertSummary[]): string {
  return (
    alerts
      .map(
        (a) => `${a.ruleId} from ${a.source ?? "?"} → ${a.tier} [${a.reasons.map((r) => r.code).join(", ")}]`,
      )
      .join("; ") || "none"
  );
}

/**
 * The scanproof vocabulary for chai, over a ScenarioResult:
 * `expect(result).to.have.logged("firewall")`,
 * `expect(result).to.have.alert(ruleId, attacker).times(1).with.tier("tier2").and.reason("external-never-seen")`,
 * `expect(result).to.be.silent`, `expect(result).to.have.verdict("pass")`.
 */
export const scanproofChai: Chai.ChaiPlugin = (chai, utils) => {
  const { Assertion } = chai;
  const result = (assertion: Chai.AssertionStatic | object): ScenarioResult =>
    utils.flag(assertion, "object") as ScenarioResult;
  const selected = (assertion: object): AlertSummary[] => {
    const alerts = utils.flag(assertion, ALERTS) as AlertSummary[] | undefined;
    if (!alerts) throw new Error("call .alert(rule) before .times/.tier/.reason");
    return alerts;
  };

  Assertion.addMethod("logged", function (this: Chai.AssertionStatic, source: LogSourceName) {
    const r = result(this);
    const report = findLogReport(r.logs, source);
    this.assert(
      report !== undefined,
      `expected ${r.id} to have an account of ${source} logs, but it has none`,
      `expected ${r.id} not to have ${source} logs`,
      source,
    );
    if (!report) return;
    const missing = describeMissing(report);
    this.assert(
      shippedCompletely(report) && sawEveryEvent(report),
      `expected every ${source} record of ${r.id} indexed and every expected event logged, but ${report.indexed}/${report.sensorRecords} records were indexed (${report.parseFailures} unparsed) and ${report.seenEvents}/${report.expectedEvents} events seen${missing ? ` (${missing})` : ""}`,
      `expected ${source} logs of ${r.id} to be incomplete`,
      { indexed: report.sensorRecords, events: report.expectedEvents },
      { indexed: report.indexed, events: report.seenEvents },
    );
  });

  Assertion.addMethod("alert", function (this: Chai.AssertionStatic, rule: string, from?: string) {
    const r = result(this);
    const matching = r.alerts.filter(
      (a) => (a.ruleId === rule || a.ruleName === rule) && (from === undefined || a.source === from),
    );
    utils.flag(this, ALERTS, matching);
    this.assert(
      matching.length > 0,
      `expected ${r.id} to have an alert of ${rule}${from ? ` from ${from}` : ""}, but its alerts are: ${describeAlerts(r.alerts)}`,
      `expected ${r.id} to have no alert of ${rule}${from ? ` from ${from}` : ""}, but it has: ${describeAlerts(matching)}`,
      rule,
    );
  });

  Assertion.addMethod("times", function (this: Chai.AssertionStatic, count: number) {
    const alerts = selected(this);
    this.assert(
      alerts.length === count,
      `expected ${count} alert(s), got ${alerts.length}: ${describeAlerts(alerts)}`,
      `expected other than ${count} alert(s)`,
      count,
      alerts.length,
    );
  });

  Assertion.addMethod("tier", function (this: Chai.AssertionStatic, tier: Tier) {
    const alerts = selected(this);
    this.assert(
      alerts.length > 0 && alerts.every((a) => a.tier === tier),
      `expected tier ${tier}, got ${describeAlerts(alerts)}`,
      `expected a tier other than ${tier}`,
      tier,
      alerts.map((a) => a.tier).join(", "),
    );
  });

  Assertion.addMethod("reason", function (this: Chai.AssertionStatic, code: string) {
    const alerts = selected(this);
    this.assert(
      alerts.length > 0 && alerts.every((a) => a.reasons.some((x) => x.code === code)),
      `expected reason ${code}, got ${describeAlerts(alerts)}`,
      `expected no reason ${code}, got ${describeAlerts(alerts)}`,
      code,
    );
  });

  Assertion.addMethod("verdict", function (this: Chai.AssertionStatic, verdict: Verdict) {
    const r = result(this);
    const failed = r.expectations
      .filter((e) => !e.passed)
      .map((e) => `${e.id}: expected ${e.expected}, observed ${e.observed}`);
    this.assert(
      r.verdict === verdict,
      `expected ${r.id} to ${verdict}, but it was ${r.verdict}${r.reason ? `: ${r.reason}` : ""}${failed.length ? `\n  ${failed.join("\n  ")}` : ""}`,
      `expected ${r.id} not to ${verdict}`,
      verdict,
      r.verdict,
    );
  });

  Assertion.addProperty("silent", function (this: Chai.AssertionStatic) {
    const r = result(this);
    this.assert(
      r.alerts.length === 0,
      `expected ${r.id} to raise no alert, but it raised: ${describeAlerts(r.alerts)}`,
      `expected ${r.id} to raise an alert`,
    );
  });
};
