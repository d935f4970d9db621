import type { HostSpec, TargetSpec } from "./spec.js";
import type { LogSourceName } from "../core/vocabulary.js";
import { OUTSIDE, RESERVED_HOST_NUMBERS, SEGMENTS, type SegmentName } from "./segments.js";

export interface Service {
  readonly port: number;
  readonly transport: "tcp" | "udp";
  readonly name: string;
}

const SERVICES_BY_KIND: Record<TargetSpec["kind"], readonly Service[]> = {
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
  /** The Dockerfile of its own image, when it is not the attacker image. */
  readonly build?: string;
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
      ...(h.build === undefined ? {} : { build: h.build }),
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
