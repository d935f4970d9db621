import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as chai from "chai";
import { expect } from "chai";
import { scanproofChai } from "../../assertions/chai.js";
import { assertionsDir, scenariosDir } from "../../harness/core/paths.js";
import type { RunResult } from "../../harness/result.js";
import { runScenarios } from "../../harness/run/run-scenarios.js";
import { sharedBackend } from "./shared-backend.js";

chai.use(scanproofChai);

/** The scenarios that prove the rule pack on live traffic: scenarios/rule-*.yaml. */
const PROVING = readdirSync(scenariosDir)
  .filter((f) => /^rule-.*\.ya?ml$/.test(f))
  .sort()
  .map((f) => join(scenariosDir, f));

describe("rule pack on live traffic (real scanners, sensors and Elasticsearch)", function () {
  let run: RunResult;

  before(async function () {
    run = await runScenarios({
      scenarioFiles: PROVING,
      rulePaths: [join(assertionsDir, "rules")],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend: await sharedBackend(),
    });
  });

  it("runs every rule-* scenario", function () {
    expect(run.scenarios.map((s) => s.file))
      .to.have.length(PROVING.length)
      .and.length.greaterThan(0);
  });

  for (const file of PROVING) {
    const id = file.replace(/^.*\/(.*)\.ya?ml$/, "$1");
    it(`${id}: every expected rule fires, no other does, the logs are complete`, function () {
      const scenario = run.scenarios.find((s) => s.id === id);
      expect(scenario, `${id} ran`).to.not.equal(undefined);
      if (scenario) expect(scenario).to.have.verdict("pass");
    });
  }
});
