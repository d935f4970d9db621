import { join } from "node:path";
import * as chai from "chai";
import { expect } from "chai";
import { scanproofChai } from "../../assertions/chai.js";
import { assertionsDir, projectRoot } from "../../harness/core/paths.js";
import type { ScenarioResult } from "../../harness/result.js";
import { runScenarios } from "../../harness/run/run-scenarios.js";
import { ensureSigmaToolchain } from "../../harness/setup/sigma-toolchain.js";
import { sharedBackend } from "./shared-backend.js";

chai.use(scanproofChai);

const ATTACKER = "198.18.0.10";
const WEB = "10.20.0.10";

describe("a Sigma port-scan correlation, converted by pySigma, against a live SYN scan", function () {
  let scenario: ScenarioResult;

  before(async function () {
    await ensureSigmaToolchain();
    const run = await runScenarios({
      scenarioFiles: [join(projectRoot, "test", "fixtures", "scenarios", "sigma-port-scan.yaml")],
      rulePaths: [join(assertionsDir, "sigma", "rules")],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend: await sharedBackend(),
    });
    expect(run.rules.loaded).to.deep.equal(["9f4e2b71-8c3a-4d5e-a6f0-1b2c3d4e5f60"]);
    scenario = run.scenarios[0] ?? expect.fail("the scenario did not run");
  });

  it("passes every expectation of its scenario file", function () {
    expect(scenario).to.have.verdict("pass");
  });

  it("fires once, for the attacker and the web server, counting at least 100 distinct ports", function () {
    const alerts = scenario.alerts.filter(
      (a) => a.ruleName === "Vertical Port Scan Seen by the Firewall (Sigma)",
    );
    expect(alerts.map((a) => [a.source, a.destination])).to.deep.equal([[ATTACKER, WEB]]);
    expect(alerts[0]?.distinct[0]?.field).to.equal("destination.port");
    expect(alerts[0]?.distinct[0]?.values).to.be.at.least(100);
  });
});
