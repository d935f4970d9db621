import { readFileSync } from "node:fs";
import { relative } from "node:path";
import ipaddr from "ipaddr.js";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { InputError, locate, zodProblems } from "../scenario/problems.js";

const address = z.string().refine((v) => ipaddr.IPv4.isValidFourPartDecimal(v), "an IPv4 address");
const cidr = z
  .string()
  .refine((v) => ipaddr.isValidCIDR(v) || ipaddr.IPv4.isValidFourPartDecimal(v), "an IPv4 address or CIDR");
const days = z
  .string()
  .regex(/^\d+d$/, 'a number of days such as "30d"')
  .transform((v) => Number.parseInt(v, 10) * 86_400_000);
const labTargetName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,30}$/,
    "the name of a lab target such as web (lower-case letters, digits, dashes)",
  );
const cve = z.string().regex(/^CVE-\d{4}-\d{4,}$/, 'a CVE id such as "CVE-2024-6387"');

export const CRITICALITIES = ["critical", "high", "medium", "low"] as const;

/** A service the asset owner declares: what should answer on this port, and what is known to be wrong with it. */
const AssetService = z.strictObject({
  port: z.number().int().min(1).max(65_535),
  protocol: z.enum(["tcp", "udp"]),
  product: z.string().min(1).optional(),
  version: z.string({ error: 'a version in quotes such as "1.22.1"' }).min(1).optional(),
  cves: z.array(cve).default([]),
});

/** One system of the asset inventory, found by its address or by the name of a lab target. */
const Asset = z
  .strictObject({
    name: z.string().min(1),
    address: address.optional(),
    target: labTargetName.optional(),
    criticality: z.enum(CRITICALITIES),
    why: z.string().min(1),
    services: z.array(AssetService).default([]),
  })
  .superRefine((asset, ctx) => {
    if ((asset.address === undefined) === (asset.target === undefined))
      ctx.addIssue({
        code: "custom",
        path: asset.address === undefined ? [] : ["target"],
        message: "exactly one of address (an IPv4 address) or target (a lab target name)",
      });
  });

/** What the SOC knows that the events do not say: its networks, its assets, who may scan. */
const ContextSchema = z.strictObject({
  internal_networks: z.array(cidr).min(1),
  assets: z.array(Asset).default([]),
  allow_list: z
    .array(
      z.strictObject({
        source: cidr,
        owner: z.string().min(1),
        purpose: z.string().min(1),
        valid_from: z.iso.date().optional(),
        valid_until: z.iso.date().optional(),
      }),
    )
    .default([]),
  history_window: days.prefault("30d"),
});

export type EscalationContext = z.output<typeof ContextSchema> & { readonly file: string };
export type AssetSpec = z.output<typeof Asset>;
export type AssetServiceSpec = z.output<typeof AssetService>;
export type Criticality = (typeof CRITICALITIES)[number];

export function loadContext(path: string): EscalationContext {
  const file = relative(process.cwd(), path) || path;
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(path, "utf8"), { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.map((e) => ({
        file,
        ...toPos(lines, e.pos[0]),
        path: "",
        message: `YAML: ${e.message.split("\n")[0] ?? ""}`,
      })),
    );
  }
  const parsed = ContextSchema.safeParse(doc.toJS());
  if (!parsed.success)
    throw new InputError(
      zodProblems(file, parsed.error.issues, (p, anchor) => locate(doc, lines, p, anchor)),
    );
  return { ...parsed.data, file };
}

function toPos(lines: LineCounter, offset: number): { line: number; column: number } {
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

export function inRanges(ip: string, ranges: readonly string[]): boolean {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) return false;
  const parsed = ipaddr.IPv4.parse(ip);
  return ranges.some((r) => {
    const [network, bits] = r.includes("/") ? ipaddr.parseCIDR(r) : [ipaddr.parse(r), 32];
    return network.kind() === "ipv4" && parsed.match(network as ipaddr.IPv4, bits);
  });
}
