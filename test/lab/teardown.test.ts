import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect } from "chai";
import { docker, LABEL_RUN, requireDocker } from "../../harness/docker/client.js";
import { projectRoot, scenariosDir } from "../../harness/paths.js";

interface Interrupted {
  readonly runId: string;
  readonly code: number | null;
  readonly output: string;
}

/** Starts `scanproof run`, sends `signal` once `marker` appears in its output, and waits for it to exit. */
function interruptRun(signal: NodeJS.Signals, marker: RegExp): Promise<Interrupted> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(projectRoot, "bin", "scanproof.js"),
        "run",
        "--no-setup",
        join(scenariosDir, "nmap-syn-top1000.yaml"),
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
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
    child.on("close", (code) => {
      const runId = /Run (\S+):/.exec(output)?.[1];
      if (!sent || !runId) reject(new Error(`the run ended before it could be interrupted:\n${output}`));
      else resolve({ runId, code, output });
    });
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

  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    it(`removes the lab and Elasticsearch when the run gets ${signal} mid-scan`, async function () {
      const run = await interruptRun(signal, /step 1\/1: nmap/);
      expect(run.output).to.include(`${signal}: tearing down the lab`);
      expect(run.code).to.equal(code);
      expect(await leftovers(run.runId)).to.deep.equal({ containers: 0, networks: 0 });
    });
  }
});
