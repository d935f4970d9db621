import { join } from "node:path";
import * as chai from "chai";
import { expect } from "chai";
import { scanproofChai } from "../../assertions/chai.js";
import { assertionsDir, projectRoot } from "../../harness/core/paths.js";
import type { RunResult, ScenarioResult } from "../../harness/result.js";
import { runScenarios } from "../../harness/run/run-scenarios.js";
import { sharedBackend } from "./shared-backend.js";

chai.use(scanproofChai);

const ATTACKER = "198.18.0.10";
const SOC_SCANNER = "198.18.0.20";

describe("a Kibana detection engine export as --rules, exception lists applied, against live scans", function () {
  let run: RunResult;
  let scenario: ScenarioResult;

  before(async function () {
    run = await runScenarios({
      scenarioFiles: [join(projectRoot, "test", "fixtures", "scenarios", "kibana-export-rules.yaml")],
      rulePaths: [join(projectRoot, "test", "fixtures", "rules", "kibana", "soc-export.ndjson")],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend: await sharedBackend(),
    });
    scenario = run.scenarios[0] ?? expect.fail("the scenario did not run");
  });

  it("loads all four of the export's rules, its ES|QL rule too: the embedded Elasticsearch answers _query", function () {
    expect([...run.rules.loaded].sort()).to.deep.equal([
      "soc-esql-ports",
      "soc-new-source",
      "soc-telnet-probe",
      "soc-vertical-scan",
    ]);
    expect(run.rules.skipped).to.deep.equal([]);
  });

  it("passes every expectation of its scenario file", function () {
    expect(scenario).to.have.verdict("pass");
  });

  it("raises the vertical scan for the attacker only: the exception list excludes the SOC's scanner", function () {
    const scans = scenario.alerts.filter((a) => a.ruleId === "soc-vertical-scan");
    expect(scans.map((a) => a.source)).to.deep.equal([ATTACKER]);
    const telnet = scenario.alerts.filter((a) => a.ruleId === "soc-telnet-probe");
    expect(new Set(telnet.map((a) => a.source))).to.deep.equal(new Set([ATTACKER, SOC_SCANNER]));
  });
});
