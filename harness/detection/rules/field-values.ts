import ipaddr from "ipaddr.js";
import type { FieldMapping } from "./field-types.js";

/**
 * One indexed value of a field, the way Elasticsearch compares it: keywords by their UTF-8 bytes,
 * numbers and dates (epoch milliseconds) numerically, addresses as 16-byte IPv6 (IPv4 mapped).
 * `shown` is how Elasticsearch returns it (composite keys, the fields API).
 */
export interface IndexedValue {
  readonly sortKey: string | number;
  readonly shown: string;
}

/** A query or document value Elasticsearch would refuse, with the reason. */
export class FieldValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FieldValueError";
  }
}

const NUMERIC = new Set([
  "long",
  "integer",
  "short",
  "byte",
  "double",
  "float",
  "half_float",
  "scaled_float",
]);
const WHOLE = new Set(["long", "integer", "short", "byte"]);

export function isNumeric(type: string): boolean {
  return NUMERIC.has(type);
}

/**
 * The value as indexed, or undefined when Elasticsearch keeps it in _source only (ignore_above,
 * null). Throws for a value the field's type refuses, since Elasticsearch would reject the document.
 */
export function indexValue(field: string, mapping: FieldMapping, raw: unknown): IndexedValue | undefined {
  if (raw === null || raw === undefined) return undefined;
  const type = mapping.type;
  if (type === "keyword") {
    const text = typeof raw === "string" ? raw : JSON.stringify(raw);
    if (mapping.ignoreAbove !== undefined && text.length > mapping.ignoreAbove) return undefined;
    return { sortKey: utf8Key(text), shown: text };
  }
  if (NUMERIC.has(type)) {
    const n = typeof raw === "number" ? raw : typeof raw === "string" ? Number(raw.trim()) : Number.NaN;
    if (typeof raw === "boolean" || !Number.isFinite(n) || (typeof raw === "string" && raw.trim() === "")) {
      throw new FieldValueError(
        `${field}: ${JSON.stringify(raw)} is not a number; Elasticsearch would reject the document`,
      );
    }
    const value = WHOLE.has(type) ? Math.trunc(n) : type === "float" ? Math.fround(n) : n;
    return { sortKey: value, shown: String(value) };
  }
  if (type === "ip") {
    const address = typeof raw === "string" ? parseIp(raw) : undefined;
    if (!address) {
      throw new FieldValueError(
        `${field}: ${JSON.stringify(raw)} is not an IP address; Elasticsearch would reject the document`,
      );
    }
    return address;
  }
  if (type === "date") {
    const ms = parseDate(raw, false);
    if (ms === undefined) {
      throw new FieldValueError(
        `${field}: ${JSON.stringify(raw)} is not a date; Elasticsearch would reject the document`,
      );
    }
    return { sortKey: ms, shown: String(ms) };
  }
  if (type === "boolean") {
    const b = parseBoolean(raw);
    if (b === undefined) {
      throw new FieldValueError(
        `${field}: ${JSON.stringify(raw)} is not a boolean; Elasticsearch would reject the document`,
      );
    }
    return { sortKey: b ? 1 : 0, shown: String(b) };
  }
  // Text and other types: only their presence is evaluated; queries on their values are refused.
  const text = typeof raw === "string" ? raw : JSON.stringify(raw);
  return { sortKey: text, shown: text };
}

/** Keys that sort strings by UTF-8 bytes, as Lucene does, with JavaScript's `<`. */
function utf8Key(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

export function keywordKey(text: string): string {
  return utf8Key(text);
}

function parseBoolean(raw: unknown): boolean | undefined {
  if (typeof raw === "boolean") return raw;
  if (raw === "true") return true;
  if (raw === "false" || raw === "") return false;
  return undefined;
}

export function booleanKey(text: string): number | undefined {
  const b = parseBoolean(text);
  return b === undefined ? undefined : b ? 1 : 0;
}

/** A strict IPv4 dotted quad or an IPv6 address, as a sortable 16-byte key. */
export function parseIp(text: string): IndexedValue | undefined {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) address = ipaddr.IPv4.parse(text);
  else if (ipaddr.IPv6.isValid(text)) address = ipaddr.IPv6.parse(text);
  else return undefined;
  const v6 =
    address.kind() === "ipv4" ? (address as ipaddr.IPv4).toIPv4MappedAddress() : (address as ipaddr.IPv6);
  const shown = v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toString();
  return { sortKey: String.fromCharCode(...v6.toByteArray()), shown };
}

/** The [first, last] sort keys of an address or CIDR block, as an ip field's term query reads it. */
export function ipRange(text: string): [string, string] | undefined {
  if (!text.includes("/")) {
    const one = parseIp(text);
    return one ? [one.sortKey as string, one.sortKey as string] : undefined;
  }
  if (!ipaddr.isValidCIDR(text)) return undefined;
  const [network, bits] = ipaddr.parseCIDR(text);
  const v6 =
    network.kind() === "ipv4" ? (network as ipaddr.IPv4).toIPv4MappedAddress() : (network as ipaddr.IPv6);
  const prefix = network.kind() === "ipv4" ? bits + 96 : bits;
  const bytes = v6.toByteArray();
  const low = bytes.map((b, i) => b & mask(prefix, i));
  const high = bytes.map((b, i) => (b & mask(prefix, i)) | (~mask(prefix, i) & 0xff));
  return [String.fromCharCode(...low), String.fromCharCode(...high)];
}

function mask(prefix: number, byte: number): number {
  const bits = Math.max(0, Math.min(8, prefix - byte * 8));
  return (0xff << (8 - bits)) & 0xff;
}

const DATE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * A date in the default format `strict_date_optional_time||epoch_millis`, in epoch milliseconds.
 * `roundUp` fills missing components the way range queries do for `gt` and `lte` bounds (month and
 * day 01, then 23:59:59.999); otherwise they are the start of the period. Date math is not evaluated.
 * Years are proleptic Gregorian as written: "0050" is the year 50, which Date.UTC would read as 1950.
 */
export function parseDate(raw: unknown, roundUp: boolean): number | undefined {
  if (typeof raw === "number") return Number.isInteger(raw) ? raw : undefined;
  if (typeof raw !== "string") return undefined;
  if (/^-?\d+$/.test(raw) && !DATE.test(raw)) return Number(raw);
  const m = DATE.exec(raw);
  if (!m) return /^\d+$/.test(raw) ? Number(raw) : undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = m;
  const part = (v: string | undefined, missing: number, max: number) =>
    v === undefined ? (roundUp ? max : missing) : Number(v);
  const ms = fraction === undefined ? (roundUp ? 999 : 0) : Number(fraction.padEnd(3, "0").slice(0, 3));
  const date = new Date(0);
  date.setUTCFullYear(
    Number(year),
    (month === undefined ? 1 : Number(month)) - 1,
    day === undefined ? 1 : Number(day),
  );
  date.setUTCHours(part(hour, 0, 23), part(minute, 0, 59), part(second, 0, 59), ms);
  return date.getTime() - offsetMinutes(zone) * 60_000;
}

function offsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone === "Z") return 0;
  const digits = zone.replace(":", "");
  const sign = digits.startsWith("-") ? -1 : 1;
  return sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || "0"));
}

type WildcardToken =
  | { readonly kind: "any" }
  | { readonly kind: "many" }
  | { readonly kind: "char"; readonly c: string };

/**
 * An Elasticsearch wildcard pattern on a keyword, case-sensitive: `*` matches any run of
 * characters, `?` one character (a code point), `\` makes the next character literal (a trailing
 * one is itself literal). Matching is greedy with one backtrack point, the last `*`: at most
 * pattern × text steps, where a backtracking regular expression can take exponential time.
 */
export function wildcardMatcher(pattern: string): (text: string) => boolean {
  const tokens: WildcardToken[] = [];
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? "";
    if (c === "\\" && i + 1 < chars.length) tokens.push({ kind: "char", c: chars[++i] ?? "" });
    else if (c === "*") {
      if (tokens.at(-1)?.kind !== "many") tokens.push({ kind: "many" });
    } else if (c === "?") tokens.push({ kind: "any" });
    else tokens.push({ kind: "char", c });
  }
  return (value) => {
    const text = Array.from(value);
    let t = 0;
    let p = 0;
    let star = -1;
    let resume = 0;
    while (t < text.length) {
      const token = tokens[p];
      if (token !== undefined && (token.kind === "any" || (token.kind === "char" && token.c === text[t]))) {
        p++;
        t++;
      } else if (token?.kind === "many") {
        star = p++;
        resume = t;
      } else if (star >= 0) {
        p = star + 1;
        t = ++resume;
      } else return false;
    }
    while (tokens[p]?.kind === "many") p++;
    return p === tokens.length;
  };
}
