import {
  cidrContains,
  formatCidr,
  formatIPv4,
  parseStrictIPv4,
  parseStrictRange,
  type Ipv4Cidr,
} from "../core/addresses.js";
import { ScanproofError } from "../core/errors.js";

function covers(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.prefix >= outer.prefix && cidrContains(outer, inner.network);
}

/** nmap's IPv4 target notation: octets, octet ranges and lists, `*`, and a prefix length. */
const NMAP_IPV4_NOTATION = /^[0-9.,*/-]+$/;

/**
 * Refuses any probe target outside the run's own lab networks. This is the first of three layers:
 * arguments are checked here before a tool starts; what nmap and masscan say they will scan is
 * checked against the same ranges (`listed`); and every traffic source's egress filter drops and
 * counts whatever still leaves for another address.
 */
export class ScopeGuard {
  private readonly ranges: readonly Ipv4Cidr[];

  constructor(
    subnets: readonly string[],
    private readonly names: ReadonlyMap<string, string> = new Map(),
  ) {
    this.ranges = subnets.map((s) => {
      const range = parseStrictRange(s);
      if (!range.ok) throw new ScanproofError(`Lab subnet ${s}: ${range.error}.`);
      return range.value;
    });
  }

  /** How many addresses the lab has: a tool that lists more would certainly leave it. */
  get size(): number {
    return this.ranges.reduce((n, r) => n + 2 ** (32 - r.prefix), 0);
  }

  /** A lab host name, address or CIDR (masscan's target): what the tool may be given, or throws. */
  range(target: string, where: string): string {
    const named = this.names.get(target);
    if (named) return named;
    const parsed = parseStrictRange(target);
    if (!parsed.ok) throw this.unreadable(target, where, parsed.error);
    if (!this.ranges.some((r) => covers(r, parsed.value))) throw this.refusal(target, where);
    return target;
  }

  /** One host: a lab host name or a single address, never a range (ffuf, nikto, DNS servers, …). */
  host(target: string, where: string): string {
    const named = this.names.get(target);
    if (named) return named;
    const parsed = parseStrictIPv4(target);
    if (!parsed.ok)
      throw this.unreadable(
        target,
        where,
        target.includes("/") ? "it is a range, and this names one host" : parsed.error,
      );
    if (!this.contains(parsed.value)) throw this.refusal(target, where);
    return target;
  }

  /**
   * An address a tool option carries (a decoy, a zombie, a DNS server): a literal lab address only,
   * since the tool would resolve a name itself, outside the guard's sight.
   */
  address(value: string, where: string): string {
    const named = this.names.get(value);
    if (named)
      throw new ScanproofError(
        `${where}: "${value}" is a lab host name; name its address (${named}) here, since the tool would resolve a name itself.`,
      );
    const parsed = parseStrictIPv4(value);
    if (!parsed.ok)
      throw new ScanproofError(
        `${where}: "${value}" is not an IPv4 address as the guard reads one (${parsed.error}); refusing to send anything.`,
        "Name an address inside the lab's networks.",
      );
    if (!this.contains(parsed.value)) throw this.refusal(value, where);
    return value;
  }

  /**
   * One of nmap's target specifications: a lab host name becomes its address; an address or CIDR in
   * strict notation is checked now; any other IPv4 notation of nmap's (ranges `10.20.0.10-12`,
   * lists, `*`) is passed on for `listed` to check what nmap expands it to. Host names outside the
   * lab are refused: nmap would resolve them through DNS.
   */
  nmapTarget(spec: string, where: string): string {
    const named = this.names.get(spec);
    if (named) return named;
    if (!NMAP_IPV4_NOTATION.test(spec))
      throw this.unreadable(spec, where, "it is no lab host name and no IPv4 target in nmap's notation");
    const strict = parseStrictRange(spec);
    if (strict.ok && !this.ranges.some((r) => covers(r, strict.value))) throw this.refusal(spec, where);
    return spec;
  }

  /** Checks every address a tool said it would scan (nmap -sL, masscan --echo). */
  listed(addresses: readonly string[], where: string, tool: string): void {
    const outside = addresses.filter((a) => {
      const parsed = parseStrictIPv4(a);
      return !parsed.ok || !this.contains(parsed.value);
    });
    if (outside.length > 0)
      throw new ScanproofError(
        `${where}: ${tool} would scan ${outside.length} address${outside.length === 1 ? "" : "es"} outside this run's lab networks (${this.describe()}): ${outside.slice(0, 5).join(", ")}${outside.length > 5 ? ", …" : ""}. Nothing was sent.`,
        "scanproof only ever scans the lab it created; aim the step at lab hosts.",
      );
  }

  /** Checks a contiguous range a tool said it would scan: both ends inside one lab network. */
  listedRange(first: number, last: number, where: string, tool: string): void {
    if (!this.ranges.some((r) => cidrContains(r, first) && cidrContains(r, last)))
      throw new ScanproofError(
        `${where}: ${tool} would scan ${formatIPv4(first)}-${formatIPv4(last)}, which is not inside one of this run's lab networks (${this.describe()}). Nothing was sent.`,
        "scanproof only ever scans the lab it created; aim the step at lab hosts.",
      );
  }

  private contains(address: number): boolean {
    return this.ranges.some((r) => cidrContains(r, address));
  }

  private describe(): string {
    return this.ranges.map(formatCidr).join(", ");
  }

  private unreadable(target: string, where: string, parseError: string): ScanproofError {
    const why = /^[a-z0-9.-]*[a-z][a-z0-9.-]*$/i.test(target)
      ? "a host name outside the lab, which the tool would look up in DNS"
      : parseError;
    return new ScanproofError(
      `${where}: "${target}" is neither a lab host name (${[...this.names.keys()].join(", ")}) nor an IPv4 address or CIDR as the guard reads one: ${why}. Nothing was sent.`,
      "Name a target host of the scenario's lab, or an address inside the lab's networks written as four decimal octets.",
    );
  }

  private refusal(target: string, where: string): ScanproofError {
    return new ScanproofError(
      `${where}: refusing to probe ${target}: it is outside this run's lab networks (${this.describe()}). Nothing was sent.`,
      "scanproof only ever scans the lab it created; aim the step at a lab host.",
    );
  }
}
