import "../docker/testcontainers-env.js";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Wait, type StartedTestContainer } from "testcontainers";
import type { Backend, ShipperRoute } from "../backend/backend.js";
import { docker, LABEL_ROLE, LABEL_SCENARIO, runLabels } from "../docker/client.js";
import { LabContainer } from "../docker/lab-container.js";
import { ScanproofError } from "../core/errors.js";
import type { SensorName } from "../core/vocabulary.js";
import type { Teardown } from "../core/lifecycle.js";
import { task } from "../core/progress.js";
import { waitFor } from "../core/wait.js";
import { builtLabImage, type LabImage } from "../setup/lab-images.js";
import { readEgressDrops, startEgressGuards, type EgressDrop } from "./egress-guard.js";
import type { HostSpec } from "../scenario/schema.js";
import { labSubnets, SOURCE_BY_KIND, type LabPlan, type PlannedHost } from "./topology.js";
import { DMZ, OUTSIDE, SEGMENTS, type Segment, type SegmentName } from "../scenario/segments.js";

/** A detector reports as it goes and is not stopped before accounting, so it watches until teardown. */
export type HostRole =
  | HostSpec["role"]
  | "router"
  | "firewall"
  | "target"
  | "sensor"
  | "detector"
  | "shipper"
  | "guard";

/** How long each kind of host may take to stop on SIGTERM before it is killed. */
const GRACEFUL_STOP_MS: Record<HostRole, number> = {
  attacker: 1_000,
  client: 1_000,
  monitor: 1_000,
  scanner: 1_000,
  router: 1_000,
  firewall: 1_000,
  target: 1_000,
  sensor: 10_000,
  detector: 5_000,
  shipper: 10_000,
  guard: 1_000,
};

/** Roles that may send raw packets; the others have none (LabContainer drops Docker's default NET_RAW), as a user's machine. */
const RAW_SOCKET_ROLES: readonly HostRole[] = ["attacker", "scanner"];

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

/** A host that sends traffic: the attacker or one of the scenario's `lab.hosts`. */
export interface SourceHost extends LabHost {
  readonly plan: PlannedHost;
  /** The overlay interface it sends on, and the host that routes for it there. */
  readonly uplink: { readonly interface: string; readonly router: LabHost };
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
  readonly attacker: SourceHost;
  readonly firewall: LabHost;
  /** The router that masquerades the hosts behind NAT, when the lab has any. */
  readonly natRouter: LabHost | undefined;
  readonly targets: ReadonlyMap<string, LabHost>;
  /** The IDS sidecar, when the scenario switched it on (containment adds to its block list). */
  readonly ids?: LabHost;
  /** Every traffic source by name, the attacker included. */
  readonly hosts: ReadonlyMap<string, SourceHost>;
  /** The traffic source a step names in `from`. */
  host(name: string): SourceHost;
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
  /**
   * Throws, naming each one and how it ended, when a container of the lab stopped that scanproof
   * did not stop (a host that crashed or was killed): results of such a lab are no evidence.
   */
  assertAlive(): Promise<void>;
  /**
   * Starts `work` once it watches the lab, and settles with it, or throws as `assertAlive` does the
   * moment a lab host stops while it runs: a scan at a dead target can crawl on for minutes, and its
   * results are no evidence anyway.
   */
  whileAlive<T>(work: () => Promise<T>): Promise<T>;
  /** What every traffic source's egress filter dropped so far: packets for addresses outside the lab. */
  egressDrops(): Promise<EgressDrop[]>;
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

type NetworkName = "outside" | "dmz" | "lan" | "mgmt";

/** The Docker network each overlay segment rides on: hosts behind NAT share the outside one. */
const UNDERLAY: Record<SegmentName, NetworkName> = {
  outside: "outside",
  dmz: "dmz",
  lan: "lan",
  nat: "outside",
};

/**
 * Starts one isolated lab: internal Docker networks (outside, DMZ, management, and the LAN when a
 * host sits there), the hosts on them, the VXLAN overlay that gives every host its real lab address
 * end to end, and the shipper. Everything carries the run's labels and is registered with the
 * teardown as it appears.
 */
export async function startLab(options: LabOptions): Promise<StartedLab> {
  const { runId, scenarioId, plan, teardown } = options;
  const labels = (role: string) => runLabels(runId, { [LABEL_SCENARIO]: scenarioId, [LABEL_ROLE]: role });
  const prefix = `scanproof-${runId}-${scenarioId}`.slice(0, 60);

  const networks = await task("Create lab networks", () =>
    createNetworks(prefix, plan.lan, labels("network"), teardown),
  );
  const logDir = join(options.workDir, "logs");
  const sensorDir = (...parts: string[]) => {
    const dir = join(logDir, ...parts);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    return dir;
  };

  const sensorStops: (() => Promise<void>)[] = [];
  const running = new Map<string, StartedTestContainer>();
  const start = async (
    image: LabImage,
    name: string,
    role: HostRole,
    configure: (c: LabContainer) => LabContainer,
  ) => {
    const container = await configure(
      new LabContainer(await builtLabImage(image)).withName(`${prefix}-${name}`).withLabels(labels(role)),
    ).start();
    running.set(name, container);
    const stop = once(async () => {
      running.delete(name);
      await container.stop({ timeout: GRACEFUL_STOP_MS[role] });
    });
    if (role === "sensor") sensorStops.push(stop);
    teardown.defer(`stop ${name}`, stop);
    return container;
  };

  const names = [...plan.hosts.map((h) => h.name), "firewall", ...plan.targets.map((t) => t.name)];
  const hosts = await task(`Start lab hosts (${names.join(", ")})`, async () => {
    const firewall = await start("firewall", "firewall", "firewall", (c) =>
      c
        .withNetworkMode(networks.outside)
        .withAddedCapabilities("NET_ADMIN")
        .withSysctls({ "net.ipv4.ip_forward": "1" })
        .withBindMounts([{ source: sensorDir("firewall"), target: "/var/log/scanproof", mode: "rw" }]),
    );
    await docker().getNetwork(networks.dmz).connect({ Container: firewall.getId() });
    if (plan.lan) await docker().getNetwork(networks.lan).connect({ Container: firewall.getId() });
    const natRouter = plan.nat
      ? await start("attacker", "nat-router", "router", (c) =>
          c.withNetworkMode(networks.outside).withSysctls({ "net.ipv4.ip_forward": "1" }),
        )
      : undefined;
    const sources = await Promise.all(
      plan.hosts.map(async (h) => {
        const container = await start("attacker", h.name, h.role, (c) => {
          const placed = c.withNetworkMode(networks[UNDERLAY[h.network]]);
          return RAW_SOCKET_ROLES.includes(h.role) ? placed.withAddedCapabilities("NET_RAW") : placed;
        });
        return { plan: h, container };
      }),
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
    return { firewall, natRouter, sources, targets };
  });

  await task("Wire the VXLAN overlay", async () => {
    const underlay = async (c: StartedTestContainer, network: NetworkName) => {
      const info = await docker().getContainer(c.getId()).inspect();
      const address = info.NetworkSettings.Networks[networks[network]]?.IPAddress;
      if (!address) throw new ScanproofError(`${c.getName()} has no address on ${networks[network]}.`);
      return address;
    };
    const sources = await Promise.all(
      hosts.sources.map(async (s) => ({
        ...s,
        underlay: await underlay(s.container, UNDERLAY[s.plan.network]),
      })),
    );
    const on = (network: SegmentName) => sources.filter((s) => s.plan.network === network);
    const targets = await Promise.all(
      hosts.targets.map(async (t) => ({ ...t, underlay: await underlay(t.container, "dmz") })),
    );
    const fw = {
      outside: await underlay(hosts.firewall, "outside"),
      dmz: await underlay(hosts.firewall, "dmz"),
      lan: plan.lan ? await underlay(hosts.firewall, "lan") : "",
    };
    const router = hosts.natRouter && {
      container: hosts.natRouter,
      underlay: await underlay(hosts.natRouter, "outside"),
    };
    const { outside, dmz, lan, nat } = SEGMENTS;
    const outsideSenders = [
      ...on("outside").map((s) => ({
        container: s.container,
        underlay: s.underlay,
        address: s.plan.address,
      })),
      ...(router ? [{ ...router, address: OUTSIDE.natRouter }] : []),
    ];
    const links: OverlayLink[] = [
      {
        host: hosts.firewall,
        segment: outside,
        local: fw.outside,
        address: plan.firewall.outside,
        remotes: outsideSenders.map((s) => s.underlay),
      },
      {
        host: hosts.firewall,
        segment: dmz,
        local: fw.dmz,
        address: plan.firewall.dmz,
        remotes: targets.map((t) => t.underlay),
      },
      ...(plan.lan
        ? [
            {
              host: hosts.firewall,
              segment: lan,
              local: fw.lan,
              address: plan.firewall.lan,
              remotes: on("lan").map((s) => s.underlay),
            },
          ]
        : []),
      ...outsideSenders.map((s) => ({
        host: s.container,
        segment: outside,
        local: s.underlay,
        address: s.address,
        remotes: [fw.outside],
        route: { to: [dmz.subnet], via: plan.firewall.outside },
      })),
      ...on("lan").map((s) => ({
        host: s.container,
        segment: lan,
        local: s.underlay,
        address: s.plan.address,
        remotes: [fw.lan],
        route: { to: [dmz.subnet, outside.subnet], via: plan.firewall.lan },
      })),
      ...targets.map((t) => ({
        host: t.container,
        segment: dmz,
        local: t.underlay,
        address: t.plan.address,
        remotes: [fw.dmz],
        route: { to: [outside.subnet, ...(plan.lan ? [lan.subnet] : [])], via: plan.firewall.dmz },
      })),
      ...(router
        ? [
            {
              host: router.container,
              segment: nat,
              local: router.underlay,
              address: nat.router,
              remotes: on("nat").map((s) => s.underlay),
            },
            ...on("nat").map((s) => ({
              host: s.container,
              segment: nat,
              local: s.underlay,
              address: s.plan.address,
              remotes: [router.underlay],
              route: { to: [dmz.subnet, outside.subnet], via: nat.router },
            })),
          ]
        : []),
    ];
    await Promise.all(links.map((l) => runNetkit(l.host, overlayLinkArgs(l), labels("netkit"))));
    if (router)
      await runNetkit(router.container, ["masquerade", nat.subnet, outside.interface], labels("netkit"));
  });

  const guards = await task("Start the egress filters of the traffic sources", () =>
    startEgressGuards(
      [
        ...hosts.sources.map((s) => ({ name: s.plan.name, container: s.container })),
        ...(hosts.natRouter ? [{ name: "nat-router", container: hosts.natRouter }] : []),
      ],
      labSubnets(plan),
      (name, configure) => start("netkit", name, "guard", configure),
    ),
  );

  const captureInterfaces = [SEGMENTS.outside.interface, ...(plan.lan ? [SEGMENTS.lan.interface] : [])].join(
    ",",
  );
  let ids: StartedTestContainer | undefined;
  if (options.sensors.includes("ids")) {
    ids = await task("Start the IDS (Suricata on the firewall's outside and LAN links)", () =>
      start("ids", "ids", "sensor", (c) =>
        c
          .withNetworkMode(`container:${hosts.firewall.getId()}`)
          .withAddedCapabilities("NET_ADMIN", "NET_RAW", "SYS_NICE")
          .withEnvironment({
            SCANPROOF_IDS_INTERFACES: captureInterfaces,
            SCANPROOF_HOME_NET: `[${DMZ.subnet}]`,
          })
          .withBindMounts([{ source: sensorDir("ids"), target: "/var/log/scanproof", mode: "rw" }])
          .withWaitStrategy(Wait.forLogMessage(/Engine started\./))
          .withStartupTimeout(40_000),
      ),
    );
  }

  if (options.sensors.includes("flow")) {
    await task("Start NetFlow (softflowd → IPFIX → nfcapd on the firewall's outside and LAN links)", () =>
      start("flow", "flow", "sensor", (c) =>
        c
          .withNetworkMode(`container:${hosts.firewall.getId()}`)
          .withAddedCapabilities("NET_RAW")
          .withEnvironment({ FLOW_INTERFACES: captureInterfaces })
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
          SCANPROOF_ES_HTTPS: route.tls ? "on" : "off",
          SCANPROOF_RUN_ID: runId,
          SCANPROOF_SCENARIO_ID: scenarioId,
        })
        .withCopyContentToContainer(shipperSecrets(route))
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

  const host = (name: string, role: HostRole, container: StartedTestContainer, address: string): LabHost => ({
    name,
    role,
    container,
    address,
  });
  const firewall = host("firewall", "firewall", hosts.firewall, plan.firewall.outside);
  const natRouter = hosts.natRouter && host("nat-router", "router", hosts.natRouter, OUTSIDE.natRouter);
  const sources = new Map(
    hosts.sources.map((s): [string, SourceHost] => [
      s.plan.name,
      {
        ...host(s.plan.name, s.plan.role, s.container, s.plan.address),
        plan: s.plan,
        uplink: {
          interface: SEGMENTS[s.plan.network].interface,
          router: s.plan.network === "nat" && natRouter ? natRouter : firewall,
        },
      },
    ]),
  );
  const sourceHost = (name: string): SourceHost => {
    const found = sources.get(name);
    if (!found)
      throw new ScanproofError(
        `"${name}" is not a traffic source of this lab (${[...sources.keys()].join(", ")}).`,
      );
    return found;
  };
  const assertAlive = async () => {
    const ended = await Promise.all(
      [...running].map(async ([name, container]) => {
        const { State } = await docker().getContainer(container.getId()).inspect();
        if (State.Running) return undefined;
        const how = State.OOMKilled ? "killed for lack of memory" : `exit code ${State.ExitCode}`;
        return `${name} (${how}, at ${State.FinishedAt})`;
      }),
    );
    const dead = ended.filter((e) => e !== undefined);
    if (dead.length > 0)
      throw new ScanproofError(
        `Lab host${dead.length > 1 ? "s" : ""} stopped mid-scenario: ${dead.join("; ")}. What the lab logged since is no evidence either way.`,
        "Read the host's log with `docker logs` (run with --keep-lab to keep the lab), then run the scenario again.",
      );
  };
  return {
    runId,
    scenarioId,
    plan,
    logDir,
    subnets: labSubnets(plan),
    attacker: sourceHost("attacker"),
    firewall,
    natRouter,
    targets: new Map(
      hosts.targets.map((t) => [t.plan.name, host(t.plan.name, "target", t.container, t.plan.address)]),
    ),
    ...(ids ? { ids: host("ids", "sensor", ids, plan.firewall.outside) } : {}),
    hosts: sources,
    host: sourceHost,
    async quiesce() {
      await Promise.all(sensorStops.map((stop) => stop()));
    },
    assertAlive,
    async whileAlive(work) {
      const ids = [...running.values()].map((c) => c.getId());
      const events = (await docker().getEvents({
        filters: { container: ids, event: ["die", "oom"] },
      })) as NodeJS.ReadableStream & { destroy(): void };
      const died = new Promise<never>((_, reject) => {
        events.once("data", () => {
          assertAlive().then(() => reject(new ScanproofError("A lab host stopped mid-scenario.")), reject);
        });
      });
      died.catch(() => undefined);
      try {
        return await Promise.race([work(), died]);
      } finally {
        events.destroy();
      }
    },
    egressDrops: () => readEgressDrops(guards),
    async exec(h, command) {
      const result = await h.container.exec([...command]);
      return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

/**
 * The CA and credentials the shipper needs, as files copied into its container before it starts:
 * never in its environment, where `docker inspect` would show them.
 */
function shipperSecrets(route: ShipperRoute): { content: string; target: string; mode: number }[] {
  const file = (name: string, content: string) => ({
    content,
    target: `/run/secrets/scanproof/${name}`,
    mode: 0o600,
  });
  return [
    ...(route.tls ? [file("es-ca.pem", route.tls.ca)] : []),
    ...(route.credentials
      ? [file("es-username", route.credentials.username), file("es-password", route.credentials.password)]
      : []),
  ];
}

async function createNetworks(
  prefix: string,
  withLan: boolean,
  labels: Record<string, string>,
  teardown: Teardown,
): Promise<Record<NetworkName, string>> {
  const names: Record<NetworkName, string> = {
    outside: `${prefix}-outside`,
    dmz: `${prefix}-dmz`,
    lan: `${prefix}-lan`,
    mgmt: `${prefix}-mgmt`,
  };
  for (const [key, name] of Object.entries(names)) {
    if (key === "lan" && !withLan) continue;
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

interface OverlayLink {
  readonly host: StartedTestContainer;
  readonly segment: Segment;
  /** The host's address on the segment's Docker network, which carries the VXLAN packets. */
  readonly local: string;
  readonly address: string;
  readonly remotes: readonly string[];
  readonly route?: { readonly to: readonly string[]; readonly via: string };
}

function overlayLinkArgs(l: OverlayLink): string[] {
  return [
    "overlay-link",
    l.segment.interface,
    String(l.segment.vni),
    l.local,
    `${l.address}/${l.segment.prefix}`,
    l.remotes.join(","),
    ...(l.route ? [l.route.to.join(","), l.route.via] : []),
  ];
}

/**
 * Runs a netkit helper command in a host's network namespace with NET_ADMIN, then removes it. The
 * helper learns the Docker host's own address on each of the host's networks (the bridges'
 * gateways), which overlay-link makes unreachable.
 */
async function runNetkit(
  host: StartedTestContainer,
  args: readonly string[],
  labels: Record<string, string>,
): Promise<void> {
  const { NetworkSettings } = await docker().getContainer(host.getId()).inspect();
  const dockerHost = Object.values(NetworkSettings.Networks)
    .map((n) => n.Gateway)
    .filter(Boolean);
  const helper = await docker().createContainer({
    Image: await builtLabImage("netkit"),
    Cmd: [...args],
    Env: [`UNDERLAY_HOSTS=${dockerHost.join(",")}`],
    Labels: labels,
    HostConfig: { NetworkMode: `container:${host.getId()}`, CapAdd: ["NET_ADMIN"], CapDrop: ["NET_RAW"] },
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
