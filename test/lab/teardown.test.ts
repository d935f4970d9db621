import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { docker, LABEL_RUN, requireDocker, runLabels } from "../../harness/docker/client.js";
import { startLab } from "../../harness/lab/lab.js";
import { planLab } from "../../harness/lab/topology.js";
import { Teardown, withTeardown } from "../../harness/core/lifecycle.js";
import { projectRoot, scenariosDir } from "../../harness/core/paths.js";
import { newRunId } from "../../harness/run/run-scenarios.js";
import { builtLabImage } from "../../harness/setup/lab-images.js";
import { sharedBackend } from "./shared-backend.js";

const CLI = join(projectRoot, "bin", "scanproof.js");

interface Interrupted {
  readonly runId: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

/** Starts `scanproof run`, sends `signal` once `marker` appears in its output, and waits for it to exit. */
function interruptRun(signal: NodeJS.Signals, marker: RegExp): Promise<Interrupted> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CLI, "run", "--no-setup", join(scenariosDir, "nmap-syn-top1000.yaml")],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    let sent = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!sent && marker.test(output)) {
        sent = true;
        child.kill(signal);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code, killedBy) => {
      const runId = /Run (\S+):/.exec(output)?.[1];
      if (!sent || !runId) reject(new Error(`the run ended before it could be interrupted:\n${output}`));
      else resolve({ runId, code, signal: killedBy, output });
    });
  });
}

function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout }));
  });
}

async function leftovers(runId: string): Promise<{ containers: number; networks: number }> {
  const label = [`${LABEL_RUN}=${runId}`];
  const [containers, networks] = await Promise.all([
    docker().listContainers({ all: true, filters: { label } }),
    docker().listNetworks({ filters: { label } }),
  ]);
  return { containers: containers.length, networks: networks.length };
}

describe("teardown on interruption (real Docker)", function () {
  before(() => requireDocker());

  /** Every phase of a run, by the progress line that starts it. */
  const phases: [string, RegExp][] = [
    ["while Elasticsearch starts", /▸ Start Elasticsearch/],
    ["while the indices are created", /▸ Install index templates/],
    ["while the lab networks are created", /▸ Create lab networks/],
    ["while the lab hosts start", /▸ Start lab hosts/],
    ["while the overlay is wired", /▸ Wire the VXLAN overlay/],
    ["while the egress filters start", /▸ Start the egress filters/],
    ["mid-scan", /step 1\/1: nmap/],
    ["while events are ingested", /wait for firewall.* events in Elasticsearch/],
    ["while the rules run", /run \d+ rules and escalate/],
  ];
  const interruptions: [NodeJS.Signals, number, string, RegExp][] = [
    ...phases.map(([phase, marker]): [NodeJS.Signals, number, string, RegExp] => [
      "SIGINT",
      130,
      phase,
      marker,
    ]),
    ["SIGTERM", 143, "mid-scan", /step 1\/1: nmap/],
    ["SIGTERM", 143, "while Elasticsearch starts", /▸ Start Elasticsearch/],
  ];
  for (const [signal, code, phase, marker] of interruptions) {
    it(`removes the lab and Elasticsearch when the run gets ${signal} ${phase}`, async function () {
      const run = await interruptRun(signal, marker);
      expect(run.output).to.include(`${signal}: tearing down the lab`);
      expect(run.code).to.equal(code);
      expect(await leftovers(run.runId)).to.deep.equal({ containers: 0, networks: 0 });
    });
  }

  it("removes a started lab when an error is thrown, and passes the error on", async function () {
    const runId = newRunId();
    const teardown = new Teardown();
    const thrown = new Error("thrown mid-run");
    const backend = await sharedBackend();
    const outcome = await withTeardown(teardown, async () => {
      await startLab({
        runId,
        scenarioId: "thrown",
        plan: planLab({ lab: { targets: [{ name: "web", kind: "web" }] } }),
        sensors: ["ids"],
        backend,
        workDir: mkdtempSync(join(tmpdir(), "scanproof-thrown-")),
        teardown,
      });
      expect((await leftovers(runId)).containers, "the lab was running").to.be.greaterThan(0);
      throw thrown;
    }).then(
      () => expect.fail("the error was swallowed"),
      (e: unknown) => e,
    );
    expect(outcome).to.equal(thrown);
    expect(await leftovers(runId)).to.deep.equal({ containers: 0, networks: 0 });
  });

  it("leaves a killed run's lab to `scanproof prune`, which removes it and spares runs still going", async function () {
    const alive = newRunId();
    const live = await docker().createContainer({
      Image: await builtLabImage("netkit"),
      Labels: runLabels(alive),
    });
    try {
      const run = await interruptRun("SIGKILL", /step 1\/1: nmap/);
      expect(run.signal).to.equal("SIGKILL");
      expect(run.output).not.to.include("tearing down");
      const left = await leftovers(run.runId);
      expect(left.containers, "a killed harness cannot clean up").to.be.greaterThan(0);
      const pruned = await runCli(["prune"]);
      expect(pruned.code).to.equal(0);
      expect(pruned.stdout).to.include(run.runId);
      expect(await leftovers(run.runId)).to.deep.equal({ containers: 0, networks: 0 });
      expect(await leftovers(alive), "a run whose harness is alive is kept").to.deep.equal({
        containers: 1,
        networks: 0,
      });
    } finally {
      await live.remove({ force: true });
    }
  });
});
