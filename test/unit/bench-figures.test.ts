import { expect } from "chai";
import { join } from "node:path";
import { latencySamples, ruleLatencies } from "../../bench/latency.js";
import { parseDetectorLog, readDetectorReports } from "../../bench/lib/detector-logs.js";
import { spread } from "../../bench/lib/stats.js";
import { isBenign, matrixRow, summarise, type MatrixRow } from "../../bench/matrix-figures.js";
import type { AlertSummary, ScenarioResult } from "../../harness/result.js";
import type { Scenario } from "../../harness/scenario/load.js";
import { ScenarioSchema } from "../../harness/scenario/schema.js";
import { fixture } from "./fixture-helpers.js";

const RULE = "5b7c1f0e-2a59-4e53-9d1a-0f3f7c9f6a01";
const ELASTIC_RULE = "0e3c5b7a-4f0d-4b8e-9a61-2d7f1c5e8b90";
/** A recorded run folder: one scenario's firewall log (first and last records) and detector logs. */
const RUN = fixture("bench-run");
const LOGS = join(RUN, "try-detectors", "logs");

function scenario(id: string, extra: Record<string, unknown> = {}): Scenario {
  const spec = ScenarioSchema.parse({
    id,
    title: id,
    technique: "T1595.001",
    lab: { targets: [{ name: "web", kind: "web" }] },
    steps: [{ tool: "nmap", target: "web" }],
    expect: { alerts: [{ rule: RULE }] },
    ...extra,
  });
  return { ...spec, file: `${id}.yaml` } as Scenario;
}

function alert(ruleId: string, tier: AlertSummary["tier"]): AlertSummary {
  return {
    id: `${ruleId}-alert`,
    ruleId,
    ruleName: ruleId,
    severity: "medium",
    riskScore: 47,
    techniques: ["T1595.001"],
    events: 1,
    distinct: [],
    tier,
    reasons: [],
  };
}

function result(
  id: string,
  startedAt: string,
  endedAt: string,
  alerts: readonly AlertSummary[] = [alert(RULE, "tier2")],
  verdict = "pass",
): ScenarioResult {
  return {
    id,
    title: id,
    file: `${id}.yaml`,
    technique: "T1595.001",
    tags: [],
    verdict: verdict as ScenarioResult["verdict"],
    durationMs: 1,
    timings: {},
    groundTruth: [
      {
        step: 0,
        tool: "nmap",
        command: [],
        source: "attacker",
        startedAt,
        endedAt,
        probes: [],
        events: [],
        summary: "",
      },
    ],
    logs: [],
    alerts,
    expectations: [],
  };
}

describe("bench statistics", () => {
  it("gives the median and the nearest-rank 95th percentile", () => {
    const s = spread([5, 1, 4, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(s).to.deep.equal({ n: 20, min: 1, median: 10.5, p95: 19, max: 20 });
  });

  it("takes the middle value of an odd sample and the only value of one", () => {
    expect(spread([3, 1, 2])?.median).to.equal(2);
    expect(spread([7])).to.deep.equal({ n: 1, min: 7, median: 7, p95: 7, max: 7 });
  });

  it("has nothing to say about an empty sample", () => {
    expect(spread([])).to.equal(undefined);
  });
});

describe("detector logs", () => {
  it("reads psad's scan reports and ignores its start-up and signature lines", () => {
    const reports = readDetectorReports(LOGS, "psad");
    expect(reports.map((r) => [r.at, r.source, r.destination])).to.deep.equal([
      ["2026-11-28T16:11:40.766Z", "198.18.0.10", "10.20.0.10"],
      ["2026-11-28T16:11:41.784Z", "198.18.0.10", "10.20.0.10"],
    ]);
  });

  it("reads scanlogd's reports from every target's folder, oldest first", () => {
    const reports = readDetectorReports(LOGS, "scanlogd");
    expect(reports.map((r) => [r.at, r.source, r.destination])).to.deep.equal([
      ["2026-11-28T16:11:38.949Z", "198.18.0.10", "10.20.0.10"],
    ]);
  });

  it("reads a scanlogd report with a constant source port and other destinations", () => {
    const line =
      "2026-11-28T16:00:00.5+01:00 scanlogd: 198.18.0.10:40000 to 10.20.0.11 and others, ports 22, 23, 25, ..., fSrpauxy @16:00:00";
    const [report] = parseDetectorLog("scanlogd", line);
    expect(report).to.include({
      at: "2026-11-28T15:00:00.500Z",
      source: "198.18.0.10",
      destination: "10.20.0.11",
    });
  });

  it("finds nothing where a detector never ran", () => {
    expect(readDetectorReports(join(LOGS, "psad"), "scanlogd")).to.deep.equal([]);
  });
});

describe("detection latency figures", () => {
  const names = new Map([[RULE, "Vertical Port Scan Seen by the Firewall"]]);
  const s = scenario("nmap-syn");

  it("measures each expected alert from the last step's end to when it was searchable", () => {
    const variants = [
      { id: "nmap-syn-aaaa", file: "a.yaml", scenario: s, repeat: 1 },
      { id: "nmap-syn-bbbb", file: "b.yaml", scenario: s, repeat: 2 },
    ];
    const results = [
      result("nmap-syn-aaaa", "2026-11-28T16:00:00.000Z", "2026-11-28T16:00:01.000Z"),
      result("nmap-syn-bbbb", "2026-11-28T16:01:00.000Z", "2026-11-28T16:01:01.000Z", undefined, "fail"),
    ];
    const first = new Map([["nmap-syn-aaaa", new Map([[RULE, Date.parse("2026-11-28T16:00:04.500Z")]])]]);
    const samples = latencySamples(variants, results, RUN, first, names);
    expect(samples).to.deep.equal([
      { rule: RULE, scenario: "nmap-syn", repeat: 1, searchableAfterMs: 3500, verdict: "pass" },
      { rule: RULE, scenario: "nmap-syn", repeat: 2, verdict: "fail" },
    ]);
    const [figures] = ruleLatencies(samples, names);
    expect(figures).to.deep.include({ runs: 2, missed: 1, scenarios: ["nmap-syn"] });
    expect(figures?.latency?.p95).to.equal(3500);
  });

  it("takes the scan's end from the firewall's last logged packet when there is one", () => {
    const samples = latencySamples(
      [{ id: "try-detectors", file: "t.yaml", scenario: s, repeat: 1 }],
      [result("try-detectors", "2026-11-28T16:11:38.000Z", "2026-11-28T16:11:39.000Z")],
      RUN,
      new Map([["try-detectors", new Map([[RULE, Date.parse("2026-11-28T16:11:42.000Z")]])]]),
      names,
    );
    expect(samples[0]?.searchableAfterMs).to.be.closeTo(42_000 - 39_034.903, 0.001);
  });

  it("matches an expectation that names the rule instead of its id", () => {
    const byName = scenario("by-name", {
      expect: { alerts: [{ rule: "Vertical Port Scan Seen by the Firewall" }] },
    });
    const samples = latencySamples(
      [{ id: "by-name-cccc", file: "c.yaml", scenario: byName, repeat: 1 }],
      [result("by-name-cccc", "2026-11-28T16:00:00.000Z", "2026-11-28T16:00:01.000Z")],
      RUN,
      new Map([["by-name-cccc", new Map([[RULE, Date.parse("2026-11-28T16:00:02.000Z")]])]]),
      names,
    );
    expect(samples.map((x) => x.searchableAfterMs)).to.deep.equal([1000]);
  });
});

describe("detection matrix figures", () => {
  const ruleSets = { scanproof: new Set([RULE]), elastic: new Set([ELASTIC_RULE]) };
  const psad = readDetectorReports(LOGS, "psad");
  const scanlogd = readDetectorReports(LOGS, "scanlogd");

  it("times every contender from the firewall's first packet and divides by scanproof's time", () => {
    const row = matrixRow({
      scenario: scenario("nmap-syn"),
      variantId: "try-detectors",
      result: result("try-detectors", "2026-11-28T16:11:38.000Z", "2026-11-28T16:11:39.000Z"),
      resultsDir: RUN,
      firstAlerts: new Map([["try-detectors", new Map([[RULE, Date.parse("2026-11-28T16:11:42.000Z")]])]]),
      ruleSets,
      reports: { psad, scanlogd },
    });
    expect(row.detections.scanproof).to.deep.include({ detected: true, ratioToScanproof: 1 });
    expect(row.detections.scanproof.detectMs).to.be.closeTo(3083.453, 0.001);
    expect(row.detections.elastic).to.deep.include({ detected: false, evidence: [] });
    expect(row.detections.psad.detectMs).to.be.closeTo(1849.453, 0.001);
    expect(row.detections.psad.ratioToScanproof).to.be.closeTo(0.5998, 0.0001);
    expect(row.detections.scanlogd.detectMs).to.be.closeTo(32.453, 0.001);
    expect(row.detections.scanlogd.evidence[0]).to.match(/^scanlogd: 198\.18\.0\.10 to 10\.20\.0\.10 ports/);
  });

  it("falls back to the tools' own start time where the firewall logged nothing", () => {
    const row = matrixRow({
      scenario: scenario("nmap-syn"),
      variantId: "elsewhere",
      result: result("elsewhere", "2026-11-28T16:11:38.000Z", "2026-11-28T16:11:39.000Z"),
      resultsDir: RUN,
      firstAlerts: new Map([["elsewhere", new Map([[RULE, Date.parse("2026-11-28T16:11:42.000Z")]])]]),
      ruleSets,
      reports: { psad, scanlogd: [] },
    });
    expect(row.detections.scanproof.detectMs).to.equal(4000);
    expect(row.detections.scanlogd).to.deep.equal({ detected: false, evidence: [] });
  });

  it("does not count an alert escalation suppressed as a detection", () => {
    const row = matrixRow({
      scenario: scenario("allow-listed"),
      variantId: "elsewhere",
      result: result("elsewhere", "2026-11-28T16:11:38.000Z", "2026-11-28T16:11:39.000Z", [
        alert(RULE, "suppressed"),
      ]),
      resultsDir: RUN,
      firstAlerts: new Map([["elsewhere", new Map([[RULE, Date.parse("2026-11-28T16:11:42.000Z")]])]]),
      ruleSets,
      reports: { psad: [], scanlogd: [] },
    });
    expect(row.detections.scanproof).to.deep.equal({ detected: false, evidence: [] });
  });

  it("counts detections on benign scenarios as false positives and skips errored rows", () => {
    const detection = (detected: boolean) => ({ detected, evidence: [] });
    const row = (id: string, benign: boolean, verdict: string, detected: boolean): MatrixRow => ({
      scenario: id,
      technique: "T1595.001",
      benign,
      verdict,
      detections: {
        scanproof: { ...detection(detected), ...(detected ? { ratioToScanproof: 1 } : {}) },
        elastic: detection(false),
        psad: { ...detection(true), ...(detected ? { ratioToScanproof: 0.5 } : {}) },
        scanlogd: detection(false),
      },
    });
    const summary = summarise([
      row("attack", false, "pass", true),
      row("benign", true, "pass", false),
      row("broken", false, "error", true),
    ]);
    expect(summary.find((s) => s.contender === "scanproof")).to.deep.equal({
      contender: "scanproof",
      attacksDetected: 1,
      attacks: 1,
      falsePositives: 0,
      benign: 1,
      medianRatio: 1,
    });
    expect(summary.find((s) => s.contender === "psad")).to.include({ falsePositives: 1, medianRatio: 0.5 });
  });

  it("calls a scenario benign when it demands silence or is tagged benign", () => {
    expect(isBenign(scenario("quiet", { expect: { silent: true } }))).to.equal(true);
    expect(isBenign(scenario("tagged", { tags: ["benign"], expect: {} }))).to.equal(true);
    expect(isBenign(scenario("attack"))).to.equal(false);
  });

  it("calls an allow-listed scanner's scenario benign: every alert it expects is suppressed", () => {
    const expecting = (...tiers: string[]) =>
      scenario("allow-listed", { expect: { alerts: tiers.map((tier) => ({ rule: RULE, tier })) } });
    expect(isBenign(expecting("suppressed", "suppressed"))).to.equal(true);
    expect(isBenign(expecting("suppressed", "tier2"))).to.equal(false);
  });
});
