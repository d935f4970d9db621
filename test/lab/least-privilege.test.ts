import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { ContainerInspectInfo } from "dockerode";
import { docker, LABEL_RUN } from "../../harness/docker/client.js";
import { startLab } from "../../harness/lab/lab.js";
import { type StartedLab } from "../../harness/lab/started-lab.js";
import { planLab } from "../../harness/lab/topology.js";
import { Teardown } from "../../harness/core/lifecycle.js";
import { newRunId } from "../../harness/run/run-scenarios.js";
import { sharedBackend } from "./shared-backend.js";

/** Linux capability numbers (linux/capability.h). */
const CAPABILITIES: Record<number, string> = {
  0: "CHOWN",
  1: "DAC_OVERRIDE",
  2: "DAC_READ_SEARCH",
  3: "FOWNER",
  4: "FSETID",
  5: "KILL",
  6: "SETGID",
  7: "SETUID",
  8: "SETPCAP",
  9: "LINUX_IMMUTABLE",
  10: "NET_BIND_SERVICE",
  11: "NET_BROADCAST",
  12: "NET_ADMIN",
  13: "NET_RAW",
  14: "IPC_LOCK",
  15: "IPC_OWNER",
  16: "SYS_MODULE",
  17: "SYS_RAWIO",
  18: "SYS_CHROOT",
  19: "SYS_PTRACE",
  20: "SYS_PACCT",
  21: "SYS_ADMIN",
  22: "SYS_BOOT",
  23: "SYS_NICE",
  24: "SYS_RESOURCE",
  25: "SYS_TIME",
  26: "SYS_TTY_CONFIG",
  27: "MKNOD",
  28: "LEASE",
  29: "AUDIT_WRITE",
  30: "AUDIT_CONTROL",
  31: "SETFCAP",
};

/** Docker's default set without NET_RAW: what every container may hold without asking. */
const BASELINE = [
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "SETGID",
  "SETUID",
  "SETPCAP",
  "NET_BIND_SERVICE",
  "SYS_CHROOT",
  "MKNOD",
  "AUDIT_WRITE",
  "SETFCAP",
];

/** The only containers that get more than the baseline, and what they get: raw sockets to send or capture, NET_ADMIN to filter. */
const EXTRA: Record<string, readonly string[]> = {
  attacker: ["NET_RAW"],
  partner: ["NET_RAW"],
  firewall: ["NET_ADMIN"],
  ids: ["NET_ADMIN", "NET_RAW", "SYS_NICE"],
  flow: ["NET_RAW"],
  psad: ["NET_ADMIN"],
  "scanlogd-web": ["NET_RAW"],
  "scanlogd-ssh": ["NET_RAW"],
  "scanlogd-dns": ["NET_RAW"],
  ...Object.fromEntries(
    ["attacker", "partner", "insider-pc", "soc", "office", "nat-router"].map((s) => [
      `egress-${s}`,
      ["NET_ADMIN"],
    ]),
  ),
  ...Object.fromEntries(
    ["attacker", "partner", "insider-pc", "soc", "office"].map((s) => [`capture-${s}`, ["NET_RAW"]]),
  ),
};

/** The capability bounding set of a container's first process, as its kernel reports it. */
async function boundingSet(id: string): Promise<string[]> {
  const exec = await docker()
    .getContainer(id)
    .exec({ Cmd: ["cat", "/proc/1/status"], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  const hex = /CapBnd:\s*([0-9a-f]+)/.exec(Buffer.concat(chunks).toString("latin1"))?.[1];
  if (!hex) throw new Error(`no CapBnd for ${id}`);
  const bits = BigInt(`0x${hex}`);
  return Object.entries(CAPABILITIES)
    .filter(([bit]) => (bits >> BigInt(bit)) & 1n)
    .map(([, name]) => name);
}

function shortName(info: ContainerInspectInfo, runId: string): string {
  return info.Name.replace(/^\//, "").replace(new RegExp(`^scanproof-${runId}-least-privilege-`), "");
}

describe("least privilege of every container of a real lab (real Docker)", function () {
  const teardown = new Teardown();
  let lab: StartedLab;
  let containers: ContainerInspectInfo[];

  before(async function () {
    const backend = await sharedBackend();
    lab = await startLab({
      runId: newRunId(),
      scenarioId: "least-privilege",
      plan: planLab({
        lab: {
          targets: [
            { name: "web", kind: "web" },
            { name: "ssh", kind: "ssh" },
            { name: "dns", kind: "dns" },
          ],
          hosts: [
            { name: "partner", role: "scanner", network: "outside" },
            { name: "insider-pc", role: "client", network: "lan" },
            { name: "soc", role: "monitor", network: "lan" },
            { name: "office", role: "client", network: "nat" },
          ],
        },
      }),
      sensors: ["ids", "flow", "psad", "scanlogd"],
      backend,
      workDir: mkdtempSync(join(tmpdir(), "scanproof-privilege-")),
      teardown,
    });
    const port = new URL(/https?:\/\/\S+/.exec(backend.description)?.[0] ?? "").port;
    const listed = await docker().listContainers({ filters: { label: [`${LABEL_RUN}=${lab.runId}`] } });
    const all = await docker().listContainers();
    const elasticsearch = all.filter((c) => c.Ports.some((p) => String(p.PublicPort) === port));
    expect(elasticsearch, "the shared Elasticsearch container").to.have.length(1);
    containers = await Promise.all(
      [...listed, ...elasticsearch].map((c) => docker().getContainer(c.Id).inspect()),
    );
  });

  after(() => teardown.run());

  it("covers every kind of container a lab has", function () {
    const names = containers.map((c) => shortName(c, lab.runId));
    expect(names).to.include.members([
      "attacker",
      "partner",
      "insider-pc",
      "soc",
      "office",
      "nat-router",
      "firewall",
      "web",
      "ssh",
      "dns",
      "ids",
      "flow",
      "psad",
      "scanlogd-web",
      "shipper",
      "egress-attacker",
      "egress-nat-router",
    ]);
    expect(names.some((n) => n.startsWith("scanproof-es-"))).to.equal(true);
  });

  it("runs no container privileged", function () {
    expect(containers.filter((c) => c.HostConfig.Privileged).map((c) => c.Name)).to.deep.equal([]);
  });

  it("gives raw sockets and NET_ADMIN only to the containers that need them, as the kernel sees it", async function () {
    const granted = await Promise.all(
      containers.map(async (c) => {
        const extra = (await boundingSet(c.Id)).filter((cap) => !BASELINE.includes(cap));
        return [shortName(c, lab.runId), extra.sort()] as const;
      }),
    );
    const allowed = granted.map(([name]) => [name, [...(EXTRA[name] ?? [])].sort()] as const);
    expect(Object.fromEntries(granted)).to.deep.equal(Object.fromEntries(allowed));
  });

  it("publishes ports on 127.0.0.1 only", function () {
    type Binding = { HostIp: string }[] | null;
    const bindings = containers
      .flatMap((c) => [
        ...Object.values((c.HostConfig.PortBindings ?? {}) as Record<string, Binding>),
        ...Object.values(c.NetworkSettings.Ports as Record<string, Binding>),
      ])
      .flatMap((b) => b ?? []);
    expect(bindings, "Elasticsearch publishes its HTTP port").to.not.be.empty;
    expect(bindings.filter((b) => b.HostIp !== "127.0.0.1")).to.deep.equal([]);
  });
});
