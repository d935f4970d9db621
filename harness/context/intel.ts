import { z } from "zod";
import { inRanges, ipv4RangeField } from "../core/addresses.js";
import { day } from "./fields.js";

export const INTEL_CATEGORIES = [
  "malicious",
  "botnet",
  "exploitation",
  "bruteforce",
  "scanner",
  "research",
  "benign",
] as const;
export type IntelCategory = (typeof INTEL_CATEGORIES)[number];

/** Categories that make an address malicious when the entry is confident and recent enough. */
const MALICIOUS: ReadonlySet<IntelCategory> = new Set(["malicious", "botnet", "exploitation", "bruteforce"]);
const BENIGN: ReadonlySet<IntelCategory> = new Set(["research", "benign"]);

/** The local reputation file: what the SOC's threat intelligence says about addresses. */
export const IntelSchema = z.strictObject({
  addresses: z
    .array(
      z.strictObject({
        source: ipv4RangeField("intel files"),
        category: z.enum(INTEL_CATEGORIES),
        confidence: z.number().int().min(0).max(100),
        last_seen: day,
        description: z.string().min(1).optional(),
        reference: z.string().min(1).optional(),
      }),
    )
    .default([]),
});
export type IntelFile = z.output<typeof IntelSchema> & { readonly file: string };
export type IntelEntry = IntelFile["addresses"][number];

export interface ReputationPolicy {
  /** An entry below this confidence (0–100) says nothing either way. */
  readonly min_confidence: number;
  /** An entry last seen longer ago than this says nothing either way; unset: never too old. */
  readonly max_age?: number | undefined;
}

export const REPUTATION_VERDICTS = ["malicious", "suspicious", "benign", "unknown"] as const;
export type Verdict = (typeof REPUTATION_VERDICTS)[number];

export interface Reputation {
  readonly verdict: Verdict;
  readonly entry?: IntelEntry;
  readonly message: string;
}

/**
 * The reputation check of the playbook, against the local intel file: the most specific entry
 * (longest prefix) that holds the address decides; a low-confidence or stale entry is reported but
 * gives no verdict.
 */
export function checkReputation(
  source: string,
  intel: IntelFile | undefined,
  policy: ReputationPolicy,
  at: Date,
): Reputation {
  const entry = (intel?.addresses ?? [])
    .filter((e) => inRanges(source, [e.source]))
    .sort((a, b) => prefixLength(b.source) - prefixLength(a.source))[0];
  if (!intel) return { verdict: "unknown", message: "no intel file is configured" };
  if (!entry) return { verdict: "unknown", message: `${source} is not in ${intel.file}` };
  const said = `${intel.file} lists ${entry.source} as ${entry.category} (confidence ${entry.confidence}, last seen ${entry.last_seen})`;
  if (entry.confidence < policy.min_confidence)
    return {
      verdict: "unknown",
      entry,
      message: `${said}: below the confidence of ${policy.min_confidence}`,
    };
  const ageMs = at.getTime() - Date.parse(`${entry.last_seen}T00:00:00Z`);
  if (policy.max_age !== undefined && ageMs > policy.max_age)
    return { verdict: "unknown", entry, message: `${said}: too old to count` };
  const verdict: Verdict = MALICIOUS.has(entry.category)
    ? "malicious"
    : BENIGN.has(entry.category)
      ? "benign"
      : "suspicious";
  return { verdict, entry, message: `${said}: ${verdict}` };
}

function prefixLength(range: string): number {
  return range.includes("/") ? Number(range.split("/")[1]) : 32;
}
