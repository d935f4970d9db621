import { z } from "zod";
import { expandPortSpec } from "../core/ports.js";

/** Field types the escalation context and the enrichment files share. */
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
