import ipaddr from "ipaddr.js";
import { formatIPv4, parseStrictIPv4, parseStrictRange } from "../core/addresses.js";
import { ScanproofError } from "../core/errors.js";

/** A closed range of IPv4 addresses as unsigned 32-bit numbers. */
export interface AddressSpan {
  readonly first: number;
  readonly last: number;
}

/**
 * Something in an argument that names IPv4 addresses: dotted quads (octets may be `*`, nmap's
 * wildcard), optionally followed by a prefix (`/24`), a last-octet range (`-20`) or a full range
 * (`-10.20.0.20`). It is found anywhere in the argument (`--target=…`, `http://…:80/`, `@…`).
 */
const ADDRESS_TEXT =
  /(?<![0-9.*])((?:[0-9]{1,3}|\*)(?:\.(?:[0-9]{1,3}|\*)){3})(?:\/([0-9]{1,2})|-((?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9]{1,3}))?(?![0-9*]|\.[0-9*])/g;

/** Text with at least two colons, which may be an IPv6 address (ipaddr.js decides). */
const IPV6_TEXT = /[0-9a-f]*:[0-9a-f]*:[0-9a-f:.]*/gi;

/** The address span of a CIDR or a single address. */
export function spanOf(text: string): AddressSpan | undefined {
  const parsed = parseStrictRange(text);
  if (!parsed.ok) return undefined;
  return { first: parsed.value.network, last: parsed.value.network + 2 ** (32 - parsed.value.prefix) - 1 };
}

/** Spans merged where they overlap or touch, sorted. */
export function mergeSpans(spans: readonly AddressSpan[]): AddressSpan[] {
  const sorted = [...spans].sort((a, b) => a.first - b.first);
  const merged: AddressSpan[] = [];
  for (const s of sorted) {
    const last = merged.at(-1);
    if (last && s.first <= last.last + 1)
      merged[merged.length - 1] = { first: last.first, last: Math.max(last.last, s.last) };
    else merged.push(s);
  }
  return merged;
}

export function describeSpan(s: AddressSpan): string {
  return s.first === s.last ? formatIPv4(s.first) : `${formatIPv4(s.first)}-${formatIPv4(s.last)}`;
}

/** What one address text in an argument means, or why it cannot be read. */
function readAddressText(match: RegExpMatchArray): { span: AddressSpan } | { problem: string } {
  const [text = "", quad = "", prefix, rangeEnd] = match;
  const octets = quad.split(".");
  const low = octets.map((o) => (o === "*" ? "0" : o)).join(".");
  const high = octets.map((o) => (o === "*" ? "255" : o)).join(".");
  const first = parseStrictIPv4(low);
  const lastOfQuad = parseStrictIPv4(high);
  if (!first.ok) return { problem: `"${text}" is no address the guard reads (${first.error})` };
  if (!lastOfQuad.ok) return { problem: `"${text}" is no address the guard reads (${lastOfQuad.error})` };
  if (prefix !== undefined) {
    if (quad.includes("*")) return { problem: `"${text}" mixes a wildcard and a prefix` };
    const span = spanOf(`${quad}/${prefix}`);
    if (span) return { span };
    const prefixed = Number(prefix);
    if (prefixed > 32) return { problem: `"${text}" has a prefix above 32` };
    // A tool reads "10.20.0.5/24" as the whole network: so does the guard.
    const size = 2 ** (32 - prefixed);
    const network = Math.floor(first.value / size) * size;
    return { span: { first: network, last: network + size - 1 } };
  }
  if (rangeEnd !== undefined) {
    if (quad.includes("*")) return { problem: `"${text}" mixes a wildcard and a range` };
    const end = rangeEnd.includes(".")
      ? parseStrictIPv4(rangeEnd)
      : parseStrictIPv4([...octets.slice(0, 3), rangeEnd].join("."));
    if (!end.ok) return { problem: `"${text}" ends in no address the guard reads (${end.error})` };
    if (end.value < first.value) return { problem: `"${text}" runs from high to low` };
    return { span: { first: first.value, last: end.value } };
  }
  return { span: { first: first.value, last: lastOfQuad.value } };
}

/**
 * Every address, CIDR or range written in an argument must lie inside the allowed spans: the
 * argument layer's defence in depth for a command scanproof cannot read (the egress filter is what
 * enforces). Throws `<where>: …` naming the text and what the step declared.
 */
export function checkArgumentAddresses(
  argument: string,
  allowed: readonly AddressSpan[],
  where: string,
  declared: string,
): void {
  for (const match of argument.matchAll(ADDRESS_TEXT)) {
    const read = readAddressText(match);
    if ("problem" in read)
      throw new ScanproofError(
        `${where}: ${read.problem}; expected addresses inside the step's targets (${declared}). Nothing was sent.`,
      );
    const { span } = read;
    if (!allowed.some((a) => a.first <= span.first && span.last <= a.last))
      throw new ScanproofError(
        `${where}: "${match[0]}" (${describeSpan(span)}) is outside the targets this step declares (${declared}). Nothing was sent.`,
        "Declare it in the step's targets (a lab host name, an address or a CIDR of the lab), or aim the command at a declared target.",
      );
  }
  for (const [candidate] of argument.matchAll(IPV6_TEXT))
    if (ipaddr.IPv6.isValid(candidate))
      throw new ScanproofError(
        `${where}: "${candidate}" is an IPv6 address; the lab is IPv4 only, expected addresses inside the step's targets (${declared}). Nothing was sent.`,
      );
}
