import { expect } from "chai";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "../../harness/cli.js";
import { readRunResult } from "../../harness/report/write-reports.js";
import { elasticNetworkRulesDir } from "../../harness/core/paths.js";
import { fixture } from "./fixture-helpers.js";

/** Runs the CLI in-process with its output captured. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const captured = { stdout: "", stderr: "" };
  const code = await main(["node", "scanproof", ...args], {
    out: (text) => (captured.stdout += text),
    err: (text) => (captured.stderr += text),
  });
  return { code, ...captured };
}

describe("CLI (no Docker)", () => {
  it("documents its exit codes in --help", async () => {
    const { code, stdout } = await cli("--help");
    expect(code).to.equal(0);
    expect(stdout).to.match(/Exit codes:\n\s+0\s+every scenario passed\n\s+1\s+a scenario failed/);
    for (const command of ["run", "lab", "validate", "list", "report", "prune", "doctor", "schema"])
      expect(stdout).to.include(command);
  });

  it("refuses a bad --shard or --concurrency before anything starts, with exit code 3", async () => {
    const shard = await cli("run", "--shard", "3/2", "--no-setup");
    expect(shard.code).to.equal(3);
    expect(shard.stderr).to.include("expected i/n with 1 ≤ i ≤ n");
    const concurrency = await cli("run", "--concurrency", "0", "--no-setup");
    expect(concurrency.code).to.equal(3);
    expect(concurrency.stderr).to.include("expected a whole number of at least 1");
  });

  it("says when a shard has nothing to run, and passes", async () => {
    const path = fixture("scenarios", "unit", "valid-minimal.yaml");
    const { code, stdout, stderr } = await cli("run", path, "--shard", "2/2", "--no-setup");
    expect(stderr).to.include("shard 2/2: 0 of 1 scenarios");
    expect(stdout).to.equal("nothing to run in this shard\n");
    expect(code).to.equal(0);
  });

  it("asks for --merge when given several results, and for --out with --merge", async () => {
    const a = fixture("results", "coverage-run.json");
    const b = fixture("results", "real-run.json");
    expect(await cli("report", a, b)).to.deep.include({ code: 3 });
    expect((await cli("report", a, b)).stderr).to.include("add --merge");
    expect((await cli("report", "--merge", a, b)).stderr).to.include("--merge needs --out <dir>");
  });

  it("merges shards into one set of reports, exiting with the merged verdict", async () => {
    const out = mkdtempSync(join(tmpdir(), "scanproof-merged-"));
    try {
      const a = fixture("results", "hostile-run.json");
      const b = fixture("results", "real-run.json");
      const { code, stdout } = await cli("report", "--merge", a, b, "--out", out);
      expect(code).to.equal(2);
      expect(stdout).to.include("1 failed, 2 errored");
      const merged = readRunResult(join(out, "results.json"));
      expect(merged.scenarios).to.have.lengthOf(6);
      expect(readdirSync(out).sort()).to.deep.equal([
        "junit.xml",
        "navigator-layer.json",
        "report.html",
        "results.json",
      ]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("lists scenarios with technique and tags", async () => {
    const { code, stdout } = await cli("list", fixture("scenarios", "unit", "valid-full.yaml"));
    expect(code).to.equal(0);
    expect(stdout).to.equal("full-coverage\tT1595.002\tunit,coverage\tEvery field of the scenario format\n");
  });

  it("validates a whole rules repository (the shared copy of detection-rules), counting the files not run per reason", async function () {
    this.timeout(120_000);
    const repository = dirname(dirname(elasticNetworkRulesDir()));
    const tomlFiles = readdirSync(repository, { recursive: true, encoding: "utf8" }).filter((f) =>
      f.endsWith(".toml"),
    );
    const { code, stdout, stderr } = await cli(
      "validate",
      fixture("scenarios", "unit", "valid-minimal.yaml"),
      "--rules",
      repository,
      fixture("rules", "repository-shapes"),
    );
    expect(code, stderr).to.equal(0);
    const valid = /(\d+) rules valid, (\d+) not run/.exec(stdout);
    expect(valid, stdout).to.not.equal(null);
    const counts = [...stdout.matchAll(/^ +(\d+) {2}(.+)$/gm)].map(
      (m) => [Number(m[1]), m[2] ?? ""] as const,
    );
    const total = (prefix: string): number =>
      counts.filter(([, reason]) => reason.startsWith(prefix)).reduce((sum, [n]) => sum + n, 0);
    expect(counts.reduce((sum, [n]) => sum + n, 0)).to.equal(Number(valid?.[2]));
    expect(Number(valid?.[1]) + Number(valid?.[2])).to.equal(tomlFiles.length + 11);
    expect(total("ES|QL")).to.be.greaterThan(0);
    expect(total('rule type "eql"')).to.be.greaterThan(0);
    expect(total('rule type "machine_learning"')).to.equal(1);
  });
});
