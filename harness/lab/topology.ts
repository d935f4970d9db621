import type { HostSpec, LabTarget, PortTransport, TargetSpec } from "./spec.js";
import { defaultServices } from "./spec.js";
import { OUTSIDE, RESERVED_HOST_NUMBERS, SEGMENTS, type SegmentName } from "./segments.js";
import { BUILTIN_KINDS, type BuiltinKind, type Service } from "./target-kinds.js";

export type { Service } from "./target-kinds.js";

/** How a target's container is made: a built-in kind's lab image, or the scenario's own Dockerfile. */
export type TargetImage =
  | { readonly kind: BuiltinKind }
  | { readonly kind: "custom"; readonly dockerfile: string };

/** When a target counts as started: the ports listening, or a command exiting 0. */
export type TargetReadiness =
  | { readonly listening: readonly PortTransport[] }
  | { readonly command: readonly string[] };

export interface PlannedTarget {
  readonly name: string;
  readonly kind: TargetSpec["kind"];
  readonly image: TargetImage;
  readonly network: TargetSpec["network"];
  readonly address: string;
  /** Where each service listens, after the target's `ports:` moves. */
  readonly services: readonly Service[];
  /** `SCANPROOF_PORT_<default>=<port>` for every moved service of a built-in kind. */
  readonly portMoves: Readonly<Record<string, number>>;
  /** Ports the target's own filter drops. */
  readonly filtered: readonly PortTransport[];
  readonly ready: TargetReadiness;
  /** A custom target's criticality for the asset inventory (built-in kinds are listed in the context). */
  readonly criticality?: "critical" | "high" | "medium" | "low";
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
  /** Whether the lab needs its LAN segment (a source or a target there), and a NAT router with its segment. */
  readonly lan: boolean;
  readonly nat: boolean;
}

interface LabSpec {
  readonly lab: { readonly targets: readonly LabTarget[]; readonly hosts?: readonly HostSpec[] };
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
    targets: spec.lab.targets.map((t) => planTarget(t, t.address ?? next[t.network ?? "dmz"]())),
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
    lan: planned.some((h) => h.network === "lan") || spec.lab.targets.some((t) => t.network === "lan"),
    nat: planned.some((h) => h.network === "nat"),
  };
}

function planTarget(t: LabTarget, address: string): PlannedTarget {
  const network = t.network ?? "dmz";
  const placed = { name: t.name, kind: t.kind, network, address, filtered: t.filtered ?? [] };
  if (t.kind === "custom") {
    const services = t.ports.map((p) => ({ ...p, name: "unknown" }));
    return {
      ...placed,
      image: { kind: "custom", dockerfile: t.build },
      services,
      portMoves: {},
      ready:
        t.ready === undefined
          ? { listening: t.ports }
          : "port" in t.ready
            ? { listening: [t.ready.port] }
            : { command: t.ready.command },
      criticality: t.criticality ?? "medium",
    };
  }
  const moves = t.ports ?? {};
  const moved = defaultServices(t.kind, moves);
  const services = BUILTIN_KINDS[t.kind].services.map((s, i) => ({ ...s, port: moved[i]?.port ?? s.port }));
  return {
    ...placed,
    image: { kind: t.kind },
    services,
    portMoves: moves,
    ready: { listening: services },
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
