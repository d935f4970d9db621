import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { ScanproofError } from "../../harness/core/errors.js";
import { startLab } from "../../harness/lab/lab.js";
import { type StartedLab } from "../../harness/lab/started-lab.js";
import { planLab } from "../../harness/lab/topology.js";
import { Teardown } from "../../harness/core/lifecycle.js";
import { countSensorRecords, sensorLogFiles } from "../../harness/logs/accounting.js";
import { runSteps } from "../../harness/run/steps.js";
import { newRunId } from "../../harness/run/run-scenarios.js";
import type { Scenario } from "../../harness/scenario/load.js";
import { sharedBackend } from "./shared-backend.js";

/** TEST-NET-2 (RFC 5737): documentation addresses no network routes; never a lab range. */
const OUTSIDE_ADDRESS = "198.51.100.7";

/**
 * The packet layer of the scope guarantee, tested by going around the other two: commands run
 * straight in the attacker, as a tool with an unforeseen option would, and send raw frames for an
 * address outside the lab. The egress filter must drop and count them, and a run must end in error.
 */
describe("egress filter in every traffic source", function () {
  const teardown = new Teardown();
  const workDir = mkdtempSync(join(tmpdir(), "scanproof-egress-"));
  let lab: StartedLab;

  before(async function () {
    lab = await startLab({
      runId: newRunId(),
      scenarioId: "egress-guard",
      plan: planLab({
        lab: {
          targets: [{ name: "web", kind: "web" }],
          hosts: [{ name: "insider", role: "scanner", network: "lan" }],
        },
      }),
      sensors: [],
      backend: await sharedBackend(),
      workDir,
      teardown,
    });
  });

  after(() => teardown.run());

  const routerMac = async () =>
    (
      await lab.exec(lab.firewall, ["cat", `/sys/class/net/${lab.attacker.uplink.interface}/address`])
    ).stdout.trim();

  it("drops nothing while the sources only talk to the lab (the control)", async function () {
    await lab.exec(lab.attacker, ["nmap", "-n", "-Pn", "-sS", "-p", "80,443", "10.20.0.10"]);
    await lab.exec(lab.host("insider"), ["nmap", "-n", "-Pn", "-sS", "-p", "22", "10.20.0.10"]);
    expect(await lab.egressDrops()).to.deep.equal([]);
  });

  it("drops and counts masscan's raw frames for an outside address, which never reach the firewall", async function () {
    const before = countSensorRecords(sensorLogFiles(lab, "firewall"));
    const mac = await routerMac();
    await lab.exec(lab.attacker, [
      "timeout",
      "20",
      "masscan",
      OUTSIDE_ADDRESS,
      "-p80,81,82",
      "-e",
      lab.attacker.uplink.interface,
      "--router-mac",
      mac,
      "--rate",
      "100",
      "--wait",
      "1",
    ]);
    expect(await lab.egressDrops()).to.deep.equal([
      { source: "attacker", destination: OUTSIDE_ADDRESS, packets: 3 },
    ]);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(countSensorRecords(sensorLogFiles(lab, "firewall"))).to.equal(before);
  });

  it("drops raw frames sent on the Docker underlay instead of the overlay, from another source too", async function () {
    await lab.exec(lab.host("insider"), [
      "timeout",
      "20",
      "masscan",
      "198.51.100.9",
      "-p80",
      "-e",
      "eth0",
      "--router-mac",
      "02:42:00:00:00:01",
      "--rate",
      "100",
      "--wait",
      "1",
    ]);
    const drops = await lab.egressDrops();
    expect(drops.filter((d) => d.source === "insider")).to.deep.equal([
      { source: "insider", destination: "198.51.100.9", packets: 1 },
    ]);
  });

  it("ends the steps with an error naming the source, the destination and the count", async function () {
    const scenario = {
      id: "egress-guard",
      steps: [{ tool: "http", from: "attacker", target: "web", paths: ["/"], repeat: 1 }],
    } as unknown as Scenario;
    const error = await runSteps(lab, scenario, workDir).then(
      () => expect.fail("the steps ran to the end"),
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ScanproofError);
    expect((error as Error).message).to.match(/^steps\[0\]: traffic left for addresses outside the lab/);
    expect((error as Error).message).to.include(`attacker → ${OUTSIDE_ADDRESS} (3 packets)`);
    expect((error as Error).message).to.include("insider → 198.51.100.9 (1 packet)");
  });
});
