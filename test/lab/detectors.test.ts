import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { stringify } from "yaml";
import { readDetectorReports } from "../../harness/logs/detector-reports.js";
import { OUTSIDE } from "../../harness/lab/segments.js";
import { assertionsDir } from "../../harness/core/paths.js";
import type { RunResult } from "../../harness/result.js";
import { runScenarios } from "../../harness/run/run-scenarios.js";
import { sharedBackend } from "./shared-backend.js";

const ATTACKER = OUTSIDE.attacker;
const WEB = "10.20.0.10";

describe("comparison detectors psad and scanlogd, and NetFlow, as observers (real Docker)", function () {
  let run: RunResult;

  before(async function () {
    const dir = mkdtempSync(join(tmpdir(), "scanproof-detectors-"));
    const file = join(dir, "detectors.yaml");
    writeFileSync(
      file,
      stringify({
        id: "detectors",
        title: "psad and scanlogd watch a SYN scan",
        technique: "T1595.001",
        lab: { targets: [{ name: "web", kind: "web" }] },
        steps: [{ tool: "nmap", target: "web", args: ["-n", "-Pn", "-sS", "--top-ports", "100", "-T4"] }],
        expect: {
          logs: ["firewall"],
          alerts: [
            { rule: "Vertical Port Scan Seen by the Firewall", count: 1, tier: "tier2" },
            { rule: "Nmap SYN Probe Shape Seen by the Firewall" },
            { rule: "Persistent Port Probing Over a Day Seen by the Firewall" },
            { rule: "Connection Attempts to Services an Asset Does Not Declare" },
          ],
        },
      }),
    );
    run = await runScenarios({
      scenarioFiles: [file],
      rulePaths: [join(assertionsDir, "rules")],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend: await sharedBackend(),
      observers: ["flow", "psad", "scanlogd"],
    });
  });

  it("judges the scenario as written: the NetFlow rules do not run where it declares no NetFlow", () => {
    const [result] = run.scenarios;
    expect(result?.verdict, result?.reason).to.equal("pass");
    expect(result?.alerts.map((a) => a.ruleName)).to.not.include("Half-Open SYN Port Scan Seen in NetFlow");
  });

  it("ships and accounts the observing NetFlow sensor's records of the scan", () => {
    const flow = run.scenarios[0]?.logs.find((l) => l.source === "flow");
    expect(flow?.indexed).to.be.greaterThan(0);
    expect(flow?.indexed).to.equal(flow?.sensorRecords);
  });

  it("has psad and scanlogd each report the attacker scanning the web server", () => {
    const logs = join(run.resultsDir, "detectors", "logs");
    for (const detector of ["psad", "scanlogd"] as const) {
      const reports = readDetectorReports(logs, detector);
      expect(
        reports.map((r) => `${r.source} -> ${r.destination}`),
        detector,
      ).to.include(`${ATTACKER} -> ${WEB}`);
    }
  });
});
