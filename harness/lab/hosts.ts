import type { StartedTestContainer } from "testcontainers";
import { docker } from "../docker/client.js";
import type { LabContainers, LogFolders } from "./containers.js";
import { UNDERLAY, type NetworkName } from "./networks.js";
import type { HostRole } from "./started-lab.js";
import { ensureScenarioImage } from "../setup/scenario-images.js";
import type { LabContainer } from "../docker/lab-container.js";
import { SOURCE_BY_KIND } from "./target-kinds.js";
import { awaitTargetReady } from "./target-readiness.js";
import type { LabPlan, PlannedHost, PlannedTarget } from "./topology.js";

/** Roles that may send raw packets; the others have none (LabContainer drops Docker's default NET_RAW), as a user's machine. */
export const RAW_SOCKET_ROLES: readonly HostRole[] = ["attacker", "scanner"];

/** The lab's hosts as started, before the overlay gives them their lab addresses. */
export interface LabHosts {
  readonly firewall: StartedTestContainer;
  readonly natRouter: StartedTestContainer | undefined;
  readonly sources: readonly { readonly plan: PlannedHost; readonly container: StartedTestContainer }[];
  readonly targets: readonly { readonly plan: PlannedTarget; readonly container: StartedTestContainer }[];
}

/**
 * Starts the firewall (on every segment's network, logging to its folder), the NAT router when a
 * host sits behind NAT, every traffic source on its segment's network, and every target on its
 * network with its service's log folder, each ready once it serves.
 */
export async function startHosts(
  plan: LabPlan,
  networks: Record<NetworkName, string>,
  containers: LabContainers,
  logs: LogFolders,
): Promise<LabHosts> {
  const firewall = await containers.start("firewall", "firewall", "firewall", (c) =>
    c
      .withNetworkMode(networks.outside)
      .withAddedCapabilities("NET_ADMIN")
      .withSysctls({ "net.ipv4.ip_forward": "1" })
      .withBindMounts([{ source: logs.folder("firewall"), target: "/var/log/scanproof", mode: "rw" }]),
  );
  await docker().getNetwork(networks.dmz).connect({ Container: firewall.getId() });
  if (plan.lan) await docker().getNetwork(networks.lan).connect({ Container: firewall.getId() });
  const natRouter = plan.nat
    ? await containers.start("attacker", "nat-router", "router", (c) =>
        c.withNetworkMode(networks.outside).withSysctls({ "net.ipv4.ip_forward": "1" }),
      )
    : undefined;
  const sources = await Promise.all(
    plan.hosts.map(async (h) => {
      const image = h.build
        ? { ref: await ensureScenarioImage(h.build, `lab.hosts "${h.name}" build`) }
        : "attacker";
      const container = await containers.start(image, h.name, h.role, (c) => {
        const own = h.build ? c.withEntrypoint(["sleep", "infinity"]).withCommand([]) : c;
        const placed = own.withNetworkMode(networks[UNDERLAY[h.network]]);
        return RAW_SOCKET_ROLES.includes(h.role) ? placed.withAddedCapabilities("NET_RAW") : placed;
      });
      return { plan: h, container };
    }),
  );
  const targets = await Promise.all(
    plan.targets.map(async (t) => {
      const container = await startTarget(t, networks, containers, logs);
      await awaitTargetReady(t, container);
      return { plan: t, container };
    }),
  );
  return { firewall, natRouter, sources, targets };
}

/**
 * A target's container: a built-in kind's lab image, told where its services listen and writing its
 * service's log into the run folder (a log source's folder when the shipper indexes it, otherwise
 * targets/<name>/), or the scenario's own image, built from its Dockerfile when its files changed.
 */
async function startTarget(
  t: PlannedTarget,
  networks: Record<NetworkName, string>,
  containers: LabContainers,
  logs: LogFolders,
): Promise<StartedTestContainer> {
  const env = {
    SCANPROOF_NAME: t.name,
    SCANPROOF_ADDRESS: t.address,
    ...Object.fromEntries(
      Object.entries(t.portMoves).map(([from, to]) => [`SCANPROOF_PORT_${from}`, String(to)]),
    ),
  };
  const placed = (c: LabContainer) => c.withNetworkMode(networks[t.network]).withEnvironment(env);
  const { image } = t;
  if (image.kind === "custom")
    return containers.startImage(
      await ensureScenarioImage(image.dockerfile, `lab.targets "${t.name}" build`),
      t.name,
      "target",
      placed,
    );
  const source = SOURCE_BY_KIND[image.kind];
  const folder = source ? logs.folder(source, t.name) : logs.folder("targets", t.name);
  return containers.start(image.kind, t.name, "target", (c) =>
    placed(c).withBindMounts([{ source: folder, target: "/var/log/scanproof", mode: "rw" }]),
  );
}
