import "../docker/testcontainers-env.js";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Wait, type StartedTestContainer } from "testcontainers";
import type { Backend } from "../backend/backend.js";
import { docker, LABEL_ROLE, LABEL_SCENARIO, runLabels } from "../docker/client.js";
import { LabContainer } from "../docker/lab-container.js";
import { ScanproofError } from "../errors.js";
import type { SensorName } from "../scenario/schema.js";
import type { Teardown } from "../lifecycle.js";
import { task } from "../progress.js";
import { waitFor } from "../wait.js";
import { builtLabImage, type LabImage } from "../setup/lab-images.js";
import { DMZ, DMZ_INTERFACE, OUTSIDE, OUTSIDE_INTERFACE, SOURCE_BY_KIND, type LabPlan } from "./topology.js";

/** A detector reports as it goes and is not stopped before accounting, so it watches until teardown. */
export type HostRole = "attacker" | "firewall" | "target" | "sensor" | "detector" | "shipper";

/** How long each kind of host may take to stop on SIGTERM before it is killed. */
const GRACEFUL_STOP_MS: Record<HostRole, number> = {
  attacker: 1_000,
  firewall: 1_000,
  target: 1_000,
  sensor: 10_000,
  detector: 5_000,
  shipper: 10_000,
};

function once(work: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= work());
}

export interface LabHost {
  readonly name: string;
  readonly role: HostRole;
  readonly container: StartedTestContainer;
  /** The address scanners and detections see (overlay), not the Docker underlay address. */
  readonly address: string;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface StartedLab {
  readonly runId: string;
  readonly scenarioId: string;
  readonly plan: LabPlan;
  readonly attacker: LabHost;
  readonly firewall: LabHost;
  readonly targets: ReadonlyMap<string, LabHost>;
  /** Host folder holding each sensor's raw log (bind-mounted into the sensor and the shipper). */
  readonly logDir: string;
  /**
   * The only ranges a step may probe: the overlay. The Docker underlay is plumbing, and its
   * gateway address belongs to the host, so it is never a target.
   */
  readonly subnets: readonly string[];
  exec(host: LabHost, command: readonly string[]): Promise<ExecResult>;
  /** Stops the sensors that write their last records on a graceful stop (Suricata's flows). */
  quiesce(): Promise<void>;
}

export interface LabOptions {
  readonly runId: string;
  readonly scenarioId: string;
  readonly plan: LabPlan;
  readonly sensors: readonly SensorName[];
  readonly backend: Backend;
  readonly workDir: string;
  readonly teardown: Teardown;
}

type NetworkName = "outside" | "dmz" | "mgmt";

/**
 * Starts one isolated lab: three internal Docker networks (outside, DMZ, management), the hosts
 * on them, the VXLAN overlay that gives every host its real lab address end to end, and the
 * shipper. Everything carries the run's labels and is registered with the teardown as it appears.
 */
export async function startLab(options: LabOptions): Promise<StartedLab> {
  const { runId, scenarioId, plan, teardown } = options;
  const labels = (role: string) => runLabels(runId, { [LABEL_SCENARIO]: scenarioId, [LABEL_ROLE]: role });
  const prefix = `scanproof-${runId}-${scenarioId}`.slice(0, 60);

  const networks = await task("Create lab networks", () =>
    createNetworks(prefix, labels("network"), teardown),
  );
  const logDir = join(options.workDir, "logs");
  const sensorDir = (...parts: string[]) => {
    const dir = join(logDir, ...parts);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    return dir;
  };

  const sensorStops: (() => Promise<void>)[] = [];
  const start = async (
    image: LabImage,
    name: string,
    role: HostRole,
    configure: (c: LabContainer) => LabContainer,
  ) => {
    const container = await configure(
      new LabContainer(await builtLabImage(image)).withName(`${prefix}-${name}`).withLabels(labels(role)),
    ).start();
    const stop = once(async () => {
      await container.stop({ timeout: GRACEFUL_STOP_MS[role] });
    });
    if (role === "sensor") sensorStops.push(stop);
    teardown.defer(`stop ${name}`, stop);
    return container;
  };

  const hosts = await task(
    `Start lab hosts (attacker, firewall, ${plan.targets.map((t) => t.name).join(", ")})`,
    async () => {
      const firewall = await start("firewall", "firewall", "firewall", (c) =>
        c
          .withNetworkMode(networks.outside)
          .withAddedCapabilities("NET_ADMIN")
          .withSysctls({ "net.ipv4.ip_forward": "1" })
          .withBindMounts([{ source: sensorDir("firewall"), target: "/var/log/scanproof", mode: "rw" }]),
      );
      await docker().getNetwork(networks.dmz).connect({ Container: firewall.getId() });
      const attacker = await start("attacker", "attacker", "attacker", (c) =>
        c.withNetworkMode(networks.outside).withAddedCapabilities("NET_RAW"),
      );
      const targets = await Promise.all(
        plan.targets.map(async (t) => {
          const source = SOURCE_BY_KIND[t.kind];
          const logs = source
            ? [{ source: sensorDir(source, t.name), target: "/var/log/scanproof", mode: "rw" as const }]
            : [];
          const container = await start(t.kind, t.name, "target", (c) =>
            c.withNetworkMode(networks.dmz).withBindMounts(logs),
          );
          return { plan: t, container };
        }),
      );
      return { firewall, attacker, targets };
    },
  );

  await task("Wire the VXLAN overlay", async () => {
    const underlay = async (c: StartedTestContainer, network: string) => {
      const info = await docker().getContainer(c.getId()).inspect();
      const address = info.NetworkSettings.Networks[network]?.IPAddress;
      if (!address) throw new ScanproofError(`${c.getName()} has no address on ${network}.`);
      return address;
    };
    const fwOutside = await underlay(hosts.firewall, networks.outside);
    const fwDmz = await underlay(hosts.firewall, networks.dmz);
    const attackerUnderlay = await underlay(hosts.attacker, networks.outside);
    const targetUnderlays = await Promise.all(hosts.targets.map((t) => underlay(t.container, networks.dmz)));
    const link = (c: StartedTestContainer, args: string[]) => overlayLink(c, args, labels("netkit"));
    await link(hosts.firewall, [
      OUTSIDE_INTERFACE,
      String(OUTSIDE.vni),
      fwOutside,
      `${plan.firewall.outside}/${OUTSIDE.prefix}`,
      attackerUnderlay,
    ]);
    await link(hosts.firewall, [
      DMZ_INTERFACE,
      String(DMZ.vni),
      fwDmz,
      `${plan.firewall.dmz}/${DMZ.prefix}`,
      targetUnderlays.join(","),
    ]);
    await link(hosts.attacker, [
      OUTSIDE_INTERFACE,
      String(OUTSIDE.vni),
      attackerUnderlay,
      `${plan.attacker}/${OUTSIDE.prefix}`,
      fwOutside,
      DMZ.subnet,
      plan.firewall.outside,
    ]);
    await Promise.all(
      hosts.targets.map((t, i) =>
        link(t.container, [
          DMZ_INTERFACE,
          String(DMZ.vni),
          targetUnderlays[i] ?? "",
          `${t.plan.address}/${DMZ.prefix}`,
          fwDmz,
          OUTSIDE.subnet,
          plan.firewall.dmz,
        ]),
      ),
    );
  });

  if (options.sensors.includes("ids")) {
    await task("Start the IDS (Suricata on the firewall's outside link)", () =>
      start("ids", "ids", "sensor", (c) =>
        c
          .withNetworkMode(`container:${hosts.firewall.getId()}`)
          .withAddedCapabilities("NET_ADMIN", "NET_RAW", "SYS_NICE")
          .withEnvironment({
            SCANPROOF_IDS_INTERFACE: OUTSIDE_INTERFACE,
            SCANPROOF_HOME_NET: `[${DMZ.subnet}]`,
          })
          .withBindMounts([{ source: sensorDir("ids"), target: "/var/log/scanproof", mode: "rw" }])
          .withWaitStrategy(Wait.forLogMessage(/Engine started\./))
          .withStartupTimeout(40_000),
      ),
    );
  }

  if (options.sensors.includes("flow")) {
    await task("Start NetFlow (softflowd → IPFIX → nfcapd on the firewall's outside link)", () =>
      start("flow", "flow", "sensor", (c) =>
        c
          .withNetworkMode(`container:${hosts.firewall.getId()}`)
          .withAddedCapabilities("NET_RAW")
          .withEnvironment({ FLOW_INTERFACE: OUTSIDE_INTERFACE })
          .withBindMounts([{ source: sensorDir("flow"), target: "/var/log/scanproof", mode: "rw" }])
          .withWaitStrategy(Wait.forLogMessage("flow-sensor: ready"))
          .withStartupTimeout(40_000),
      ),
    );
  }

  if (options.sensors.includes("psad")) {
    await task("Start psad (its own NFLOG rule on the firewall → LOGEMU → psad)", () =>
      start("detectors", "psad", "detector", (c) =>
        c
          .withNetworkMode(`container:${hosts.firewall.getId()}`)
          .withAddedCapabilities("NET_ADMIN")
          .withCommand(["psad"])
          .withBindMounts([{ source: sensorDir("psad"), target: "/var/log/scanproof", mode: "rw" }])
          .withWaitStrategy(Wait.forLogMessage("detectors: psad ready"))
          .withStartupTimeout(40_000),
      ),
    );
  }

  if (options.sensors.includes("scanlogd")) {
    await task(`Start scanlogd on ${plan.targets.map((t) => t.name).join(", ")}`, () =>
      Promise.all(
        hosts.targets.map((t) =>
          start("detectors", `scanlogd-${t.plan.name}`, "detector", (c) =>
            c
              .withNetworkMode(`container:${t.container.getId()}`)
              .withAddedCapabilities("NET_RAW")
              .withCommand(["scanlogd"])
              .withBindMounts([
                { source: sensorDir("scanlogd", t.plan.name), target: "/var/log/scanproof", mode: "rw" },
              ])
              .withWaitStrategy(Wait.forLogMessage("detectors: scanlogd ready"))
              .withStartupTimeout(40_000),
          ),
        ),
      ),
    );
  }

  await task("Start the shipper", async () => {
    const route = await options.backend.attachLab(networks.mgmt);
    teardown.defer("detach Elasticsearch from the lab", () => options.backend.detachLab(networks.mgmt));
    await start("shipper", "shipper", "shipper", (c) =>
      c
        .withNetworkMode(route.network ?? networks.mgmt)
        .withEnvironment({
          SCANPROOF_ES_HOST: route.host,
          SCANPROOF_ES_PORT: String(route.port),
          SCANPROOF_RUN_ID: runId,
          SCANPROOF_SCENARIO_ID: scenarioId,
        })
        .withBindMounts([{ source: logDir, target: "/logs", mode: "ro" }])
        .withWaitStrategy(Wait.forLogMessage("scanproof-shipper: configuration valid"))
        .withStartupTimeout(20_000),
    );
  });
  await waitFor(
    "the firewall's log file",
    () => existsSync(join(logDir, "firewall", "firewall.json")),
    15_000,
  );

  const subnets = [OUTSIDE.subnet, DMZ.subnet];
  const host = (name: string, role: HostRole, container: StartedTestContainer, address: string): LabHost => ({
    name,
    role,
    container,
    address,
  });
  return {
    runId,
    scenarioId,
    plan,
    logDir,
    subnets,
    attacker: host("attacker", "attacker", hosts.attacker, plan.attacker),
    firewall: host("firewall", "firewall", hosts.firewall, plan.firewall.outside),
    targets: new Map(
      hosts.targets.map((t) => [t.plan.name, host(t.plan.name, "target", t.container, t.plan.address)]),
    ),
    async quiesce() {
      await Promise.all(sensorStops.map((stop) => stop()));
    },
    async exec(h, command) {
      const result = await h.container.exec([...command]);
      return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

async function createNetworks(
  prefix: string,
  labels: Record<string, string>,
  teardown: Teardown,
): Promise<Record<NetworkName, string>> {
  const names: Record<NetworkName, string> = {
    outside: `${prefix}-outside`,
    dmz: `${prefix}-dmz`,
    mgmt: `${prefix}-mgmt`,
  };
  for (const name of Object.values(names)) {
    const network = await docker().createNetwork({
      Name: name,
      Internal: true,
      Labels: labels,
      CheckDuplicate: true,
    });
    teardown.defer(`remove network ${name}`, () => network.remove());
  }
  return names;
}

/** Runs the netkit helper in a host's network namespace with NET_ADMIN, then removes it. */
async function overlayLink(
  host: StartedTestContainer,
  args: readonly string[],
  labels: Record<string, string>,
): Promise<void> {
  const helper = await docker().createContainer({
    Image: await builtLabImage("netkit"),
    Cmd: [...args],
    Labels: labels,
    HostConfig: { NetworkMode: `container:${host.getId()}`, CapAdd: ["NET_ADMIN"] },
  });
  try {
    await helper.start();
    const { StatusCode } = (await helper.wait()) as { StatusCode: number };
    if (StatusCode !== 0) {
      const logs = (await helper.logs({ stdout: true, stderr: true })).toString().trim();
      throw new ScanproofError(`Wiring the overlay in ${host.getName()} failed (${args.join(" ")}): ${logs}`);
    }
  } finally {
    await helper.remove({ force: true });
  }
}
