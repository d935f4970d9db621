import type { HostSpec, LogSourceName, TargetSpec } from "../scenario/schema.js";

/**
 * One overlay segment: a /24 that exists only inside one lab's network namespaces (VXLAN over that
 * lab's own internal Docker network), so parallel labs reuse the same addresses without meeting.
 * `router` is the address of the host that routes for the segment; hosts are numbered from
 * `firstHost` upward.
 */
export interface Segment {
  readonly subnet: string;
  readonly prefix: number;
  readonly router: string;
  readonly firstHost: number;
  readonly vni: number;
  readonly interface: string;
}

function segment(base: string, vni: number, iface: string, firstHost: number): Segment {
  return { subnet: `${base}.0/24`, prefix: 24, router: `${base}.1`, firstHost, vni, interface: iface };
}

/**
 * The lab's networks. The outside range is 198.18.0.0/24 (RFC 2544 benchmarking): not RFC 1918, so
 * its hosts are external sources to every detection and escalation rule. The LAN is internal
 * (RFC 1918) and routed through the same logging firewall as the outside, so every sensor sees LAN
 * to DMZ traffic. Hosts "behind NAT" sit on their own segment whose router masquerades them to one
 * outside address, the way an office or carrier NAT shows many clients as one.
 */
export const SEGMENTS = {
  outside: segment("198.18.0", 100, "vx-out", 20),
  dmz: segment("10.20.0", 200, "vx-dmz", 10),
  lan: segment("10.30.0", 300, "vx-lan", 10),
  nat: segment("192.168.50", 400, "vx-nat", 10),
} as const;
export type SegmentName = keyof typeof SEGMENTS;

export const OUTSIDE = {
  subnet: SEGMENTS.outside.subnet,
  prefix: SEGMENTS.outside.prefix,
  firewall: SEGMENTS.outside.router,
  attacker: "198.18.0.10",
  /** The NAT router's own outside address: what sensors see for every host behind it. */
  natRouter: "198.18.0.2",
  vni: SEGMENTS.outside.vni,
};
export const DMZ = {
  subnet: SEGMENTS.dmz.subnet,
  prefix: SEGMENTS.dmz.prefix,
  firewall: SEGMENTS.dmz.router,
  firstTarget: SEGMENTS.dmz.firstHost,
  vni: SEGMENTS.dmz.vni,
};
export const LAN = { subnet: SEGMENTS.lan.subnet, firewall: SEGMENTS.lan.router };
export const OUTSIDE_INTERFACE = SEGMENTS.outside.interface;
export const DMZ_INTERFACE = SEGMENTS.dmz.interface;
export const LAN_INTERFACE = SEGMENTS.lan.interface;

/** Host numbers a scenario may not take on a segment: routers, the attacker, masscan's waker (.254). */
export const RESERVED_HOST_NUMBERS: Readonly<Record<SegmentName, readonly number[]>> = {
  outside: [1, 2, 10, 254],
  dmz: [1, 254],
  lan: [1, 254],
  nat: [1, 254],
};
/** Names every lab has, or has as soon as a host sits behind NAT. */
export const RESERVED_NAMES = ["attacker", "firewall", "nat-router"] as const;

export interface Service {
  readonly port: number;
  readonly transport: "tcp" | "udp";
  readonly name: string;
}

export const SERVICES_BY_KIND: Record<TargetSpec["kind"], readonly Service[]> = {
  web: [{ port: 80, transport: "tcp", name: "http" }],
  ssh: [{ port: 22, transport: "tcp", name: "ssh" }],
  dns: [
    { port: 53, transport: "udp", name: "domain" },
    { port: 53, transport: "tcp", name: "domain" },
  ],
};

/** The log source a target kind writes itself (a web server its access log, a DNS server its replies). */
export const SOURCE_BY_KIND: Partial<Record<TargetSpec["kind"], LogSourceName>> = { web: "web", dns: "dns" };

export interface PlannedTarget {
  readonly name: string;
  readonly kind: TargetSpec["kind"];
  readonly address: string;
  readonly services: readonly Service[];
}

/** A host that sends traffic: the attacker, or one of the scenario's `lab.hosts`. */
export interface PlannedHost {
  readonly name: string;
  readonly role: HostSpec["role"];
  readonly network: HostSpec["network"];
  readonly address: string;
  /** The source address the firewall and every sensor behind it see (the NAT router's for `nat`). */
  readonly seenAs: string;
}

export interface LabPlan {
  readonly attacker: string;
  readonly firewall: { readonly outside: string; readonly dmz: string; readonly lan: string };
  readonly targets: readonly PlannedTarget[];
  /** Every traffic source, the attacker first. */
  readonly hosts: readonly PlannedHost[];
  /** Whether the lab needs its LAN segment, and a NAT router with its segment. */
  readonly lan: boolean;
  readonly nat: boolean;
}

interface LabSpec {
  readonly lab: { readonly targets: readonly TargetSpec[]; readonly hosts?: readonly HostSpec[] };
}

/** Numbers hosts on a segment from `firstHost`, skipping reserved numbers and explicit addresses. */
function numberer(name: SegmentName, taken: ReadonlySet<string>): () => string {
  const seg = SEGMENTS[name];
  const base = seg.subnet.split(".").slice(0, 3).join(".");
  let next = seg.firstHost;
  return () => {
    for (;;) {
      const n = next++;
      const address = `${base}.${n}`;
      if (!taken.has(address) && !RESERVED_HOST_NUMBERS[name].includes(n)) return address;
    }
  };
}

export function planLab(spec: LabSpec): LabPlan {
  const hosts = spec.lab.hosts ?? [];
  const taken = new Set<string>(
    [...spec.lab.targets, ...hosts].flatMap((h) => (h.address === undefined ? [] : [h.address])),
  );
  const next: Record<SegmentName, () => string> = {
    outside: numberer("outside", taken),
    dmz: numberer("dmz", taken),
    lan: numberer("lan", taken),
    nat: numberer("nat", taken),
  };
  const planned = hosts.map((h): PlannedHost => {
    const address = h.address ?? next[h.network]();
    return {
      name: h.name,
      role: h.role,
      network: h.network,
      address,
      seenAs: h.network === "nat" ? OUTSIDE.natRouter : address,
    };
  });
  return {
    attacker: OUTSIDE.attacker,
    firewall: { outside: SEGMENTS.outside.router, dmz: SEGMENTS.dmz.router, lan: SEGMENTS.lan.router },
    targets: spec.lab.targets.map((t) => ({
      name: t.name,
      kind: t.kind,
      address: t.address ?? next.dmz(),
      services: SERVICES_BY_KIND[t.kind],
    })),
    hosts: [
      {
        name: "attacker",
        role: "attacker",
        network: "outside",
        address: OUTSIDE.attacker,
        seenAs: OUTSIDE.attacker,
      },
      ...planned,
    ],
    lan: planned.some((h) => h.network === "lan"),
    nat: planned.some((h) => h.network === "nat"),
  };
}

/** The overlay ranges a lab with this plan has: the only ones its steps may probe. */
export function labSubnets(plan: Pick<LabPlan, "lan" | "nat">): string[] {
  return [
    SEGMENTS.outside.subnet,
    SEGMENTS.dmz.subnet,
    ...(plan.lan ? [SEGMENTS.lan.subnet] : []),
    ...(plan.nat ? [SEGMENTS.nat.subnet] : []),
  ];
}

/** Every name a step may aim at, with its address: targets and traffic sources alike. */
export function labAddresses(plan: LabPlan): Map<string, string> {
  return new Map([
    ...plan.targets.map((t) => [t.name, t.address] as const),
    ...plan.hosts.map((h) => [h.name, h.address] as const),
  ]);
}
