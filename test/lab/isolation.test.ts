import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { docker } from "../../harness/docker/client.js";
import { startLab } from "../../harness/lab/lab.js";
import { type LabHost, type StartedLab } from "../../harness/lab/started-lab.js";
import { planLab } from "../../harness/lab/topology.js";
import { OUTSIDE } from "../../harness/lab/segments.js";
import { Teardown } from "../../harness/core/lifecycle.js";
import { newRunId } from "../../harness/run/run-scenarios.js";
import { sharedBackend } from "./shared-backend.js";

/** An address in TEST-NET-1 (RFC 5737): never routed anywhere. Nothing is sent to it; the kernel is only asked for a route. */
const OUTSIDE_WORLD = "192.0.2.1";

/** A name the machine itself resolves (its package mirror): a lab host must not. */
const OUTSIDE_NAME = "deb.debian.org";

/** The Docker host's own address on each network a lab host is attached to (the bridge's gateway). */
async function dockerHostAddresses(host: LabHost): Promise<string[]> {
  const info = await docker().getContainer(host.container.getId()).inspect();
  return Object.values(info.NetworkSettings.Networks)
    .map((n) => n.Gateway)
    .filter(Boolean);
}

const lines = (file: string) => readFileSync(file, "utf8").split("\n").filter(Boolean);
const records = (file: string) => lines(file).map((l) => JSON.parse(l) as Record<string, unknown>);

describe("lab isolation and topology (real Docker)", function () {
  const teardown = new Teardown();
  let lab: StartedLab;
  let web: LabHost;

  const get = async (from: LabHost, path: string) => {
    const reply = await lab.exec(from, [
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `http://${web.address}${path}`,
    ]);
    expect(reply.stdout, `${from.name}: ${reply.stderr}`).to.equal("200");
  };

  before(async function () {
    const backend = await sharedBackend();
    lab = await startLab({
      runId: newRunId(),
      scenarioId: "isolation",
      plan: planLab({
        lab: {
          targets: [{ name: "web", kind: "web" }],
          hosts: [
            { name: "insider", role: "attacker", network: "lan" },
            { name: "monitor", role: "monitor", network: "lan" },
            { name: "partner", role: "scanner", network: "outside" },
            { name: "office-1", role: "client", network: "nat" },
            { name: "office-2", role: "client", network: "nat" },
          ],
        },
      }),
      sensors: ["ids", "flow"],
      backend,
      workDir: mkdtempSync(join(tmpdir(), "scanproof-isolation-")),
      teardown,
    });
    web = lab.targets.get("web") ?? expect.fail("no web target");
    for (const host of lab.hosts.values()) await get(host, `/?from=${host.name}`);
    await lab.quiesce();
  });

  after(() => teardown.run());

  const everyHost = () => [
    lab.firewall,
    lab.natRouter ?? expect.fail("no NAT router"),
    ...lab.hosts.values(),
    ...lab.targets.values(),
  ];

  /** Tries a TCP connection from inside a lab host; true when it was established. */
  const connects = async (host: LabHost, address: string, port: number) => {
    const result = await lab.exec(host, [
      "timeout",
      "5",
      "bash",
      "-c",
      'exec 3<>"/dev/tcp/$0/$1"',
      address,
      String(port),
    ]);
    return result.exitCode === 0;
  };

  it("gives no lab host a route out of the lab", async function () {
    const all = everyHost();
    expect(all.map((h) => h.name)).to.include.members(["nat-router", "insider", "office-2", "partner"]);
    for (const host of all) {
      const route = await lab.exec(host, ["ip", "route", "get", OUTSIDE_WORLD]);
      expect(route.exitCode, `${host.name}: ${route.stdout}`).to.not.equal(0);
      expect(route.stderr, host.name).to.match(/unreachable/i);
    }
  });

  it("routes every source to the DMZ through the firewall on its own segment, with real addresses", async function () {
    const routes = await Promise.all(
      ["attacker", "partner", "insider", "office-1"].map(async (name) => {
        const r = await lab.exec(lab.host(name), ["ip", "route", "get", web.address]);
        return r.stdout
          .split("\n")[0]
          ?.replace(/\s+uid.*$/, "")
          .trim();
      }),
    );
    expect(routes).to.deep.equal([
      `${web.address} via 198.18.0.1 dev vx-out src 198.18.0.10`,
      `${web.address} via 198.18.0.1 dev vx-out src 198.18.0.20`,
      `${web.address} via 10.30.0.1 dev vx-lan src 10.30.0.10`,
      `${web.address} via 192.168.50.1 dev vx-nat src 192.168.50.10`,
    ]);
  });

  it("shows the web server each source's real address, and hosts behind NAT as the NAT router", function () {
    const seen = new Map(records(join(lab.logDir, "web", "web", "web.json")).map((r) => [r.query, r.client]));
    expect(Object.fromEntries(seen)).to.deep.include({
      "from=attacker": "198.18.0.10",
      "from=partner": "198.18.0.20",
      "from=insider": "10.30.0.10",
      "from=monitor": "10.30.0.11",
      "from=office-1": OUTSIDE.natRouter,
      "from=office-2": OUTSIDE.natRouter,
    });
  });

  it("logs LAN → DMZ connections at the firewall, on its LAN link", function () {
    const fromLan = records(join(lab.logDir, "firewall", "firewall.json")).filter(
      (r) => r.src_ip === "10.30.0.10",
    );
    expect(fromLan.map((r) => [r["oob.in"], r.dest_ip, r.dest_port])).to.deep.include([
      "vx-lan",
      web.address,
      80,
    ]);
    const natted = records(join(lab.logDir, "firewall", "firewall.json")).filter((r) =>
      String(r.src_ip).startsWith("192.168."),
    );
    expect(natted, "addresses behind NAT never reach the firewall").to.be.empty;
  });

  it("gives the IDS and NetFlow LAN traffic as well as outside traffic", function () {
    const ids = lines(join(lab.logDir, "ids", "ids.json")).join("\n");
    const flow = lines(join(lab.logDir, "flow", "flow.json")).join("\n");
    for (const address of ["10.30.0.10", "198.18.0.10", OUTSIDE.natRouter]) {
      expect(ids, `IDS flows from ${address}`).to.include(`"src_ip":"${address}"`);
      expect(flow, `NetFlow records from ${address}`).to.include(`"${address}"`);
    }
  });

  it("leaves clients and monitors without raw sockets, as a user's machine", async function () {
    const raw = await lab.exec(lab.host("office-1"), ["nmap", "-n", "-Pn", "-sS", "-p", "80", web.address]);
    expect(raw.exitCode).to.not.equal(0);
    expect(raw.stdout + raw.stderr).to.match(/privilege|not permitted|requires root/i);
    const scanner = await lab.exec(lab.host("partner"), [
      "nmap",
      "-n",
      "-Pn",
      "-sS",
      "-p",
      "80",
      web.address,
    ]);
    expect(scanner.exitCode, scanner.stderr).to.equal(0);
  });

  it("lets no lab host open a connection to the Docker host, which sees none arrive", async function () {
    let arrived = 0;
    const listener = createServer((socket) => {
      arrived++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, "0.0.0.0", resolve));
    const { port } = listener.address() as AddressInfo;
    try {
      const attempts = await Promise.all(
        everyHost().map(async (host) => {
          const gateways = await dockerHostAddresses(host);
          expect(gateways, host.name).to.not.be.empty;
          return Promise.all(
            gateways.map(async (gateway) => ({
              host: host.name,
              gateway,
              connected: await connects(host, gateway, port),
            })),
          );
        }),
      );
      expect(attempts.flat().filter((a) => a.connected)).to.deep.equal([]);
      expect(arrived).to.equal(0);
      expect(await connects(lab.attacker, web.address, 80), "the control: a lab connection").to.equal(true);
    } finally {
      listener.close();
    }
  });

  it("resolves no name outside the lab", async function () {
    const lookups = await Promise.all(
      everyHost().map(async (host) => ({
        host: host.name,
        result: await lab.exec(host, ["timeout", "8", "getent", "hosts", OUTSIDE_NAME]),
      })),
    );
    for (const { host, result } of lookups) {
      expect(result.exitCode, `${host}: ${result.stdout}`).to.not.equal(0);
      expect(result.stdout, host).to.equal("");
    }
  });
});
