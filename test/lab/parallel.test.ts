import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { docker, LABEL_RUN } from "../../harness/docker/client.js";
import { labDown } from "../../harness/lab-session.js";
import { recordedLabs } from "../../harness/lab/lab-records.js";
import { assertionsDir, projectRoot } from "../../harness/core/paths.js";
import type { RunResult } from "../../harness/result.js";
import { runScenarios } from "../../harness/run/run-scenarios.js";
import { type ScenarioProgress } from "../../harness/result.js";
import { fixture } from "../unit/fixture-helpers.js";
import { sharedBackend } from "./shared-backend.js";

const inputs = {
  rulePaths: [join(assertionsDir, "rules")],
  contextFile: join(assertionsDir, "context", "default.yaml"),
};
const labScenario = (name: string) => fixture("scenarios", "lab", `${name}.yaml`);

async function runContainers(runId: string, all = false): Promise<string[]> {
  const found = await docker().listContainers({ all, filters: { label: [`${LABEL_RUN}=${runId}`] } });
  return found.map((c) => c.Names[0] ?? c.Id);
}

describe("parallel runs, kept labs, lab up/down (real Docker)", function () {
  describe("two scenarios with --concurrency 2", function () {
    let run: RunResult;
    const updates: ScenarioProgress[] = [];
    const live = new Set<string>();
    let mostLive = 0;

    before(async function () {
      run = await runScenarios({
        ...inputs,
        scenarioFiles: [labScenario("parallel-root"), labScenario("parallel-health")],
        backend: await sharedBackend(),
        concurrency: 2,
        onProgress: (p) => {
          updates.push(p);
          if (p.phase === "lab") live.add(p.scenarioId);
          if (p.phase === "done") live.delete(p.scenarioId);
          mostLive = Math.max(mostLive, live.size);
        },
      });
    });

    it("runs both labs at the same time, with the same overlay addresses, and both pass", function () {
      expect(mostLive).to.equal(2);
      expect(run.scenarios.map((s) => [s.id, s.verdict, s.reason])).to.deep.equal([
        ["parallel-root", "pass", undefined],
        ["parallel-health", "pass", undefined],
      ]);
    });

    it("keeps each scenario's events apart in the shared Elasticsearch", async function () {
      const backend = await sharedBackend();
      const paths = async (scenario: string) => {
        await backend.client.indices.refresh({ index: "scanproof-web" });
        const response = await backend.client.search({
          index: "scanproof-web",
          size: 100,
          query: {
            bool: {
              filter: [
                { term: { "labels.scanproof_run_id": run.runId } },
                { term: { "labels.scanproof_scenario": scenario } },
              ],
            },
          },
        });
        return response.hits.hits.map((h) => {
          const doc = h._source as { url: { path: string }; source: { ip: string } };
          return `${doc.source.ip} ${doc.url.path}`;
        });
      };
      expect(await paths("parallel-root")).to.deep.equal(Array(3).fill("198.18.0.10 /"));
      expect(await paths("parallel-health")).to.deep.equal(Array(5).fill("10.30.0.10 /health"));
    });

    it("reports each scenario's phases in order, ending with its verdict", function () {
      for (const id of ["parallel-root", "parallel-health"]) {
        const phases = updates.filter((u) => u.scenarioId === id).map((u) => u.phase);
        expect([...new Set(phases)]).to.deep.equal(["queued", "lab", "steps", "ingest", "detection", "done"]);
        expect(updates.find((u) => u.scenarioId === id && u.phase === "done")?.verdict).to.equal("pass");
      }
    });

    it("writes each scenario's detailed progress to its own log, and removes both labs", async function () {
      for (const id of ["parallel-root", "parallel-health"]) {
        const log = readFileSync(join(run.resultsDir, id, "progress.log"), "utf8");
        expect(log).to.include(`[${id}] step 1/1: http`);
        expect(log).to.not.include(id === "parallel-root" ? "parallel-health" : "parallel-root");
      }
      expect(await runContainers(run.runId, true)).to.deep.equal([]);
    });
  });

  describe("--keep-lab", function () {
    let run: RunResult;

    before(async function () {
      run = await runScenarios({
        ...inputs,
        scenarioFiles: [labScenario("keep-failed")],
        backend: await sharedBackend(),
        keepLab: true,
      });
    });

    after(() => labDown([run.runId]));

    it("leaves the failed scenario's lab running and says how to reach it", async function () {
      const [scenario] = run.scenarios;
      expect(scenario?.verdict).to.equal("fail");
      const kept = scenario?.keptLab ?? expect.fail("no kept lab");
      expect(await runContainers(run.runId)).to.include(`/${kept.attacker}`);
      const reply = await docker()
        .getContainer(kept.attacker)
        .exec({
          Cmd: ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://10.20.0.10/"],
          AttachStdout: true,
        });
      const stream = await reply.start({});
      const output = await new Promise<string>((resolve) => {
        let text = "";
        stream.on("data", (c: Buffer) => (text += c.toString()));
        stream.on("end", () => resolve(text));
      });
      expect(output).to.include("200");
      expect(recordedLabs().map((r) => r.runId)).to.include(run.runId);
    });

    it("is removed by lab down, label and record alike", async function () {
      await labDown([run.runId]);
      expect(await runContainers(run.runId, true)).to.deep.equal([]);
      expect(recordedLabs().map((r) => r.runId)).to.not.include(run.runId);
    });
  });

  describe("lab up / lab down", function () {
    it("keeps a scenario's lab and Elasticsearch up with the rules running on schedule until lab down, which removes everything", async function () {
      const child = spawn(
        process.execPath,
        [join(projectRoot, "bin", "scanproof.js"), "lab", "up", labScenario("lab-up-scan")],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let output = "";
      const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (/^alert: Vertical Port Scan Seen by the Firewall /m.test(output)) resolve();
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        void exited.then(() => reject(new Error(`lab up ended early:\n${output}`)));
      });
      const runId = /\(run (lab-\S+)\) is running/.exec(output)?.[1] ?? expect.fail(output);
      expect(output).to.match(/Elasticsearch: +http:\/\/127\.0\.0\.1:\d+/);
      expect(output).to.include("docker exec -it ");
      expect(output).to.match(/step 1\/1: nmap .*: 200 ports on 1\/1 hosts up/);
      expect(output).to.include("rules run at their intervals over this lab's events");
      expect(output).to.match(
        /^alert: Vertical Port Scan Seen by the Firewall \(.*source\.ip=198\.18\.0\.10.*\) → tier2 \((?:[a-z-]+, )*external-never-seen(?:, [a-z-]+)*\)$/m,
      );
      const names = await runContainers(runId);
      expect(names.some((n) => n.includes("scanproof-es-"))).to.equal(true);
      expect(names.some((n) => n.endsWith("-attacker"))).to.equal(true);

      const down = spawn(process.execPath, [join(projectRoot, "bin", "scanproof.js"), "lab", "down", runId], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let downOutput = "";
      down.stdout.on("data", (c: Buffer) => (downOutput += c.toString()));
      const downCode = await new Promise<number | null>((resolve) => down.on("close", resolve));
      expect(downCode).to.equal(0);
      expect(downOutput).to.equal(`removed ${runId}\n`);
      expect(await exited).to.equal(143);
      expect(await runContainers(runId, true)).to.deep.equal([]);
      const networks = await docker().listNetworks({ filters: { label: [`${LABEL_RUN}=${runId}`] } });
      expect(networks).to.deep.equal([]);
    });
  });
});
