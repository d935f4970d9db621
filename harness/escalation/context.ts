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

/** What the SOC knows that the events do not say: its networks, its crown jewels, who may scan. */
const ContextSchema = z.strictObject({
  internal_networks: z.array(cidr).min(1),
  critical_assets: z
    .array(z.strictObject({ name: z.string().min(1), address, why: z.string().min(1) }))
    .default([]),
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
