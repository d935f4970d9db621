import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { parseYamlInput, readInputText } from "../core/input-files.js";
import { InputError, locate, type Problem } from "../core/problems.js";
import { AdvisoriesSchema, type AdvisoriesFile } from "./advisories.js";
import { ipv4RangeField } from "../core/addresses.js";
import { duration, positiveDuration } from "./durations.js";
import { day, port } from "./fields.js";
import { InfrastructureSchema } from "./infrastructure.js";
import { IntelSchema, type IntelFile } from "./intel.js";
import { AssetSchema } from "./inventory.js";
import { PatternsSchema, type PatternsFile } from "./patterns.js";
import { readValidatedYaml } from "./yaml-input.js";

export { inRanges } from "../core/addresses.js";

const cidr = ipv4RangeField("context files");

const count = z.number().int().min(1);

/**
 * The thresholds of the escalation decision. Every one has a default; the README's "Escalation"
 * section explains each.
 */
const Thresholds = z.strictObject({
  activity_window: positiveDuration.prefault("24h"),
  activity_gap: positiveDuration.prefault("30m"),
  persistence: z
    .strictObject({ min_duration: duration.prefault("30m"), min_active_days: count.default(2) })
    .prefault({}),
  range_of_services: z.strictObject({ min_ports: count.default(20) }).prefault({}),
  several_methods: z
    .strictObject({
      min_subtechniques: count.default(2),
      min_tools: count.default(2),
      min_transports: count.default(3),
    })
    .prefault({}),
  slow_scan: z
    .strictObject({ min_probes: count.default(5), min_interval: duration.prefault("3s") })
    .prefault({}),
  trusted_source_ports: z
    .strictObject({ ports: z.array(port).min(1).default([20, 53, 67, 88]), min_ports: count.default(10) })
    .prefault({}),
  decoys: z.strictObject({ min_shared_ports: count.default(20) }).prefault({}),
  exploit_window: positiveDuration.prefault("15m"),
  exploit_categories: z
    .array(z.string().min(1))
    .min(1)
    .default([
      "Web Application Attack",
      "Attempted Administrator Privilege Gain",
      "Attempted User Privilege Gain",
      "Executable code was detected",
      "A Network Trojan was detected",
    ]),
  post_scan: z
    .strictObject({
      window: positiveDuration.prefault("24h"),
      transfer: z.strictObject({ min_bytes: count.default(1_048_576) }).prefault({}),
      ephemeral_ports: z
        .strictObject({ from: port.default(32768), to: port.default(65535) })
        .refine((r) => r.from <= r.to, { message: "from must not be above to" })
        .prefault({}),
    })
    .prefault({}),
  advisory_recency: positiveDuration.prefault("90d"),
  reputation: z
    .strictObject({
      min_confidence: z.number().int().min(0).max(100).default(70),
      max_age: duration.optional(),
    })
    .prefault({}),
});

const ContextSchema = z.strictObject({
  internal_networks: z.array(cidr).min(1),
  assets: z.array(AssetSchema).default([]),
  allow_list: z
    .array(
      z
        .strictObject({
          source: cidr,
          owner: z.string().min(1),
          purpose: z.string().min(1),
          valid_from: day.optional(),
          valid_until: day.optional(),
        })
        .superRefine((entry, ctx) => {
          if (
            entry.valid_from !== undefined &&
            entry.valid_until !== undefined &&
            entry.valid_from > entry.valid_until
          )
            ctx.addIssue({
              code: "custom",
              path: ["valid_until"],
              message: `${entry.valid_until} is before valid_from (${entry.valid_from}); expected the last day of the window, on or after its first`,
            });
        }),
    )
    .default([]),
  infrastructure: z.array(InfrastructureSchema).default([]),
  history_window: positiveDuration.prefault("30d"),
  /**
   * Index patterns of the cluster that hold the sources' real history (ECS `source.ip` and
   * `@timestamp`, any labels): escalation reads them beside the run's own events for "seen before",
   * the activity's start and active days. Read only, never written.
   */
  history_indices: z
    .array(
      z
        .string()
        .regex(/^[^\s,]+$/, 'an index pattern without spaces or commas, such as "logs-network_traffic.*"'),
    )
    .default([]),
  escalation: Thresholds.prefault({}),
  /** Enrichment files, relative to this file. */
  enrichment: z
    .strictObject({
      intel: z.string().min(1).optional(),
      advisories: z.string().min(1).optional(),
      scanning_patterns: z.string().min(1).optional(),
    })
    .default({}),
});

/** What the SOC knows that the events do not say: its networks, its assets, who may scan, and what intel it holds. */
export type EscalationContext = Omit<z.output<typeof ContextSchema>, "enrichment"> & {
  readonly file: string;
  readonly intel?: IntelFile;
  readonly advisories?: AdvisoriesFile;
  readonly patterns?: PatternsFile;
};
export type Thresholds = z.output<typeof Thresholds>;
export type AllowListEntry = EscalationContext["allow_list"][number];

/**
 * Loads a context file and the enrichment files it names; every problem of every file is reported
 * at once, a missing enrichment file at the line that names it.
 */
export function loadContext(path: string): EscalationContext {
  const { enrichment, ...context } = readValidatedYaml(path, ContextSchema);
  const problems: Problem[] = [];
  const load = <T>(
    key: keyof typeof enrichment,
    schema: z.ZodType<T>,
  ): (T & { file: string }) | undefined => {
    const ref = enrichment[key];
    if (ref === undefined) return undefined;
    const target = resolve(dirname(path), ref);
    if (!existsSync(target)) {
      problems.push({
        file: context.file,
        ...locateKey(path, ["enrichment", key]),
        path: `enrichment.${key}`,
        message: `${ref} does not exist (paths are relative to this file)`,
      });
      return undefined;
    }
    try {
      return readValidatedYaml(target, schema);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const intel = load("intel", IntelSchema);
  const advisories = load("advisories", AdvisoriesSchema);
  const patterns = load("scanning_patterns", PatternsSchema);
  if (problems.length > 0) throw new InputError(problems);
  return {
    ...context,
    ...(intel ? { intel } : {}),
    ...(advisories ? { advisories } : {}),
    ...(patterns ? { patterns } : {}),
  };
}

function locateKey(path: string, at: readonly PropertyKey[]): { line: number; column: number } {
  const { file, text } = readInputText(path);
  const { doc, lines } = parseYamlInput(file, text);
  return locate(doc, lines, at);
}
