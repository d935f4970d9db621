import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { projectRoot, scenariosDir } from "../../harness/core/paths.js";

/** `scanproof run` against a Docker engine that does not answer; no engine is needed for this test. */
function runAgainst(dockerHost: string, ...options: string[]) {
  const results = mkdtempSync(join(tmpdir(), "scanproof-no-docker-"));
  const run = spawnSync(
    process.execPath,
    [
      join(projectRoot, "bin", "scanproof.js"),
      "run",
      ...options,
      join(scenariosDir, "benign-web-browsing.yaml"),
    ],
    {
      env: { ...process.env, DOCKER_HOST: dockerHost, SCANPROOF_RESULTS_DIR: results },
      encoding: "utf8",
      timeout: 15_000,
    },
  );
  return { ...run, results: readdirSync(results) };
}

describe("a Docker engine that does not answer", function () {
  this.timeout(20_000);

  for (const dockerHost of ["unix:///nonexistent/docker.sock", "tcp://127.0.0.1:1"]) {
    it(`stops a run before anything starts, with exit code 4 and the engine named (${dockerHost})`, () => {
      const run = runAgainst(dockerHost, "--no-setup");
      expect(run.status, run.stderr).to.equal(4);
      expect(run.stderr).to.include(`The Docker engine at ${dockerHost} does not answer.`);
      expect(run.stderr).to.include("set DOCKER_HOST");
      expect(run.stdout + run.stderr).not.to.match(/Run \d{8}-/);
      expect(run.results, "no results folder was created").to.deep.equal([]);
    });
  }

  it("stops set-up too, naming DOCKER_HOST instead of starting a local engine", () => {
    const run = runAgainst("unix:///nonexistent/docker.sock");
    expect(run.status, run.stderr).to.equal(4);
    expect(run.stderr).to.include("DOCKER_HOST=unix:///nonexistent/docker.sock does not answer.");
  });
});
