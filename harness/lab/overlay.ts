import type { StartedTestContainer } from "testcontainers";
import { docker } from "../docker/client.js";
import { ScanproofError } from "../core/errors.js";
import { OUTSIDE, SEGMENTS, type Segment, type SegmentName } from "./segments.js";
import { builtLabImage } from "../setup/lab-images.js";
import type { LabHosts } from "./hosts.js";
import { UNDERLAY, type NetworkName } from "./networks.js";
import type { LabPlan, PlannedHost, PlannedTarget } from "./topology.js";

/** One end of a point-to-point VXLAN link: the host, its lab address on the segment, its peers. */
export interface OverlayLink<H> {
  readonly host: H;
  readonly segment: Segment;
  /** The host's address on the segment's Docker network, which carries the VXLAN packets. */
  readonly local: string;
  readonly address: string;
  readonly remotes: readonly string[];
  readonly route?: { readonly to: readonly string[]; readonly via: string };
}

/** Every lab host with its address on the Docker network under each segment it joins. */
export interface Underlays<H> {
  readonly firewall: {
    readonly host: H;
    readonly outside: string;
    readonly dmz: string;
    readonly lan: string;
  };
  readonly natRouter?: { readonly host: H; readonly underlay: string };
  readonly sources: readonly { readonly host: H; readonly plan: PlannedHost; readonly underlay: string }[];
  readonly targets: readonly { readonly host: H; readonly plan: PlannedTarget; readonly underlay: string }[];
}

/**
 * The overlay as links: the firewall routes between the outside, the DMZ and the LAN; outside and
 * LAN sources reach the DMZ through it, targets answer through it, hosts on the LAN (sources and
 * targets) also reach each other directly as on one switch, and hosts behind NAT go through the NAT
 * router, which appears outside as one address. Pure: which link each host gets depends
 * only on the plan and the underlay addresses.
 */
export function overlayLinks<H>(plan: LabPlan, u: Underlays<H>): OverlayLink<H>[] {
  const { outside, dmz, lan, nat } = SEGMENTS;
  const on = (network: SegmentName) => u.sources.filter((s) => s.plan.network === network);
  const targetsOn = (network: "dmz" | "lan") => u.targets.filter((t) => t.plan.network === network);
  const outsideSenders = [
    ...on("outside").map((s) => ({ host: s.host, underlay: s.underlay, address: s.plan.address })),
    ...(u.natRouter ? [{ ...u.natRouter, address: OUTSIDE.natRouter }] : []),
  ];
  const fw = u.firewall;
  const router = u.natRouter;
  return [
    {
      host: fw.host,
      segment: outside,
      local: fw.outside,
      address: plan.firewall.outside,
      remotes: outsideSenders.map((s) => s.underlay),
    },
    {
      host: fw.host,
      segment: dmz,
      local: fw.dmz,
      address: plan.firewall.dmz,
      remotes: targetsOn("dmz").map((t) => t.underlay),
    },
    ...(plan.lan
      ? [
          {
            host: fw.host,
            segment: lan,
            local: fw.lan,
            address: plan.firewall.lan,
            remotes: [...on("lan"), ...targetsOn("lan")].map((s) => s.underlay),
          },
        ]
      : []),
    ...outsideSenders.map((s) => ({
      host: s.host,
      segment: outside,
      local: s.underlay,
      address: s.address,
      remotes: [fw.outside],
      route: { to: [dmz.subnet], via: plan.firewall.outside },
    })),
    ...on("lan").map((s) => ({
      host: s.host,
      segment: lan,
      local: s.underlay,
      address: s.plan.address,
      remotes: [fw.lan, ...targetsOn("lan").map((t) => t.underlay)],
      route: { to: [dmz.subnet, outside.subnet], via: plan.firewall.lan },
    })),
    ...targetsOn("dmz").map((t) => ({
      host: t.host,
      segment: dmz,
      local: t.underlay,
      address: t.plan.address,
      remotes: [fw.dmz],
      route: { to: [outside.subnet, ...(plan.lan ? [lan.subnet] : [])], via: plan.firewall.dmz },
    })),
    ...targetsOn("lan").map((t) => ({
      host: t.host,
      segment: lan,
      local: t.underlay,
      address: t.plan.address,
      remotes: [fw.lan, ...[...on("lan"), ...targetsOn("lan")].filter((o) => o !== t).map((o) => o.underlay)],
      route: { to: [dmz.subnet, outside.subnet], via: plan.firewall.lan },
    })),
    ...(router
      ? [
          {
            host: router.host,
            segment: nat,
            local: router.underlay,
            address: nat.router,
            remotes: on("nat").map((s) => s.underlay),
          },
          ...on("nat").map((s) => ({
            host: s.host,
            segment: nat,
            local: s.underlay,
            address: s.plan.address,
            remotes: [router.underlay],
            route: { to: [dmz.subnet, outside.subnet], via: nat.router },
          })),
        ]
      : []),
  ];
}

export function overlayLinkArgs(l: OverlayLink<unknown>): string[] {
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

/** Gives every host its real lab address end to end: the links in each host's namespace, then NAT. */
export async function wireOverlay(
  plan: LabPlan,
  networks: Record<NetworkName, string>,
  hosts: LabHosts,
  labels: Record<string, string>,
): Promise<void> {
  const underlay = async (c: StartedTestContainer, network: NetworkName) => {
    const info = await docker().getContainer(c.getId()).inspect();
    const address = info.NetworkSettings.Networks[networks[network]]?.IPAddress;
    if (!address) throw new ScanproofError(`${c.getName()} has no address on ${networks[network]}.`);
    return address;
  };
  const underlays: Underlays<StartedTestContainer> = {
    firewall: {
      host: hosts.firewall,
      outside: await underlay(hosts.firewall, "outside"),
      dmz: await underlay(hosts.firewall, "dmz"),
      lan: plan.lan ? await underlay(hosts.firewall, "lan") : "",
    },
    ...(hosts.natRouter
      ? { natRouter: { host: hosts.natRouter, underlay: await underlay(hosts.natRouter, "outside") } }
      : {}),
    sources: await Promise.all(
      hosts.sources.map(async (s) => ({
        host: s.container,
        plan: s.plan,
        underlay: await underlay(s.container, UNDERLAY[s.plan.network]),
      })),
    ),
    targets: await Promise.all(
      hosts.targets.map(async (t) => ({
        host: t.container,
        plan: t.plan,
        underlay: await underlay(t.container, t.plan.network),
      })),
    ),
  };
  const links = overlayLinks(plan, underlays);
  await Promise.all(links.map((l) => runNetkit(l.host, overlayLinkArgs(l), labels)));
  if (hosts.natRouter)
    await runNetkit(hosts.natRouter, ["masquerade", SEGMENTS.nat.subnet, SEGMENTS.outside.interface], labels);
}

/**
 * Runs a netkit helper command in a host's network namespace with NET_ADMIN, then removes it. The
 * helper learns the Docker host's own address on each of the host's networks (the bridges'
 * gateways), which overlay-link makes unreachable.
 */
export async function runNetkit(
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
