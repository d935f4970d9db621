import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { projectRoot } from "../../harness/core/paths.js";

/**
 * scanproof as another project installs it: a folder of its own whose node_modules/scanproof is
 * this checkout, importing only what package.json exports, from JavaScript and from TypeScript.
 */
describe("the package surface another project imports", function () {
  this.timeout(120_000);
  const consumer = mkdtempSync(join(tmpdir(), "scanproof-consumer-"));
  mkdirSync(join(consumer, "node_modules"));
  symlinkSync(projectRoot, join(consumer, "node_modules", "scanproof"), "dir");
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ type: "module" }));
  const scenario = join(projectRoot, "scenarios", "nmap-syn-top1000.yaml");

  it("runs from JavaScript: the pipeline, the loaders and the chai vocabulary", function () {
    const script = [
      'import { runScenarios, loadScenario, loadRules, loadContext, renderSummary } from "scanproof";',
      'import { scanproofChai } from "scanproof/chai";',
      "const kinds = [runScenarios, loadScenario, loadRules, loadContext, renderSummary, scanproofChai].map((f) => typeof f);",
      `console.log(JSON.stringify({ kinds, id: loadScenario(${JSON.stringify(scenario)}).id }));`,
    ].join("\n");
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: consumer,
      encoding: "utf8",
    });
    expect(run.stderr).to.equal("");
    expect(JSON.parse(run.stdout)).to.deep.equal({
      kinds: Array(6).fill("function"),
      id: "nmap-syn-top1000",
    });
  });

  it("refuses an internal module, which is not part of the surface", function () {
    const script = 'await import("scanproof/dist/harness/run/scenario-run.js");';
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: consumer,
      encoding: "utf8",
    });
    expect(run.status).to.not.equal(0);
    expect(run.stderr).to.include("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });

  it("type-checks from TypeScript against the emitted declarations", function () {
    writeFileSync(
      join(consumer, "use.ts"),
      [
        'import { loadScenario, runScenarios, type RunResult, type Scenario } from "scanproof";',
        'const scenario: Scenario = loadScenario(process.argv[2] ?? "");',
        'const run: Promise<RunResult> = runScenarios({ scenarioFiles: [scenario.file], rulePaths: [], contextFile: "" });',
        "export { run };",
      ].join("\n"),
    );
    const tsc = join(projectRoot, "node_modules", "typescript", "bin", "tsc");
    const args = [
      "--noEmit",
      "--strict",
      "--module",
      "NodeNext",
      "--moduleResolution",
      "NodeNext",
      "--target",
      "ES2023",
      "--skipLibCheck",
      "--types",
      "node",
      "--typeRoots",
      join(projectRoot, "node_modules", "@types"),
      "use.ts",
    ];
    const run = spawnSync(process.execPath, [tsc, ...args], { cwd: consumer, encoding: "utf8" });
    expect(run.stdout + run.stderr).to.equal("");
    expect(run.status).to.equal(0);
  });
});
