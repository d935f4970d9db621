import { readdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { assertionsDir, scenariosDir } from "../../harness/core/paths.js";
import { loadRules } from "../../harness/detection/rules/rule-loader.js";
import type { RunResult, ScenarioResult } from "../../harness/result.js";
import { runScenarios } from "../../harness/run/run-scenarios.js";
import { sharedBackend } from "./shared-backend.js";

/** Library scenarios that cannot run on this kind of machine, each with the precise reason. */
const CANNOT_RUN: ReadonlyMap<string, string> = new Map();

const files = readdirSync(scenariosDir)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

function explain(s: ScenarioResult): string {
  if (s.verdict === "error") return `${s.id} errored: ${s.reason ?? ""}`;
  return [
    `${s.id}: ${s.verdict}`,
    ...s.expectations
      .filter((e) => !e.passed)
      .map((e) => `  ${e.id}: ${e.description}\n    expected: ${e.expected}\n    observed: ${e.observed}`),
  ].join("\n");
}

describe("the whole scenario library, two labs at a time (real Docker)", function () {
  let run: RunResult;

  before(async function () {
    // About 80 scenarios, two at a time: 25 to 45 minutes on a busy 2-core machine.
    this.timeout(90 * 60_000);
    run = await runScenarios({
      scenarioFiles: files
        .filter((f) => !CANNOT_RUN.has(f.replace(/\.yaml$/, "")))
        .map((f) => join(scenariosDir, f)),
      rulePaths: [join(assertionsDir, "rules")],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend: await sharedBackend(),
      concurrency: 2,
    });
  });

  it("runs every scenario file under scenarios/ or names why it cannot", function () {
    const ran = run.scenarios.map((s) => s.file.split("/").at(-1));
    expect([...ran, ...[...CANNOT_RUN.keys()].map((id) => `${id}.yaml`)]).to.have.members(files);
  });

  for (const file of files) {
    const id = file.replace(/\.yaml$/, "");
    const reason = CANNOT_RUN.get(id);
    if (reason) {
      it(`${id}: cannot run here: ${reason}`);
      continue;
    }
    it(`${id} passes`, function () {
      const result =
        run.scenarios.find((s) => s.file.endsWith(`/${file}`)) ?? expect.fail(`${file} did not run`);
      expect(result.verdict, explain(result)).to.equal("pass");
    });
  }

  it("sees every rule of the pack fire in at least one scenario", function () {
    const fired = new Set(run.scenarios.flatMap((s) => s.alerts.map((a) => a.ruleId)));
    const silent = loadRules([join(assertionsDir, "rules")])
      .rules.filter((r) => !fired.has(r.ruleId))
      .map((r) => r.name);
    expect(silent, "rules that fired in no library scenario").to.deep.equal([]);
  });
});
