import { expect } from "chai";
import type { GroundTruth } from "../../harness/scanners/ground-truth.js";
import { judge, type Observed } from "../../harness/judge/judge.js";
import type { LogSourceReport } from "../../harness/logs/accounting.js";
import type { AlertSummary, ExpectationResult } from "../../harness/result.js";
import type { Scenario } from "../../harness/scenario/load.js";
import type { AlertExpectationSpec } from "../../harness/scenario/schema.js";
import { planLab } from "../../harness/lab/topology.js";

const ATTACKER = "198.18.0.10";
const WEB = "10.20.0.10";
const RULE = "5b7c1f0e-2a59-4e53-9d1a-0f3f7c9f6a01";

function scenario(expect: Partial<Scenario["expect"]>): Scenario {
  return {
    file: "scenarios/unit.yaml",
    id: "unit",
    title: "Unit",
    description: "",
    technique: "T1595.001",
    tags: [],
    history: [],
    lab: {
      targets: [{ name: "web", kind: "web", network: "dmz", ports: {}, filtered: [] }],
      hosts: [],
      sensors: [],
    },
    steps: [{ tool: "nmap", from: "attacker", target: "web", args: [] }],
    expect: { logs: [], ids_signatures: [], alerts: [], absent: [], silent: false, ...expect },
  };
}

const alertExpectation = (overrides: Partial<AlertExpectationSpec> = {}): AlertExpectationSpec => ({
  rule: RULE,
  from: "attacker",
  count: 1,
  reasons: [],
  absent_reasons: [],
  ...overrides,
});

function firewall(overrides: Partial<LogSourceReport> = {}): LogSourceReport {
  return {
    source: "firewall",
    index: "scanproof-firewall",
    sensorRecords: 1000,
    indexed: 1000,
    parseFailures: 0,
    expectedEvents: 1000,
    seenEvents: 1000,
    missing: [],
    ingestWaitMs: 1500,
    signatures: {},
    ...overrides,
  };
}

function alert(overrides: Partial<AlertSummary> = {}): AlertSummary {
  return {
    id: "a1",
    ruleId: RULE,
    ruleName: "Vertical Port Scan Seen by the Firewall",
    severity: "medium",
    riskScore: 47,
    techniques: ["T1595", "T1595.001"],
    source: ATTACKER,
    destination: WEB,
    events: 1000,
    distinct: [{ field: "destination.port", values: 1000 }],
    tier: "tier2",
    reasons: [{ code: "external-never-seen", message: `${ATTACKER} is outside the internal networks` }],
    ...overrides,
  };
}

function observed(overrides: Partial<Observed> = {}): Observed {
  return {
    plan: planLab({ lab: { targets: [{ name: "web", kind: "web" }] } }),
    groundTruth: [],
    logs: [firewall()],
    alerts: [alert()],
    timeToAlertMs: 12_000,
    ...overrides,
  };
}

const FULL = scenario({
  logs: ["firewall"],
  alerts: [alertExpectation({ tier: "tier2", reasons: ["external-never-seen"], within: 30_000 })],
});

function result(results: readonly ExpectationResult[], id: string): ExpectationResult {
  const found = results.find((r) => r.id === id);
  if (!found) return expect.fail(`no expectation ${id} among ${results.map((r) => r.id).join(", ")}`);
  return found;
}

describe("judge", () => {
  describe("the wire reference", () => {
    const captured = (capture: Partial<NonNullable<GroundTruth["wire"]>["capture"]>): GroundTruth => ({
      step: 0,
      tool: "nmap",
      command: [],
      source: ATTACKER,
      startedAt: "",
      endedAt: "",
      probes: [],
      events: [],
      summary: "",
      wire: {
        capture: { file: "x.pcap", packets: 10, dropped: 0, bytes: 100, bounded: false, cut: 0, ...capture },
        probes: [],
        localFlows: 0,
        http: [],
        dns: [],
        logins: [],
        toolClaims: 0,
        claimsOnWire: 0,
        unseenClaims: [],
      },
    });

    it("fails a scenario whose capture stopped at its bound or dropped packets, naming the step", () => {
      const bounded = result(
        judge(FULL, observed({ groundTruth: [captured({ bounded: true })] })),
        "logs.reference",
      );
      expect(bounded).to.include({
        passed: false,
        observed: "step 1 (nmap): stopped at its bound after 10 packets",
      });
      const dropped = result(
        judge(FULL, observed({ groundTruth: [captured({ dropped: 3 })] })),
        "logs.reference",
      );
      expect(dropped).to.include({ passed: false, observed: "step 1 (nmap): 3 packets dropped" });
      expect(
        result(judge(FULL, observed({ groundTruth: [captured({})] })), "logs.reference").passed,
      ).to.equal(true);
    });
  });

  it("passes every expectation when everything was observed", () => {
    const results = judge(FULL, observed());
    expect(results.map((r) => r.id)).to.deep.equal([
      "logs.reference",
      "logs.firewall.shipped",
      "logs.firewall.events",
      "alerts[0].count",
      "alerts[0].tier",
      "alerts[0].reasons",
      "alerts[0].within",
      "alerts.unexpected",
    ]);
    expect(results.filter((r) => !r.passed)).to.deep.equal([]);
  });

  it("expects nothing of a scenario that expects nothing", () => {
    expect(judge(scenario({}), observed())).to.deep.equal([]);
  });

  describe("logs", () => {
    it("fails when a log source was not accounted at all", () => {
      const r = result(judge(FULL, observed({ logs: [] })), "logs.firewall");
      expect(r).to.include({ passed: false, observed: "none" });
    });

    it("fails events and lists the missing ones", () => {
      const missing = [`${WEB}/tcp:22`, `${WEB}/udp:53`];
      const r = result(
        judge(FULL, observed({ logs: [firewall({ seenEvents: 998, missing })] })),
        "logs.firewall.events",
      );
      expect(r.passed).to.equal(false);
      expect(r.expected).to.equal("1000 distinct events");
      expect(r.observed).to.equal(`998 seen; missing ${WEB}/tcp:22, ${WEB}/udp:53`);
    });

    it("marks a truncated list of missing events with an ellipsis", () => {
      const missing = [`${WEB}/tcp:22`];
      const r = result(
        judge(FULL, observed({ logs: [firewall({ seenEvents: 990, missing })] })),
        "logs.firewall.events",
      );
      expect(r.observed).to.equal(`990 seen; missing ${WEB}/tcp:22, …`);
    });

    it("fails events when the tools reported none", () => {
      const r = result(
        judge(FULL, observed({ logs: [firewall({ expectedEvents: 0, seenEvents: 0 })] })),
        "logs.firewall.events",
      );
      expect(r.passed).to.equal(false);
    });

    it("fails shipping when fewer records were indexed than written", () => {
      const r = result(
        judge(FULL, observed({ logs: [firewall({ indexed: 997 })] })),
        "logs.firewall.shipped",
      );
      expect(r.passed).to.equal(false);
      expect(r.observed).to.equal("997 indexed of 1000 written, 0 unparsed");
    });

    it("fails shipping when a record could not be parsed", () => {
      const r = result(
        judge(FULL, observed({ logs: [firewall({ parseFailures: 1 })] })),
        "logs.firewall.shipped",
      );
      expect(r.passed).to.equal(false);
      expect(r.observed).to.include("1 unparsed");
    });

    it("fails shipping when the sensor wrote nothing", () => {
      const r = result(
        judge(FULL, observed({ logs: [firewall({ sensorRecords: 0, indexed: 0 })] })),
        "logs.firewall.shipped",
      );
      expect(r.passed).to.equal(false);
    });

    it("fails shipping when more documents were indexed than written", () => {
      const r = result(
        judge(FULL, observed({ logs: [firewall({ indexed: 1001 })] })),
        "logs.firewall.shipped",
      );
      expect(r.passed).to.equal(false);
    });
  });

  describe("alerts", () => {
    it("fails the count when the rule fired twice for the attacker", () => {
      const r = result(judge(FULL, observed({ alerts: [alert(), alert({ id: "a2" })] })), "alerts[0].count");
      expect(r).to.include({ passed: false, expected: "1 alert", observed: "2" });
    });

    it("fails the count when the rule did not fire, and every dependent check with it", () => {
      const results = judge(FULL, observed({ alerts: [] }));
      expect(result(results, "alerts[0].count")).to.include({ passed: false, observed: "0" });
      expect(result(results, "alerts[0].tier")).to.include({ passed: false, observed: "no alert" });
      expect(result(results, "alerts[0].reasons")).to.include({ passed: false, observed: "none" });
      expect(result(results, "alerts[0].within")).to.include({ passed: false });
    });

    it("does not count an alert for another source", () => {
      const r = result(
        judge(FULL, observed({ alerts: [alert({ source: "198.18.0.99" })] })),
        "alerts[0].count",
      );
      expect(r).to.include({ passed: false, observed: "0" });
    });

    it("matches the rule by name as well as by id", () => {
      const s = scenario({ alerts: [alertExpectation({ rule: "Vertical Port Scan Seen by the Firewall" })] });
      expect(result(judge(s, observed()), "alerts[0].count").passed).to.equal(true);
    });

    it("expects the count the scenario names", () => {
      const s = scenario({ alerts: [alertExpectation({ count: 2 })] });
      const r = result(judge(s, observed({ alerts: [alert(), alert({ id: "a2" })] })), "alerts[0].count");
      expect(r).to.include({ passed: true, expected: "2 alerts" });
    });

    it("fails the tier when the alert went to L1", () => {
      const r = result(
        judge(FULL, observed({ alerts: [alert({ tier: "l1", reasons: [] })] })),
        "alerts[0].tier",
      );
      expect(r).to.include({ passed: false, expected: "tier2", observed: "l1" });
    });

    it("fails the tier when matching alerts disagree", () => {
      const s = scenario({ alerts: [alertExpectation({ count: 2, tier: "tier2" })] });
      const r = result(
        judge(s, observed({ alerts: [alert(), alert({ id: "a2", tier: "l1" })] })),
        "alerts[0].tier",
      );
      expect(r).to.include({ passed: false, observed: "tier2, l1" });
    });

    it("fails the reasons when an expected reason is missing", () => {
      const given = [{ code: "critical-target" as const, message: "targets ssh-bastion" }];
      const r = result(judge(FULL, observed({ alerts: [alert({ reasons: given })] })), "alerts[0].reasons");
      expect(r).to.include({ passed: false, expected: "external-never-seen", observed: "critical-target" });
    });

    it("passes the reasons when the alert gives more than expected", () => {
      const given = [
        { code: "external-never-seen" as const, message: "" },
        { code: "critical-target" as const, message: "" },
      ];
      expect(
        result(judge(FULL, observed({ alerts: [alert({ reasons: given })] })), "alerts[0].reasons").passed,
      ).to.equal(true);
    });

    it("fails within when the alert took longer than allowed", () => {
      const r = result(judge(FULL, observed({ timeToAlertMs: 30_001 })), "alerts[0].within");
      expect(r).to.include({ passed: false, expected: "≤ 30.0 s", observed: "30.0 s" });
    });

    it("passes within at exactly the limit", () => {
      expect(result(judge(FULL, observed({ timeToAlertMs: 30_000 })), "alerts[0].within").passed).to.equal(
        true,
      );
    });

    it("judges within by the matching alert's own time, not by when all rules had run", () => {
      const own = (ms: number) => [
        alert({ timeToAlertMs: ms }),
        alert({ id: "a9", ruleId: "other", timeToAlertMs: 90_000 }),
      ];
      const fast = judge(FULL, observed({ alerts: own(12_000), timeToAlertMs: 12_000 }));
      expect(result(fast, "alerts[0].within")).to.include({ passed: true, observed: "12.0 s" });
      const slow = judge(FULL, observed({ alerts: own(31_000), timeToAlertMs: 5_000 }));
      expect(result(slow, "alerts[0].within")).to.include({ passed: false, observed: "31.0 s" });
    });

    it("fails within when no time to alert was measured", () => {
      const { plan, groundTruth, logs, alerts } = observed();
      const r = result(judge(FULL, { plan, groundTruth, logs, alerts }), "alerts[0].within");
      expect(r).to.include({ passed: false, observed: "no alert" });
    });

    it("resolves a target name in alerts[].from to its planned address", () => {
      const s = scenario({ alerts: [alertExpectation({ from: "web" })] });
      const r = result(judge(s, observed({ alerts: [alert({ source: WEB })] })), "alerts[0].count");
      expect(r).to.include({ passed: true, observed: "1" });
    });

    it("adds no tier, reasons or within checks the scenario does not ask for", () => {
      const s = scenario({ alerts: [alertExpectation()] });
      expect(judge(s, observed()).map((r) => r.id)).to.deep.equal(["alerts[0].count", "alerts.unexpected"]);
    });
  });

  describe("unexpected alerts", () => {
    const probe = alert({
      id: "a2",
      ruleId: "7e7dcee1",
      ruleName: "Nmap SYN Probe Shape Seen by the Firewall",
    });

    it("fails a scenario that lists its alerts when another rule fired, naming the rule and source", () => {
      const r = result(judge(FULL, observed({ alerts: [alert(), probe] })), "alerts.unexpected");
      expect(r.passed).to.equal(false);
      expect(r.observed).to.equal(`"Nmap SYN Probe Shape Seen by the Firewall" (7e7dcee1) for ${ATTACKER}`);
    });

    it("fails when an expected rule also fired for a source the scenario does not name", () => {
      const r = result(
        judge(FULL, observed({ alerts: [alert(), alert({ id: "a3", source: WEB })] })),
        "alerts.unexpected",
      );
      expect(r.passed).to.equal(false);
      expect(r.observed).to.include(`for ${WEB}`);
    });

    it("passes when every alert is listed, by rule id or by name", () => {
      const both = scenario({ alerts: [alertExpectation(), alertExpectation({ rule: probe.ruleName })] });
      expect(
        result(judge(both, observed({ alerts: [alert(), probe] })), "alerts.unexpected").passed,
      ).to.equal(true);
    });

    it("is no check for a scenario that lists no alerts (it is about logs, or silent)", () => {
      const ids = judge(scenario({ logs: ["firewall"] }), observed({ alerts: [probe] })).map((r) => r.id);
      expect(ids).to.not.include("alerts.unexpected");
    });
  });

  describe("silence", () => {
    const SILENT = scenario({ silent: true });

    it("passes a silent scenario with no alerts", () => {
      expect(judge(SILENT, observed({ alerts: [] }))).to.deep.equal([
        {
          id: "silent",
          description: "no rule fired",
          passed: true,
          expected: "0 alerts",
          observed: "0 alerts",
        },
      ]);
    });

    it("fails a silent scenario with an alert, listing it", () => {
      const r = result(judge(SILENT, observed()), "silent");
      expect(r.passed).to.equal(false);
      expect(r.observed).to.equal(`${RULE} (${ATTACKER}, tier2)`);
    });
  });

  describe("absence", () => {
    it("passes when a rule that must not fire did not, by id or by name", () => {
      const s = scenario({ absent: ["another-rule", "Vertical Port Scan"] });
      expect(judge(s, observed({ alerts: [] })).map((r) => [r.id, r.passed])).to.deep.equal([
        ["absent[0]", true],
        ["absent[1]", true],
      ]);
    });

    it("fails when it fired, naming the source, target and tier of each alert", () => {
      const s = scenario({ absent: [RULE] });
      const r = result(judge(s, observed()), "absent[0]");
      expect(r).to.include({ passed: false, expected: "0 alerts", observed: `${ATTACKER} → ${WEB} (tier2)` });
    });

    it("fails on a rule named by its name as well as by its id", () => {
      const name = alert().ruleName;
      const r = result(judge(scenario({ absent: [name] }), observed()), "absent[0]");
      expect(r.passed).to.equal(false);
    });
  });
});

describe("judge: the decisions behind each expectation", () => {
  describe("IDS signatures", () => {
    const ids = (signatures: Record<string, number>): LogSourceReport =>
      firewall({ source: "ids", index: "scanproof-ids", signatures });

    it("passes a signature the IDS raised, and fails one it did not, naming what it raised", () => {
      const s = scenario({ ids_signatures: [9101001, 9101020] });
      const results = judge(s, observed({ logs: [firewall(), ids({ "9101001": 2 })] }));
      expect(results.map((r) => [r.id, r.passed, r.observed])).to.deep.equal([
        ["ids.9101001", true, "2 alerts (raised: 9101001)"],
        ["ids.9101020", false, "0 alerts (raised: 9101001)"],
      ]);
    });

    it("fails a signature counted zero times, and every signature when the IDS was not accounted", () => {
      const s = scenario({ ids_signatures: [9101001] });
      expect(result(judge(s, observed({ logs: [ids({ "9101001": 0 })] })), "ids.9101001").passed).to.equal(
        false,
      );
      expect(result(judge(s, observed({ logs: [firewall()] })), "ids.9101001")).to.include({
        passed: false,
        observed: "0 alerts (raised: none)",
      });
    });
  });

  it("states what it expected of a sensor that wrote nothing and of steps that cause no event", () => {
    const results = judge(
      FULL,
      observed({ logs: [firewall({ sensorRecords: 0, indexed: 0, expectedEvents: 0, seenEvents: 0 })] }),
    );
    expect(result(results, "logs.firewall.shipped").expected).to.equal(
      "records from the firewall sensor, all indexed",
    );
    expect(result(results, "logs.firewall.events")).to.include({
      expected: "events the steps cause at the firewall (no step here causes any)",
      observed: "0 seen",
    });
    expect(result(judge(FULL, observed()), "logs.firewall.shipped").expected).to.equal(
      "1000 records indexed, 0 unparsed",
    );
  });

  it("fails the reasons when the alerts give only some of the expected ones", () => {
    const s = scenario({
      alerts: [alertExpectation({ reasons: ["external-never-seen", "critical-target"] })],
    });
    const r = result(judge(s, observed()), "alerts[0].reasons");
    expect(r).to.include({ passed: false, observed: "external-never-seen" });
  });

  it("judges within by the slowest of several matching alerts", () => {
    const s = scenario({ alerts: [alertExpectation({ count: 2, within: 30_000 })] });
    const alerts = [alert({ timeToAlertMs: 12_000 }), alert({ id: "a2", timeToAlertMs: 31_000 })];
    expect(result(judge(s, observed({ alerts })), "alerts[0].within")).to.include({
      passed: false,
      observed: "31.0 s",
    });
    const { plan, groundTruth, logs } = observed();
    const unmeasured = [alert({ timeToAlertMs: 12_000 }), alert({ id: "a2" })];
    expect(result(judge(s, { plan, groundTruth, logs, alerts: unmeasured }), "alerts[0].within")).to.include({
      passed: false,
      observed: "no alert",
    });
  });

  it("says none was unexpected when every alert is listed", () => {
    expect(result(judge(FULL, observed()), "alerts.unexpected")).to.deep.equal({
      id: "alerts.unexpected",
      description: "no rule fired that the scenario does not expect",
      passed: true,
      expected: "only the alerts listed in expect.alerts",
      observed: "none unexpected",
    });
  });

  it("passes an absent rule while other rules fire", () => {
    const r = result(judge(scenario({ absent: ["another-rule"] }), observed()), "absent[0]");
    expect(r).to.deep.equal({
      id: "absent[0]",
      description: 'rule "another-rule" did not fire',
      passed: true,
      expected: "0 alerts",
      observed: "0 alerts",
    });
  });
});
