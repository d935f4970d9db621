import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeVariant } from "../../bench/lib/scenario-variants.js";
import { loadScenario } from "../../harness/scenario/load.js";
import { latencySamples, ruleLatencies } from "../../bench/latency.js";
import {
  parseDetectorLog,
  readDetectorReports,
  type DetectorReport,
} from "../../harness/logs/detector-reports.js";
import { spread } from "../../bench/lib/stats.js";
import type { MatrixBench } from "../../bench/matrix.js";
import {
  attackingHosts,
  CONTENDERS,
  isBenign,
  MATRIX_DEFINITIONS,
  matrixRow,
  summarise,
  withoutKnownSources,
  type Contender,
  type Detection,
  type MatrixRow,
  type RowInputs,
  type RowSet,
} from "../../bench/matrix-figures.js";
import { cell, renderMatrixMarkdown, renderMatrixText } from "../../bench/matrix-report.js";
import { loadContext } from "../../harness/context/context.js";
import { assertionsDir, scenariosDir } from "../../harness/core/paths.js";
import type { AlertSummary, ScenarioResult, Verdict } from "../../harness/result.js";
import type { Scenario } from "../../harness/scenario/load.js";
import { ScenarioSchema } from "../../harness/scenario/schema.js";
import { fixture } from "./fixture-helpers.js";

const RULE = "5b7c1f0e-2a59-4e53-9d1a-0f3f7c9f6a01";
const ELASTIC_RULE = "0e3c5b7a-4f0d-4b8e-9a61-2d7f1c5e8b90";
const ATTACKER = "198.18.0.10";
const WEB = "10.20.0.10";
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

function alert(ruleId: string, tier: AlertSummary["tier"], source = ATTACKER): AlertSummary {
  return {
    id: `${ruleId}-alert`,
    ruleId,
    ruleName: ruleId,
    source,
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

describe("detection matrix scoring", () => {
  const psad = readDetectorReports(LOGS, "psad");
  const scanlogd = readDetectorReports(LOGS, "scanlogd");
  const noReports = { psad: [], scanlogd: [] };
  const noAllowList = { allow_list: [], infrastructure: [] };
  const internalScanner = loadContext(join(assertionsDir, "context", "lab-internal-scanner.yaml"));
  const expiredEngagement = loadContext(join(assertionsDir, "context", "lab-expired-engagement.yaml"));
  const at = (time: string) => new Map([[RULE, Date.parse(`2026-11-28T${time}Z`)]]);
  const report = (source: string, time = "16:11:40.000"): DetectorReport => ({
    detector: "psad",
    at: `2026-11-28T${time}Z`,
    source,
    destination: WEB,
    line: `2026-11-28T${time}Z psad: scan detected (Nmap -sS scan): ${source} -> ${WEB} tcp: [1-150]`,
  });
  const rowOf = (inputs: Partial<RowInputs> & Pick<RowInputs, "scenario">): MatrixRow =>
    matrixRow({
      set: "library",
      variantId: "elsewhere",
      result: result("elsewhere", "2026-11-28T16:11:38.000Z", "2026-11-28T16:11:39.000Z"),
      resultsDir: RUN,
      firstAlerts: new Map([["elsewhere", at("16:11:42.000")]]),
      elastic: [],
      reports: noReports,
      context: noAllowList,
      ...inputs,
    });

  it("times every contender from the firewall's first packet and divides by scanproof's time", () => {
    const row = rowOf({
      scenario: scenario("nmap-syn"),
      variantId: "try-detectors",
      result: result("try-detectors", "2026-11-28T16:11:38.000Z", "2026-11-28T16:11:39.000Z"),
      firstAlerts: new Map([["try-detectors", at("16:11:42.000")]]),
      reports: { psad, scanlogd },
    });
    expect(row.attackers).to.deep.equal([ATTACKER]);
    expect(row.detections.scanproof).to.deep.include({ ok: true, ratioToScanproof: 1 });
    expect(row.detections.scanproof.detectMs).to.be.closeTo(3083.453, 0.001);
    expect(row.detections.elastic).to.deep.equal({ ok: false, evidence: [], wrongHost: [] });
    expect(row.detections.psad.detectMs).to.be.closeTo(1849.453, 0.001);
    expect(row.detections.psad.ratioToScanproof).to.be.closeTo(0.5998, 0.0001);
    expect(row.detections["psad-allow-list"]).to.deep.equal(row.detections.psad);
    expect(row.detections.scanlogd.detectMs).to.be.closeTo(32.453, 0.001);
    expect(row.detections.scanlogd.evidence[0]).to.match(/^scanlogd: 198\.18\.0\.10 to 10\.20\.0\.10 ports/);
  });

  it("falls back to the tools' own start time where the firewall logged nothing", () => {
    const row = rowOf({ scenario: scenario("nmap-syn"), reports: { psad, scanlogd: [] } });
    expect(row.detections.scanproof.detectMs).to.equal(4000);
    expect(row.detections.scanlogd).to.deep.equal({ ok: false, evidence: [], wrongHost: [] });
  });

  it("gives scanproof a library ✔ only when the scenario passed, whatever fired", () => {
    const failed = rowOf({
      scenario: scenario("nmap-syn"),
      result: result("elsewhere", "2026-11-28T16:11:38.000Z", "2026-11-28T16:11:39.000Z", undefined, "fail"),
    });
    expect(failed.verdict).to.equal("fail");
    expect(failed.detections.scanproof).to.deep.equal({
      ok: false,
      evidence: [`${RULE} → ${ATTACKER}`],
      wrongHost: [],
    });
    expect(cell(failed, "scanproof")).to.equal("✖ fail");
    const passed = rowOf({ scenario: scenario("nmap-syn") });
    expect(cell(passed, "scanproof")).to.equal("✔ 1.00×");
    const silentPass = rowOf({
      scenario: scenario("quiet", { expect: { silent: true } }),
      result: result("elsewhere", "2026-11-28T16:11:38.000Z", "2026-11-28T16:11:39.000Z", []),
    });
    expect(cell(silentPass, "scanproof")).to.equal("✔ silent");
  });

  it("scores scanproof on the corpus by whom its alerts name, not by the verdict", () => {
    const corpus = (alerts: readonly AlertSummary[]) =>
      rowOf({
        set: "corpus",
        scenario: scenario("corpus-01-nmap-ss"),
        result: result("elsewhere", "2026-11-28T16:11:38.000Z", "2026-11-28T16:11:39.000Z", alerts, "fail"),
      });
    expect(corpus([alert(RULE, "tier2")]).detections.scanproof.ok).to.equal(true);
    expect(cell(corpus([alert(RULE, "tier2")]), "scanproof")).to.equal("✔ 1.00×");
    const victim = corpus([alert(RULE, "tier2", WEB)]);
    expect(victim.detections.scanproof).to.deep.include({ ok: false, wrongHost: [`${RULE} → ${WEB}`] });
    expect(cell(victim, "scanproof")).to.equal("✖ named another host");
  });

  it("does not count an alert escalation suppressed", () => {
    const row = rowOf({
      set: "corpus",
      scenario: scenario("allow-listed"),
      result: result("elsewhere", "2026-11-28T16:11:38.000Z", "2026-11-28T16:11:39.000Z", [
        alert(RULE, "suppressed"),
      ]),
      elastic: [
        {
          ruleId: ELASTIC_RULE,
          ruleName: "Potential SYN-Based Port Scan Detected",
          source: ATTACKER,
          tier: "suppressed",
        },
      ],
    });
    expect(row.detections.scanproof).to.deep.equal({ ok: false, evidence: [], wrongHost: [] });
    expect(row.detections.elastic).to.deep.equal({ ok: false, evidence: [], wrongHost: [] });
  });

  it("counts an Elastic alert only when it names the attacking host, and records the victim it blamed", () => {
    const blamed = {
      ruleId: ELASTIC_RULE,
      ruleName: "Potential SYN-Based Port Scan Detected",
      tier: "l1" as const,
    };
    const wrong = rowOf({
      scenario: scenario("rule-connect-scan"),
      elastic: [{ ...blamed, source: WEB, destination: ATTACKER }],
    });
    expect(wrong.detections.elastic).to.deep.equal({
      ok: false,
      evidence: [],
      wrongHost: [`Potential SYN-Based Port Scan Detected → ${WEB}`],
    });
    expect(cell(wrong, "elastic")).to.equal("✖ named another host");
    const named = rowOf({
      scenario: scenario("rule-connect-scan"),
      elastic: [{ ...blamed, source: ATTACKER }],
    });
    expect(named.detections.elastic).to.deep.include({
      ok: true,
      evidence: [`Potential SYN-Based Port Scan Detected → ${ATTACKER}`],
    });
    expect(named.detections.elastic.detectMs, "Elastic's rules run after the run").to.equal(undefined);
    expect(cell(named, "elastic")).to.equal("✔");
  });

  it("counts a detector report only when its source is an attacking host", () => {
    const row = rowOf({
      scenario: scenario("evasion-decoys"),
      reports: { psad: [report("198.18.0.20")], scanlogd: [report(ATTACKER)] },
    });
    expect(row.detections.psad).to.deep.include({ ok: false });
    expect(row.detections.psad.wrongHost[0]).to.match(/^psad: scan detected .*198\.18\.0\.20 -> /);
    expect(row.detections.scanlogd.ok).to.equal(true);
  });

  it("calls every finding on benign traffic a false positive, whomever it names", () => {
    const row = rowOf({
      scenario: scenario("benign-browsing", { tags: ["benign"], expect: { silent: true } }),
      result: result("elsewhere", "2026-11-28T16:11:38.000Z", "2026-11-28T16:11:39.000Z", []),
      elastic: [
        { ruleId: ELASTIC_RULE, ruleName: "Potential Network Sweep Detected", source: WEB, tier: "l1" },
      ],
      reports: { psad: [], scanlogd: [report("198.18.0.99")] },
    });
    expect(row.detections.elastic).to.deep.include({ ok: false, wrongHost: [] });
    expect(cell(row, "elastic")).to.equal("✖ false positive");
    expect(cell(row, "scanlogd")).to.equal("✖ false positive");
    expect(cell(row, "psad")).to.equal("✔ silent");
  });

  it("scores an L1 triage case like an attack: a report naming the host the scenario expects is right", () => {
    const triage = scenario("internal-sweep-l1", {
      tags: ["benign"],
      lab: {
        targets: [{ name: "web", kind: "web" }],
        hosts: [{ name: "workstation", role: "client", network: "lan", address: "10.30.0.130" }],
      },
      steps: [{ tool: "nmap", from: "workstation", target: "web" }],
      expect: { alerts: [{ rule: RULE, from: "workstation", tier: "l1" }] },
    });
    const row = rowOf({
      scenario: triage,
      result: result("elsewhere", "2026-11-28T16:11:38.000Z", "2026-11-28T16:11:39.000Z", [
        alert(RULE, "l1", "10.30.0.130"),
      ]),
      reports: { psad: [report("10.30.0.130")], scanlogd: [] },
    });
    expect(row.benign).to.equal(false);
    expect(row.attackers).to.deep.equal(["10.30.0.130"]);
    expect(row.detections.psad.ok).to.equal(true);
    expect(cell(row, "scanlogd")).to.equal("✖ missed");
  });

  it("drops psad's and scanlogd's reports of an allow-listed scanner only in their allow-list columns", () => {
    const authorised = scenario("authorised-internal-scanner", {
      tags: ["benign"],
      lab: {
        targets: [{ name: "web", kind: "web" }],
        hosts: [{ name: "vm-scanner", role: "scanner", network: "lan", address: "10.30.0.50" }],
      },
      steps: [{ tool: "nmap", from: "vm-scanner", target: "web" }],
      expect: { alerts: [{ rule: RULE, from: "vm-scanner", tier: "suppressed" }] },
    });
    const row = rowOf({
      scenario: authorised,
      result: result("elsewhere", "2026-11-28T16:11:38.000Z", "2026-11-28T16:11:39.000Z", [
        alert(RULE, "suppressed", "10.30.0.50"),
      ]),
      reports: { psad: [report("10.30.0.50")], scanlogd: [report("10.30.0.50")] },
      context: internalScanner,
    });
    expect(row.attackers).to.deep.equal(["10.30.0.50"]);
    expect(cell(row, "scanproof")).to.equal("✔ silent");
    expect(cell(row, "psad")).to.equal("✖ false positive");
    expect(cell(row, "psad-allow-list")).to.equal("✔ silent");
    expect(cell(row, "scanlogd")).to.equal("✖ false positive");
    expect(cell(row, "scanlogd-allow-list")).to.equal("✔ silent");
  });

  it("keeps a report of an allow-listed scanner outside its engagement window", () => {
    const november = report(ATTACKER);
    const january = { ...november, at: "2026-01-20T10:00:00.000Z" };
    expect(withoutKnownSources([november, january], expiredEngagement)).to.deep.equal([november]);
    expect(withoutKnownSources([november], noAllowList)).to.deep.equal([november]);
  });

  it("drops a declared host's report against a host it declares, in its schedule, and keeps the rest", () => {
    const declarations = loadContext(fixture("context", "infrastructure.yaml"));
    const backup = (destination: string, at: string): DetectorReport => ({
      ...report("10.30.0.60"),
      destination,
      at,
    });
    const inside = backup("10.20.0.11", "2026-11-28T17:30:00.000Z");
    const otherHost = backup("10.20.0.12", "2026-11-28T17:30:00.000Z");
    const lateHour = backup("10.20.0.11", "2026-11-28T19:30:00.000Z");
    const sunday = backup("10.20.0.11", "2026-11-29T17:30:00.000Z");
    expect(withoutKnownSources([inside, otherHost, lateHour, sunday], declarations)).to.deep.equal([
      otherHost,
      lateHour,
      sunday,
    ]);
  });

  it("names as attacking hosts the attacker and scanner steps' sources, and the hosts expected to be alerted on", () => {
    const insider = scenario("insider", {
      lab: {
        targets: [{ name: "web", kind: "web" }],
        hosts: [
          { name: "insider", role: "attacker", network: "lan" },
          { name: "office", role: "attacker", network: "nat" },
          { name: "visitor", role: "client", network: "outside" },
          { name: "decoy", role: "client", network: "outside" },
        ],
      },
      steps: [
        { tool: "nmap", from: "insider", target: "web" },
        { tool: "masscan", from: "office", target: "web", ports: "1-10" },
        { tool: "http", from: "visitor", target: "web", paths: ["/"] },
        { tool: "contain", source: "decoy" },
      ],
      expect: { alerts: [{ rule: RULE, from: "insider" }] },
    });
    expect(attackingHosts(insider)).to.deep.equal(["10.30.0.10", "198.18.0.2"]);
    const alerted = { ...insider, expect: { ...insider.expect, alerts: [...insider.expect.alerts] } };
    const [first] = insider.expect.alerts;
    if (!first) return expect.fail("the insider scenario expects an alert");
    alerted.expect.alerts.push({ ...first, from: "visitor", tier: "l1" });
    expect(attackingHosts(alerted)).to.deep.equal(["10.30.0.10", "198.18.0.2", "198.18.0.20"]);
  });

  it("summarises each set apart, counting ✔ cells and attacks that named another host, and skips errored rows", () => {
    const detection = (ok: boolean, extra: Partial<Detection> = {}): Detection => ({
      ok,
      evidence: [],
      wrongHost: [],
      ...extra,
    });
    const row = (id: string, set: RowSet, benign: boolean, verdict: Verdict, ok: boolean): MatrixRow => ({
      scenario: id,
      title: id,
      set,
      technique: "T1595.001",
      benign,
      verdict,
      attackers: [ATTACKER],
      detections: {
        scanproof: detection(ok, ok && !benign ? { ratioToScanproof: 1 } : {}),
        elastic: detection(false, benign ? {} : { wrongHost: [`x → ${WEB}`] }),
        psad: detection(true, ok && !benign ? { ratioToScanproof: 0.5 } : {}),
        "psad-allow-list": detection(!benign),
        scanlogd: detection(false),
        "scanlogd-allow-list": detection(false),
      },
    });
    const summary = summarise([
      row("attack", "library", false, "pass", true),
      row("benign", "library", true, "pass", true),
      row("broken", "library", false, "error", true),
      row("corpus-01", "corpus", false, "fail", false),
    ]);
    const of = (set: RowSet, contender: Contender) =>
      summary.find((s) => s.set === set && s.contender === contender);
    expect(of("library", "scanproof")).to.deep.equal({
      set: "library",
      contender: "scanproof",
      attacksDetected: 1,
      attacks: 1,
      benignQuiet: 1,
      benign: 1,
      namedAnotherHost: 0,
      medianRatio: 1,
    });
    expect(of("library", "psad")).to.include({ attacksDetected: 1, benignQuiet: 1, medianRatio: 0.5 });
    expect(of("library", "psad-allow-list")).to.include({ benignQuiet: 0, attacksDetected: 1 });
    expect(of("library", "elastic")).to.include({ attacksDetected: 0, namedAnotherHost: 1 });
    expect(of("corpus", "scanproof")).to.include({ attacksDetected: 0, attacks: 1, benign: 0 });
  });

  it("calls a scenario benign when it demands silence, whatever its tags", () => {
    expect(isBenign(scenario("quiet", { expect: { silent: true } }))).to.equal(true);
    expect(isBenign(scenario("attack"))).to.equal(false);
    const triage = scenario("triaged", {
      tags: ["benign"],
      expect: { alerts: [{ rule: RULE, tier: "l1" }] },
    });
    expect(isBenign(triage)).to.equal(false);
  });

  it("calls an allow-listed scanner's scenario benign: every alert it expects is suppressed", () => {
    const expecting = (...tiers: string[]) =>
      scenario("allow-listed", { expect: { alerts: tiers.map((tier) => ({ rule: RULE, tier })) } });
    expect(isBenign(expecting("suppressed", "suppressed"))).to.equal(true);
    expect(isBenign(expecting("suppressed", "tier2"))).to.equal(false);
  });
});

describe("detection matrix report", () => {
  const machine = {
    nproc: 2,
    cpuModel: "test CPU",
    totalMemoryBytes: 1024 ** 3,
    kernel: "6.0",
    node: "v20",
    dockerEngine: "20.10",
  };
  const detection: Detection = { ok: true, evidence: [], wrongHost: [] };
  const bench: MatrixBench = {
    date: "2026-12-01",
    startedAt: "2026-12-01T00:00:00.000Z",
    endedAt: "2026-12-01T00:30:00.000Z",
    machine,
    load1m: { start: 1, end: 1 },
    backend: "embedded Elasticsearch",
    corpus: { seed: 1595, size: 1 },
    rules: { scanproof: [RULE], elastic: [ELASTIC_RULE], elasticSkipped: [], elasticNotes: [] },
    definitions: MATRIX_DEFINITIONS,
    rows: (["library", "corpus"] as const).map((set) => ({
      scenario: `${set}-row`,
      title: `${set} row`,
      set,
      technique: "T1595.001",
      benign: false,
      verdict: "pass",
      attackers: [ATTACKER],
      detections: Object.fromEntries(CONTENDERS.map((c) => [c, detection])) as Record<Contender, Detection>,
    })),
    summary: [],
  };

  it("prints every scoring definition with the text and the markdown tables", () => {
    const text = renderMatrixText(bench);
    const markdown = renderMatrixMarkdown(bench, "bench/results/matrix-2026-12-01.json");
    for (const definition of MATRIX_DEFINITIONS) {
      expect(text).to.include(definition);
      expect(markdown).to.include(definition);
    }
    expect(text).to.include("Challenge corpus (1 scenarios, seed 1595)");
    expect(markdown).to.include("## Challenge corpus (1 scenarios, seed 1595)");
    expect(markdown).to.include("| Scenario | Kind | Verdict |");
  });
});

describe("bench scenario variants", () => {
  it("keep the original's context and its own images' Dockerfiles, wherever the copy is written", () => {
    const dir = mkdtempSync(join(tmpdir(), "scanproof-variant-"));
    try {
      for (const name of ["scan-own-target-image", "anytool-own-image", "benign-snmp-polling"]) {
        const original = loadScenario(join(scenariosDir, `${name}.yaml`));
        const copy = loadScenario(writeVariant(original, dir).file);
        expect(copy.lab, name).to.deep.equal(original.lab);
        expect(copy.contextFile, name).to.equal(original.contextFile);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
