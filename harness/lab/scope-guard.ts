import ipaddr from "ipaddr.js";
import { ScanproofError } from "../errors.js";

/**
 * Refuses any probe target outside the run's own lab networks. Every address, range or name a
 * step could send to goes through `check` before the scanner starts; nothing is sent otherwise.
 */
export class ScopeGuard {
  private readonly ranges: [ipaddr.IPv4, number][];

  constructor(
    subnets: readonly string[],
    private readonly names: ReadonlyMap<string, string> = new Map(),
  ) {
    this.ranges = subnets.map((s) => {
      const [address, bits] = ipaddr.parseCIDR(s);
      if (address.kind() !== "ipv4") throw new ScanproofError(`Lab subnet ${s} is not IPv4.`);
      return [address as ipaddr.IPv4, bits];
    });
  }

  /** Resolves a lab host name, address or CIDR to what the scanner may be given, or throws. */
  resolve(target: string, where: string): string {
    const named = this.names.get(target);
    if (named) return named;
    if (ipaddr.IPv4.isValidFourPartDecimal(target)) {
      if (this.contains(ipaddr.IPv4.parse(target), 32)) return target;
      throw this.refusal(target, where);
    }
    if (target.includes("/") && ipaddr.isValidCIDR(target)) {
      const [address, bits] = ipaddr.parseCIDR(target);
      if (address.kind() === "ipv4" && this.contains(address as ipaddr.IPv4, bits)) return target;
      throw this.refusal(target, where);
    }
    throw new ScanproofError(
      `${where}: "${target}" is neither a lab host name (${[...this.names.keys()].join(", ")}) nor an IPv4 address or CIDR.`,
      "Name a target host of the scenario's lab, or an address inside the lab's networks.",
    );
  }

  /**
   * Checks an address a tool option carries (a decoy, a zombie, a DNS server): a literal lab
   * address only, since the tool would resolve a name itself, outside the guard's sight.
   */
  address(value: string, where: string): string {
    const named = this.names.get(value);
    if (named)
      throw new ScanproofError(
        `${where}: "${value}" is a lab host name; name its address (${named}) here, since the tool would resolve a name itself.`,
      );
    if (!ipaddr.IPv4.isValidFourPartDecimal(value))
      throw new ScanproofError(
        `${where}: "${value}" is not an IPv4 address; refusing to send anything.`,
        "Name an address inside the lab's networks.",
      );
    return this.resolve(value, where);
  }

  private contains(address: ipaddr.IPv4, bits: number): boolean {
    return this.ranges.some(
      ([network, networkBits]) => bits >= networkBits && address.match(network, networkBits),
    );
  }

  private refusal(target: string, where: string): ScanproofError {
    return new ScanproofError(
      `${where}: refusing to probe ${target}: it is outside this run's lab networks (${this.ranges
        .map(([a, b]) => `${a.toString()}/${b}`)
        .join(", ")}). Nothing was sent.`,
      "scanproof only ever scans the lab it created; aim the step at a lab host.",
    );
  }
}
