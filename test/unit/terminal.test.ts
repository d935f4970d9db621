import { expect } from "chai";
import { renderLiveLines } from "../../harness/report/live.js";
import { renderSummary } from "../../harness/report/terminal.js";
import type { RunResult, ScenarioResult } from "../../harness/result.js";
import { loadRunFixture } from "./fixture-helpers.js";

/** Characters that would move the cursor, recolour or rewrite a terminal line; a tab or a newline is fine. */
function terminalControls(text: string): string[] {
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  return [...text.matchAll(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g)].map((m) => m[0]);
}

function scenario(overrides: Partial<ScenarioResult>): ScenarioResult {
  return {
    id: "unit",
    title: "Unit",
    file: "scenarios/unit.yaml",
    technique: "T1595",
    tags: [],
    verdict: "pass",
    durationMs: 20_833,
    timings: {},
    groundTruth: [],
    logs: [],
    alerts: [],
    expectations: [],
    ...overrides,
  };
}

const PASSING = scenario({
  id: "nmap-syn-top1000",
  logs: [
    {
      source: "firewall",
      index: "scanproof-firewall",
      sensorRecords: 1002,
      indexed: 1002,
      parseFailures: 0,
      expectedEvents: 1000,
      seenEvents: 1000,
      missing: [],
      ingestWaitMs: 2071,
      signatures: {},
    },
  ],
  alerts: [
    {
      id: "a1",
      ruleId: "5b7c1f0e-2a59-4e53-9d1a-0f3f7c9f6a01",
      ruleName: "Vertical Port Scan Seen by the Firewall",
      severity: "medium",
      riskScore: 47,
      techniques: ["T1595.001"],
      source: "198.18.0.10",
      events: 1002,
      distinct: [],
      tier: "tier2",
      reasons: [{ code: "external-never-seen", message: "" }],
    },
  ],
  expectations: [
    { id: "alerts[0].count", description: "rule fired", passed: true, expected: "1 alert", observed: "1" },
  ],
});

const FAILING = scenario({
  id: "benign-web-browsing",
  verdict: "fail",
  durationMs: 4171,
  expectations: [
    {
      id: "logs.firewall.shipped",
      description: "every firewall record reached Elasticsearch as ECS",
      passed: true,
      expected: "9 records indexed, 0 unparsed",
      observed: "9 indexed of 9 written, 0 unparsed",
    },
    {
      id: "silent",
      description: "no rule fired",
      passed: false,
      expected: "0 alerts",
      observed: "5b7c1f0e (198.18.0.10, tier2)",
    },
  ],
});

const ERRORED = scenario({ id: "broken-lab", verdict: "error", reason: "steps[0]: curl made 17/9 requests" });

function run(scenarios: ScenarioResult[]): RunResult {
  return {
    runId: "20261128-125958-a77c",
    startedAt: "2026-11-28T12:59:58.947Z",
    endedAt: "2026-11-28T13:00:42.456Z",
    backend: "embedded Elasticsearch 8.19.21",
    rules: { loaded: [], skipped: [] },
    scenarios,
    resultsDir: "/tmp/scanproof-results/20261128-125958-a77c",
  };
}

const rowOf = (text: string, id: string): string =>
  text.split("\n").find((l) => l.startsWith(`${id} `)) ?? "";

describe("renderSummary", () => {
  it("shows one row per scenario with its verdict", () => {
    const text = renderSummary(run([PASSING, FAILING, ERRORED]));
    expect(rowOf(text, "nmap-syn-top1000")).to.match(/\bPASS\b/);
    expect(rowOf(text, "benign-web-browsing")).to.match(/\bFAIL\b/);
    expect(rowOf(text, "broken-lab")).to.match(/\bERROR\b/);
  });

  it("shows log counts, alerts with tier and reasons, and the duration in a row", () => {
    const row = rowOf(renderSummary(run([PASSING])), "nmap-syn-top1000");
    expect(row).to.include("firewall 1002/1002 ev, 1000/1000 expected");
    expect(row).to.include("tier2: Vertical Port Scan Seen by the Firewall (external-never-seen)");
    expect(row).to.include("20.8 s");
  });

  it("counts alerts of one rule at one tier as one entry, with every reason, and cuts a long cell", () => {
    const base = PASSING.alerts[0] ?? expect.fail("no alert");
    const alerts = [
      ...Array.from({ length: 7 }, (_, i) => ({ ...base, id: `a${i}`, destination: `10.20.0.${i + 8}` })),
      { ...base, id: "a7", reasons: [{ code: "critical-target" as const, message: "" }] },
    ];
    const row = rowOf(renderSummary(run([{ ...PASSING, alerts }])), "nmap-syn-top1000");
    expect(row).to.include(
      "tier2 ×8: Vertical Port Scan Seen by the Firewall (external-never-seen, critica…",
    );
    expect(row).to.include("20.8 s");
  });

  it("leaves out sources that wrote nothing and were expected to show nothing", () => {
    const quiet = {
      ...(PASSING.logs[0] ?? expect.fail("no log")),
      source: "web" as const,
      sensorRecords: 0,
      indexed: 0,
      expectedEvents: 0,
      seenEvents: 0,
    };
    const row = rowOf(
      renderSummary(run([{ ...PASSING, logs: [...PASSING.logs, quiet] }])),
      "nmap-syn-top1000",
    );
    expect(row).to.not.include("web 0/0");
  });

  it("shows a failed expectation with its expected and observed lines", () => {
    const text = renderSummary(run([PASSING, FAILING]));
    expect(text).to.include(
      "benign-web-browsing: silent: no rule fired\n  expected: 0 alerts\n  observed: 5b7c1f0e (198.18.0.10, tier2)",
    );
  });

  it("does not list expectations that passed", () => {
    const text = renderSummary(run([PASSING, FAILING]));
    expect(text).to.not.include("logs.firewall.shipped");
    expect(text).to.not.include("alerts[0].count");
  });

  it("shows why a scenario errored", () => {
    expect(renderSummary(run([ERRORED]))).to.include("broken-lab: ERROR steps[0]: curl made 17/9 requests");
  });

  it("lists what each step's capture found beside the accounting: claims the wire does not show", function () {
    const step = {
      step: 0,
      tool: "nmap",
      command: ["nmap"],
      source: "198.18.0.10",
      startedAt: "2026-12-06T04:00:00.000Z",
      endedAt: "2026-12-06T04:00:05.000Z",
      probes: [{ destination: "10.20.0.10", transport: "tcp" as const, port: 22 }],
      events: [],
      summary: "",
      wire: {
        capture: { file: "/x.pcap", packets: 3, dropped: 0, bytes: 300, bounded: false, cut: 0 },
        probes: [],
        localFlows: 0,
        http: [],
        dns: [],
        logins: [],
        toolClaims: 1,
        claimsOnWire: 0,
        unseenClaims: ["10.20.0.10/tcp:22"],
      },
    };
    const text = renderSummary(run([scenario({ id: "claims", groundTruth: [step] })]));
    expect(text).to.include(
      "claims: on the wire:\n  step 1 (nmap): the wire does not show 1 of the tool report's 1 claim (probes and requests): 10.20.0.10/tcp:22",
    );
  });

  it("ends with the overall verdict and the counts", () => {
    const last = renderSummary(run([PASSING, FAILING]))
      .split("\n")
      .at(-1);
    expect(last).to.equal(
      "FAIL: 1 passed, 1 failed, 0 errored · embedded Elasticsearch 8.19.21 · results: /tmp/scanproof-results/20261128-125958-a77c",
    );
  });

  it("calls a run of passing scenarios a pass", () => {
    expect(
      renderSummary(run([PASSING]))
        .split("\n")
        .at(-1),
    ).to.match(/^PASS: 1 passed, 0 failed, 0 errored/);
  });

  it("prints attacker-controlled text without control sequences, keeping what it says", () => {
    const summary = renderSummary(loadRunFixture("hostile-run.json"));
    expect(terminalControls(summary)).to.deep.equal([]);
    expect(summary).to.include(
      'hostile-error: ERROR scan failed: \uFFFD<b>"&\nUser-Agent: <script>alert(1)</script>',
    );
    expect(summary).not.to.include("[31m");
  });

  it("keeps the live view's lines free of control sequences too", () => {
    const lines = renderLiveLines(
      new Map([["hostile", { phase: "steps", detail: "nmap \u001b[2J\u001b[Hfake PASS\r\u0007" } as const]]),
      0,
    );
    expect(terminalControls(lines.join("\n"))).to.deep.equal([]);
    expect(lines[0]).to.include("nmap fake PASS");
  });
});
