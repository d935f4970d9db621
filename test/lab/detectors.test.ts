import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { stringify } from "yaml";
import { readDetectorReports } from "../../bench/lib/detector-logs.js";
import { OUTSIDE } from "../../harness/lab/topology.js";
import { assertionsDir } from "../../harness/paths.js";
import type { RunResult } from "../../harness/result.js";
import { runScenarios } from "../../harness/run.js";
import { sharedBackend } from "./shared-backend.js";

const ATTACKER = OUTSIDE.attacker;
const WEB = "10.20.0.10";

describe("comparison detectors psad and scanlogd (real Docker)", function () {
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
        lab: { targets: [{ name: "web", kind: "web" }], sensors: ["psad", "scanlogd"] },
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
    });
  });

  it("keeps the firewall's accounting whole with psad's own log rule beside it", () => {
    expect(run.scenarios[0]?.verdict, run.scenarios[0]?.reason).to.equal("pass");
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
