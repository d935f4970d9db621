import { z } from "zod";

/**
 * Strict IPv4 addresses and ranges, for every input that names one (context files, scanner
 * targets). Only the plain dotted-decimal form is read: four decimal octets 0–255 without leading
 * zeros ("0" alone is fine), so "10" (read by inet_aton as 0.0.0.10), "10/8" (ipaddr.js: 0.0.0.0/8)
 * and "012.0.0.0" (octal 10 to some parsers, decimal 12 to others) are refused instead of guessed.
 * A CIDR's prefix is 0–32, again without leading zeros, and its address must be the network itself:
 * "10.20.0.5/24" is refused naming 10.20.0.0/24, because whoever wrote it meant either that network
 * or the one address, and scanproof cannot tell which. IPv6 is refused: the lab is IPv4 only.
 */

/** Why a text is not an address or range: its syntax, a number out of range, host bits set, or IPv6. */
export type AddressErrorKind = "syntax" | "range" | "host-bits" | "ipv6";

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly kind: AddressErrorKind; readonly error: string };

/** An IPv4 network: its first address as an unsigned 32-bit number and its prefix length. */
export interface Ipv4Cidr {
  readonly network: number;
  readonly prefix: number;
}

export const IPV6_REFUSED = "IPv6 is not supported; the lab is IPv4";

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

function refuse(kind: AddressErrorKind, error: string): { ok: false; kind: AddressErrorKind; error: string } {
  return { ok: false, kind, error };
}

function quoted(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 59)}…` : text);
}

function octetProblem(octet: string, position: number): Parsed<number> | undefined {
  const which = `octet ${position} ${quoted(octet)}`;
  if (octet === "") return refuse("syntax", `octet ${position} is empty`);
  if (!/^[0-9]+$/.test(octet)) return refuse("syntax", `${which} is not a decimal number`);
  if (!DECIMAL.test(octet))
    return refuse(
      "syntax",
      `${which} has a leading zero, which some parsers read as octal; write ${String(Number.parseInt(octet, 10))}`,
    );
  if (octet.length > 3 || Number(octet) > 255) return refuse("range", `${which} is above 255`);
  return undefined;
}

/** An IPv4 address in dotted decimal, as an unsigned 32-bit number. */
export function parseStrictIPv4(text: string): Parsed<number> {
  if (text.includes(":")) return refuse("ipv6", IPV6_REFUSED);
  if (text === "") return refuse("syntax", "the address is empty");
  if (text.trim() !== text) return refuse("syntax", `${quoted(text)} has spaces around it`);
  const octets = text.split(".");
  if (octets.length !== 4)
    return refuse(
      "syntax",
      `${quoted(text)} has ${octets.length} of the 4 octets of an IPv4 address (write all four, such as 10.0.0.0)`,
    );
  let value = 0;
  for (const [i, octet] of octets.entries()) {
    const problem = octetProblem(octet, i + 1);
    if (problem) return problem;
    value = value * 256 + Number(octet);
  }
  return { ok: true, value };
}

/** The dotted-decimal form of an unsigned 32-bit number. */
export function formatIPv4(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff)
    throw new RangeError(`${value} is not an unsigned 32-bit number`);
  return [24, 16, 8, 0].map((shift) => String(Math.floor(value / 2 ** shift) % 256)).join(".");
}

/** The addresses a prefix leaves to hosts: 2^(32 − prefix). */
function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** A range written as address/prefix, such as 10.0.0.0/8. */
export function parseStrictCidr(text: string): Parsed<Ipv4Cidr> {
  if (text.includes(":")) return refuse("ipv6", IPV6_REFUSED);
  const parts = text.split("/");
  if (parts.length !== 2)
    return refuse(
      "syntax",
      parts.length === 1
        ? `${quoted(text)} has no prefix (a CIDR such as 10.0.0.0/8)`
        : `${quoted(text)} has more than one "/"`,
    );
  const [addressText = "", prefixText = ""] = parts;
  const address = parseStrictIPv4(addressText);
  if (!address.ok) return address;
  if (prefixText === "") return refuse("syntax", `${quoted(text)} has an empty prefix after "/"`);
  if (!/^[0-9]+$/.test(prefixText))
    return refuse("syntax", `the prefix ${quoted(prefixText)} is not a decimal number`);
  if (!DECIMAL.test(prefixText))
    return refuse("syntax", `the prefix ${quoted(prefixText)} has a leading zero`);
  const prefix = Number(prefixText);
  if (prefixText.length > 2 || prefix > 32) return refuse("range", `the prefix /${prefixText} is above 32`);
  const size = blockSize(prefix);
  const network = Math.floor(address.value / size) * size;
  if (network !== address.value)
    return refuse(
      "host-bits",
      `${text} has host bits set: the network is ${formatIPv4(network)}/${prefix} (or write ${addressText} alone for the one address)`,
    );
  return { ok: true, value: { network, prefix } };
}

/** A CIDR, or one address meaning its /32. */
export function parseStrictRange(text: string): Parsed<Ipv4Cidr> {
  if (text.includes("/")) return parseStrictCidr(text);
  const address = parseStrictIPv4(text);
  return address.ok ? { ok: true, value: { network: address.value, prefix: 32 } } : address;
}

export function formatCidr(range: Ipv4Cidr): string {
  return `${formatIPv4(range.network)}/${range.prefix}`;
}

export function cidrContains(range: Ipv4Cidr, address: number): boolean {
  const size = blockSize(range.prefix);
  return Math.floor(address / size) * size === range.network;
}

/** Whether the address lies in any of the ranges; text that is not a strict IPv4 address lies in none. */
export function inRanges(address: string, ranges: readonly string[]): boolean {
  const parsed = parseStrictIPv4(address);
  if (!parsed.ok) return false;
  return ranges.some((text) => {
    const range = parseStrictRange(text);
    return range.ok && cidrContains(range.value, parsed.value);
  });
}

function field(parse: (text: string) => Parsed<unknown>, expected: string, ipv6: string) {
  return z.string({ error: expected }).superRefine((text, ctx) => {
    const parsed = parse(text);
    if (!parsed.ok)
      ctx.addIssue({
        code: "custom",
        message: parsed.kind === "ipv6" ? ipv6 : `${parsed.error}; ${expected}`,
      });
  });
}

/**
 * Zod fields for input files: the text kept as written (strict parsing leaves one way to write each
 * address), refused with what is wrong and what was expected. `where` names the kind of file in the
 * IPv6 refusal, as in "IPv6 is not supported in context files; the lab is IPv4".
 */
export function ipv4AddressField(where: string) {
  return field(
    parseStrictIPv4,
    "expected an IPv4 address such as 10.20.0.5",
    `IPv6 is not supported in ${where}; the lab is IPv4`,
  );
}

export function ipv4RangeField(where: string) {
  return field(
    parseStrictRange,
    "expected an IPv4 address or CIDR such as 10.0.0.0/8",
    `IPv6 is not supported in ${where}; the lab is IPv4`,
  );
}
