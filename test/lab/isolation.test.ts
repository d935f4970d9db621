import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { startLab, type StartedLab } from "../../harness/lab/lab.js";
import { planLab } from "../../harness/lab/topology.js";
import { Teardown } from "../../harness/lifecycle.js";
import { newRunId } from "../../harness/run.js";
import { sharedBackend } from "./shared-backend.js";

/** An address in TEST-NET-1 (RFC 5737): never routed anywhere. Nothing is sent to it; the kernel is only asked for a route. */
const OUTSIDE_WORLD = "192.0.2.1";

describe("lab isolation (real Docker)", function () {
  const teardown = new Teardown();
  let lab: StartedLab;

  before(async function () {
    const backend = await sharedBackend();
    lab = await startLab({
      runId: newRunId(),
      scenarioId: "isolation",
      plan: planLab({ lab: { targets: [{ name: "web", kind: "web" }] } }),
      sensors: [],
      backend,
      workDir: mkdtempSync(join(tmpdir(), "scanproof-isolation-")),
      teardown,
    });
  });

  after(() => teardown.run());

  it("gives no lab host a route out of the lab", async function () {
    for (const host of [lab.attacker, lab.firewall, ...lab.targets.values()]) {
      const route = await lab.exec(host, ["ip", "route", "get", OUTSIDE_WORLD]);
      expect(route.exitCode, `${host.name}: ${route.stdout}`).to.not.equal(0);
      expect(route.stderr, host.name).to.match(/unreachable/i);
    }
  });

  it("reaches the targets from the attacker over the overlay, with real addresses", async function () {
    const web = lab.targets.get("web");
    const reply = await lab.exec(lab.attacker, [
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `http://${web?.address ?? ""}/`,
    ]);
    expect(reply.stdout).to.equal("200");
  });
});
