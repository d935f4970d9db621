/** The lab's address plan, which scenarios are written against and every lab is built from. */

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

/** Host numbers a scenario may not take on a segment: routers, the attacker, masscan's waker (.254). */
export const RESERVED_HOST_NUMBERS: Readonly<Record<SegmentName, readonly number[]>> = {
  outside: [1, 2, 10, 254],
  dmz: [1, 254],
  lan: [1, 254],
  nat: [1, 254],
};
/** Names every lab has, or has as soon as a host sits behind NAT. */
export const RESERVED_NAMES = ["attacker", "firewall", "nat-router"] as const;
