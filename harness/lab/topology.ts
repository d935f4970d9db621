import type { LogSourceName, TargetSpec } from "../scenario/schema.js";

/**
 * Every lab has the same shape: an attacker on the outside overlay, a logging firewall/router, and
 * the scenario's targets on the DMZ overlay. Overlay addresses live only inside each lab's own
 * network namespaces (VXLAN over that lab's internal Docker networks), so parallel labs reuse them.
 * The outside range is 198.18.0.0/24 (RFC 2544 benchmarking): not RFC 1918, so the attacker is an
 * external source to every detection and escalation rule.
 */
export const OUTSIDE = {
  subnet: "198.18.0.0/24",
  prefix: 24,
  firewall: "198.18.0.1",
  attacker: "198.18.0.10",
  vni: 100,
};
export const DMZ = { subnet: "10.20.0.0/24", prefix: 24, firewall: "10.20.0.1", firstTarget: 10, vni: 200 };
export const OUTSIDE_INTERFACE = "vx-out";
export const DMZ_INTERFACE = "vx-dmz";

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

export interface LabPlan {
  readonly attacker: string;
  readonly firewall: { readonly outside: string; readonly dmz: string };
  readonly targets: readonly PlannedTarget[];
}

export function planLab(spec: { readonly lab: { readonly targets: readonly TargetSpec[] } }): LabPlan {
  let next = DMZ.firstTarget;
  const dmzBase = DMZ.subnet.split(".").slice(0, 3).join(".");
  return {
    attacker: OUTSIDE.attacker,
    firewall: { outside: OUTSIDE.firewall, dmz: DMZ.firewall },
    targets: spec.lab.targets.map((t) => ({
      name: t.name,
      kind: t.kind,
      address: t.address ?? `${dmzBase}.${next++}`,
      services: SERVICES_BY_KIND[t.kind],
    })),
  };
}
