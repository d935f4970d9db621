import ipaddr from "ipaddr.js";
import { z } from "zod";
import { expandPortSpec } from "../scenario/schema.js";

/** Field types the escalation context and the enrichment files share. */
export const address = z.string().refine((v) => ipaddr.IPv4.isValidFourPartDecimal(v), "an IPv4 address");
export const cidr = z
  .string()
  .refine((v) => ipaddr.isValidCIDR(v) || ipaddr.IPv4.isValidFourPartDecimal(v), "an IPv4 address or CIDR");
export const cve = z.string().regex(/^CVE-\d{4}-\d{4,}$/, 'a CVE id such as "CVE-2024-6387"');
export const port = z.number().int().min(1).max(65_535);
export const transport = z.enum(["tcp", "udp"]);
/** A calendar day such as 2026-11-28 (UTC). */
export const day = z.iso.date({ error: "a date such as 2026-11-28" });
/** A port list such as "23,2323" or "1-1024", read as its distinct ports. */
export const portList = z
  .string({ error: 'a port list such as "23,2323" or "1-1024"' })
  .transform((spec, ctx) => {
    const ports = expandPortSpec(spec);
    if (ports === undefined) {
      ctx.addIssue({ code: "custom", message: 'a port list such as "23,2323" or "1-1024" (ports 1–65535)' });
      return z.NEVER;
    }
    return ports;
  });

export function inRanges(ip: string, ranges: readonly string[]): boolean {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) return false;
  const parsed = ipaddr.IPv4.parse(ip);
  return ranges.some((r) => {
    const [network, bits] = r.includes("/") ? ipaddr.parseCIDR(r) : [ipaddr.parse(r), 32];
    return network.kind() === "ipv4" && parsed.match(network as ipaddr.IPv4, bits);
  });
}
