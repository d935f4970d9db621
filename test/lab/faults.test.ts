import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Backend } from "../../harness/backend/backend.js";
import { waitForCluster } from "../../harness/backend/backend.js";
import { startEmbeddedElasticsearch } from "../../harness/backend/embedded.js";
import { SOURCE_INDEX } from "../../harness/backend/templates.js";
import {
  docker,
  LABEL_OWNER,
  LABEL_ROLE,
  LABEL_RUN,
  LABEL_SCENARIO,
  runLabels,
} from "../../harness/docker/client.js";
import { startLab } from "../../harness/lab/lab.js";
import { type StartedLab } from "../../harness/lab/started-lab.js";
import { ScopeGuard } from "../../harness/lab/scope-guard.js";
import { planLab } from "../../harness/lab/topology.js";
import { Teardown } from "../../harness/core/lifecycle.js";
import {
  awaitIngest,
  countIndexed,
  countSensorRecords,
  scenarioFilter,
  sensorLogFiles,
} from "../../harness/logs/accounting.js";
import { assertionsDir, projectRoot } from "../../harness/core/paths.js";
import { newRunId, runScenarios } from "../../harness/run/run-scenarios.js";
import { runStep } from "../../harness/scanners/run-step.js";
import { waitFor } from "../../harness/core/wait.js";
import { sharedBackend } from "./shared-backend.js";

/** masscan over 15,000 ports at 1,000 SYNs/s: about 30 s of scanning, long enough to break something in the middle. */
const SCAN = { tool: "masscan", from: "attacker", target: "web", ports: "1-15000", rate: 1000 } as const;

async function webLab(backend: Backend, scenarioId: string, teardown: Teardown): Promise<StartedLab> {
  return startLab({
    runId: newRunId(),
    scenarioId,
    plan: planLab({ lab: { targets: [{ name: "web", kind: "web" }] } }),
    sensors: [],
    backend,
    workDir: mkdtempSync(join(tmpdir(), `scanproof-${scenarioId}-`)),
    teardown,
  });
}

function scanOf(lab: StartedLab) {
  const guard = new ScopeGuard(lab.subnets, new Map([["web", lab.targets.get("web")?.address ?? ""]]));
  return runStep(lab, SCAN, 0, guard, mkdtempSync(join(tmpdir(), "scanproof-fault-scan-")));
}

/** The id of the one container of a lab with this role. */
async function containerOf(lab: StartedLab, role: string): Promise<string> {
  const [found] = await docker().listContainers({
    filters: { label: [`${LABEL_RUN}=${lab.runId}`, `${LABEL_ROLE}=${role}`] },
  });
  return found?.Id ?? expect.fail(`no ${role} container in the lab`);
}

/** Documents of the scenario Elasticsearch has indexed more than once under the same id. */
async function overwritten(backend: Backend, lab: StartedLab): Promise<number> {
  let count = 0;
  let after: (string | number)[] | undefined;
  for (;;) {
    const page = await backend.client.search({
      index: SOURCE_INDEX.firewall,
      size: 5000,
      version: true,
      _source: false,
      query: { bool: { filter: scenarioFilter(lab) } },
      sort: ["_doc"],
      ...(after ? { search_after: after } : {}),
    });
    const hits = page.hits.hits;
    if (hits.length === 0) return count;
    count += hits.filter((h) => (h._version ?? 1) > 1).length;
    after = hits.at(-1)?.sort as (string | number)[];
  }
}

const indexedSome = (backend: Backend, lab: StartedLab) =>
  waitFor(
    "the first firewall events in Elasticsearch",
    async () => (await countIndexed(backend, lab, "firewall")) > 500,
    120_000,
  );

describe("faults without loss (real Docker, Elasticsearch, masscan)", function () {
  describe("Elasticsearch restarted during a masscan scan", function () {
    const teardown = new Teardown();
    after(() => teardown.run());

    it("delivers every firewall event once it is back, each exactly once", async function () {
      const backend = await startEmbeddedElasticsearch(`test-${newRunId()}`, teardown);
      const lab = await webLab(backend, "es-restart", teardown);
      const port = Number(new URL(backend.url).port);
      const elasticsearch = (
        await docker().listContainers({ filters: { label: [`${LABEL_ROLE}=siem`] } })
      ).find((c) => c.Ports.some((p) => p.PublicPort === port));
      expect(elasticsearch, "the dedicated Elasticsearch").to.not.equal(undefined);
      const scan = scanOf(lab);
      await indexedSome(backend, lab);
      const restartedAt = Date.now();
      const writtenBefore = countSensorRecords(sensorLogFiles(lab, "firewall"));
      await docker()
        .getContainer(elasticsearch?.Id ?? "")
        .restart({ t: 5 });
      const truth = await scan;
      expect(Date.parse(truth.endedAt), "the restart fell inside the scan").to.be.greaterThan(restartedAt);
      await waitForCluster(backend.client, backend.url, 180_000);
      const report = await awaitIngest(backend, lab, "firewall", [truth], Date.now(), 240_000);
      expect(report.sensorRecords, "records written while Elasticsearch was away").to.be.greaterThan(
        writtenBefore,
      );
      expect(report.expectedEvents).to.equal(15_000);
      expect({
        indexed: report.indexed,
        seen: report.seenEvents,
        parseFailures: report.parseFailures,
      }).to.deep.equal({
        indexed: report.sensorRecords,
        seen: report.expectedEvents,
        parseFailures: 0,
      });
    });
  });

  describe("the shipper killed and started again mid-scan", function () {
    const teardown = new Teardown();
    after(() => teardown.run());

    it("loses nothing, and the lines it reads again overwrite their own documents instead of duplicating them", async function () {
      const backend = await sharedBackend();
      const lab = await webLab(backend, "shipper-restart", teardown);
      const shipper = docker().getContainer(await containerOf(lab, "shipper"));
      const scan = scanOf(lab);
      await indexedSome(backend, lab);
      await shipper.kill();
      await shipper.start();
      const truth = await scan;
      const report = await awaitIngest(backend, lab, "firewall", [truth], Date.now(), 240_000);
      expect(report.expectedEvents).to.equal(15_000);
      expect({
        indexed: report.indexed,
        seen: report.seenEvents,
        parseFailures: report.parseFailures,
      }).to.deep.equal({
        indexed: report.sensorRecords,
        seen: report.expectedEvents,
        parseFailures: 0,
      });
      expect(await overwritten(backend, lab), "records shipped again after the restart").to.be.greaterThan(0);
    });
  });

  describe("a lab host that dies mid-scenario", function () {
    it("turns the verdict into an error naming the host, never a pass", async function () {
      const owner = runLabels("")[LABEL_OWNER] ?? "";
      const byRole = (role: string) =>
        docker().listContainers({
          filters: {
            label: [
              `${LABEL_OWNER}=${owner}`,
              `${LABEL_SCENARIO}=host-dies-mid-scan`,
              `${LABEL_ROLE}=${role}`,
            ],
          },
        });
      let killed = false;
      const killer = waitFor(
        "nmap running in the attacker",
        async () => {
          const [attacker] = await byRole("attacker");
          if (!attacker) return false;
          const top = (await docker().getContainer(attacker.Id).top()) as { Processes: string[][] };
          if (!top.Processes.some((p) => p.join(" ").includes("nmap"))) return false;
          const [web] = await byRole("target");
          await docker()
            .getContainer(web?.Id ?? "")
            .kill();
          killed = true;
          return true;
        },
        300_000,
        { maxIntervalMs: 300 },
      );
      const run = await runScenarios({
        scenarioFiles: [join(projectRoot, "test", "fixtures", "scenarios", "host-dies-mid-scan.yaml")],
        rulePaths: [join(assertionsDir, "rules")],
        contextFile: join(assertionsDir, "context", "default.yaml"),
        backend: await sharedBackend(),
      });
      await killer;
      expect(killed).to.equal(true);
      const [result] = run.scenarios;
      expect(result?.verdict).to.equal("error");
      expect(result?.reason).to.match(/Lab host stopped mid-scenario: web \(exit code 137/);
    });
  });
});
