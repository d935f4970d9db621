import "../docker/testcontainers-env.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { StartedTestContainer } from "testcontainers";
import { ScanproofError } from "../core/errors.js";
import { task } from "../core/progress.js";
import { waitFor } from "../core/wait.js";
import { OUTSIDE, SEGMENTS } from "./segments.js";
import { LabContainers, LogFolders } from "./containers.js";
import { readEgressDrops, startEgressGuards, withEgressNarrowed } from "./egress-guard.js";
import { startHosts, type LabHosts } from "./hosts.js";
import { assertAlive, whileAlive } from "./liveness.js";
import { createNetworks } from "./networks.js";
import { wireOverlay } from "./overlay.js";
import { startSensors } from "./sensors.js";
import { startCapture, startWireCaptures } from "./wire-capture.js";
import { startShipper } from "./shipper.js";
import { filterTargetPorts, trustLabCas } from "./target-hardening.js";
import type { HostRole, LabHost, LabOptions, SourceHost, StartedLab } from "./started-lab.js";
import { labSubnets, type LabPlan } from "./topology.js";

/**
 * Starts one isolated lab: internal Docker networks (outside, DMZ, management, and the LAN when a
 * host sits there), the hosts on them, the VXLAN overlay that gives every host its real lab address
 * end to end, the targets' own port filters, the lab CA in every traffic source, the egress filters,
 * the sensors the scenario switches on, and the shipper. Everything
 * carries the run's labels and is registered with the teardown as it appears.
 */
export async function startLab(options: LabOptions): Promise<StartedLab> {
  const { runId, scenarioId, plan, teardown } = options;
  const containers = new LabContainers(runId, scenarioId, teardown);
  const networks = await task("Create lab networks", () =>
    createNetworks(containers.prefix, plan.lan, containers.labels("network"), teardown),
  );
  const logs = new LogFolders(join(options.workDir, "logs"));
  const names = [...plan.hosts.map((h) => h.name), "firewall", ...plan.targets.map((t) => t.name)];
  const hosts = await task(`Start lab hosts (${names.join(", ")})`, () =>
    startHosts(plan, networks, containers, logs),
  );
  await task("Wire the VXLAN overlay", () => wireOverlay(plan, networks, hosts, containers.labels("netkit")));
  if (plan.targets.some((t) => t.filtered.length > 0))
    await task("Filter the targets' listed ports", () =>
      filterTargetPorts(hosts.targets, containers.labels("netkit")),
    );
  if (plan.targets.some((t) => t.image.kind === "https"))
    await task("Trust the lab CA of the https targets in every traffic source", () =>
      trustLabCas(plan.targets, (name) => logs.folder("targets", name), [
        ...hosts.sources.map((s) => s.container),
        ...(hosts.natRouter ? [hosts.natRouter] : []),
      ]),
    );
  const guards = await task("Start the egress filters of the traffic sources and custom targets", () =>
    startEgressGuards(
      [
        ...hosts.sources.map((s) => ({ name: s.plan.name, container: s.container })),
        ...(hosts.natRouter ? [{ name: "nat-router", container: hosts.natRouter }] : []),
        // A scenario's own target image runs the user's code: it may answer the lab, and reach nothing else.
        ...hosts.targets
          .filter((t) => t.plan.image.kind === "custom")
          .map((t) => ({ name: t.plan.name, container: t.container })),
      ],
      labSubnets(plan),
      (name, configure) => containers.start("netkit", name, "guard", configure),
    ),
  );
  const wireFolder = new LogFolders(join(options.workDir, "wire")).folder();
  /** A lab that runs the same steps again (the entries of a history) keeps every capture. */
  const captureNames = new Map<string, number>();
  const captures = await task("Start the packet captures of the traffic sources", () =>
    startWireCaptures(
      hosts.sources.map((s) => ({ name: s.plan.name, container: s.container })),
      wireFolder,
      (name, configure) => containers.start("netkit", name, "capture", configure),
    ),
  );
  const sensors = await startSensors(options.sensors, plan, hosts, containers, logs);
  await task("Start the shipper", () =>
    startShipper(
      { runId, scenarioId, backend: options.backend, logDir: logs.root },
      networks,
      containers,
      teardown,
    ),
  );
  await waitFor(
    "the firewall's log file",
    () => existsSync(join(logs.root, "firewall", "firewall.json")),
    15_000,
  );

  const [ids] = sensors.get("ids") ?? [];
  return {
    runId,
    scenarioId,
    plan,
    logDir: logs.root,
    subnets: labSubnets(plan),
    ...labHosts(plan, hosts),
    ...(ids ? { ids: host("ids", "sensor", ids, plan.firewall.outside) } : {}),
    quiesce: () => containers.stopSensors(),
    stop: () => teardown.run(),
    assertAlive: () => assertAlive(containers.running),
    whileAlive: (work) => whileAlive(containers.running, work),
    egressDrops: () => readEgressDrops(guards),
    withEgressNarrowed(source, destinations, work) {
      const guard = guards.find((g) => g.source === source);
      if (!guard)
        throw new ScanproofError(`"${source}" has no egress filter: it is no traffic source of this lab.`);
      return withEgressNarrowed(guard, destinations, work);
    },
    async capture(source, name) {
      const sidecar = captures.get(source.name);
      if (!sidecar) throw new ScanproofError(`"${source.name}" has no packet capture in this lab.`);
      const taken = (captureNames.get(name) ?? 0) + 1;
      captureNames.set(name, taken);
      return startCapture(
        sidecar,
        wireFolder,
        taken === 1 ? name : `${name}-run-${taken}`,
        source.uplink.interface,
      );
    },
    async exec(h, command) {
      const result = await h.container.exec([...command]);
      return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

function host(name: string, role: HostRole, container: StartedTestContainer, address: string): LabHost {
  return { name, role, container, address };
}

/** The started hosts by the names and lab addresses steps and checks use. */
function labHosts(
  plan: LabPlan,
  hosts: LabHosts,
): Pick<StartedLab, "attacker" | "firewall" | "natRouter" | "targets" | "hosts" | "host"> {
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
  return {
    attacker: sourceHost("attacker"),
    firewall,
    natRouter,
    targets: new Map(
      hosts.targets.map((t) => [t.plan.name, host(t.plan.name, "target", t.container, t.plan.address)]),
    ),
    hosts: sources,
    host: sourceHost,
  };
}
