import { join } from "node:path";
import * as chai from "chai";
import { expect } from "chai";
import { scanproofChai } from "../../assertions/chai.js";
import { loadRules } from "../../harness/detection/rules/rule-loader.js";
import { assertionsDir, elasticNetworkRulesDir, projectRoot } from "../../harness/core/paths.js";
import type { RunResult, ScenarioResult } from "../../harness/result.js";
import { runScenarios } from "../../harness/run/run-scenarios.js";
import { sharedBackend } from "./shared-backend.js";

chai.use(scanproofChai);

const INSIDER = "10.30.0.66";
const WEB = "10.20.0.10";

describe("Elastic's published network rules, the whole folder unmodified, against an insider in the live lab", function () {
  let run: RunResult;
  let scenario: ScenarioResult;

  before(async function () {
    run = await runScenarios({
      scenarioFiles: [
        join(projectRoot, "test", "fixtures", "scenarios", "elastic-rules-internal-attacker.yaml"),
      ],
      rulePaths: [elasticNetworkRulesDir()],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend: await sharedBackend(),
    });
    const only = run.scenarios[0];
    if (!only) throw new Error("the scenario did not run");
    scenario = only;
  });

  it("passes every expectation of its scenario file", function () {
    expect(scenario).to.have.verdict("pass");
  });

  it("sees every probe of the insider in NetFlow", function () {
    expect(scenario).to.have.logged("flow");
  });

  it('fires "Potential SYN-Based Port Scan Detected" once, for the insider and the web server', function () {
    const alerts = scenario.alerts.filter((a) => a.ruleName === "Potential SYN-Based Port Scan Detected");
    expect(alerts.map((a) => [a.source, a.destination])).to.deep.equal([[INSIDER, WEB]]);
    expect(alerts[0]?.distinct[0]?.field).to.equal("destination.port");
    expect(
      alerts[0]?.distinct[0]?.values,
      "ports 1-300 and 445 from the sweep, less 80: SYN, SYN-ACK and reset make three packets",
    ).to.equal(300);
  });

  it('fires "Potential Network Sweep Detected" once, for the insider across the DMZ', function () {
    const alerts = scenario.alerts.filter((a) => a.ruleName === "Potential Network Sweep Detected");
    expect(alerts.map((a) => a.source)).to.deep.equal([INSIDER]);
    expect(alerts[0]?.distinct).to.deep.equal([{ field: "destination.ip", values: 256 }]);
  });

  it('fires the ES|QL rule "Potential Network Scan Detected" through _query, only for the insider and the web server', function () {
    const alerts = scenario.alerts.filter((a) => a.ruleName === "Potential Network Scan Detected");
    expect(alerts.length, "the 300 ports fall in one clock minute or straddle two").to.be.within(1, 2);
    for (const a of alerts) expect([a.source, a.destination]).to.deep.equal([INSIDER, WEB]);
  });

  it("runs every query, threshold, new_terms and ES|QL rule of the folder, and reports each other rule skipped with why", function () {
    const published = loadRules([elasticNetworkRulesDir()]);
    expect(run.rules.loaded).to.have.lengthOf(published.rules.length + published.esql.length);
    const skipped = new Map(run.rules.skipped.map((s) => [s.name, s.reason]));
    expect(skipped.size).to.equal(published.skipped.length);
    for (const s of published.skipped)
      expect(skipped.get(s.name), s.file).to.match(/^(rule type "eql": |rule\.alert_suppression: )/);
  });
});
