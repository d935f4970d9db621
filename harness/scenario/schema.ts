import { z } from "zod";
import { LOG_SOURCES, SENSORS, TIERS } from "../core/vocabulary.js";
import { TOOL_STEP_SCHEMAS } from "../scanners/registry.js";
import { HostSchema, labName as name, TargetSchema } from "../lab/spec.js";
import { positiveDuration } from "../context/durations.js";

export const Step = z.discriminatedUnion("tool", TOOL_STEP_SCHEMAS);

const duration = z
  .string()
  .regex(/^\d+(ms|s|m)$/, "a duration such as 500ms, 30s or 2m")
  .transform((v) => {
    const n = Number.parseInt(v, 10);
    return v.endsWith("ms") ? n : v.endsWith("m") ? n * 60_000 : n * 1000;
  });

const cveId = z.string().regex(/^CVE-\d{4}-\d{4,}$/, 'a CVE id such as "CVE-2024-6387"');

const AlertExpectation = z
  .strictObject({
    rule: z.string().min(1).describe("the rule's rule_id or name"),
    from: z
      .union([name, z.ipv4()], {
        error:
          "a lab host name, or the IPv4 address of a source that is no lab host (a decoy, a spoofed source)",
      })
      .default("attacker")
      .describe(
        "the lab host (or, for a decoy or spoofed source, the address) the alert's source.ip must be",
      ),
    count: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("exactly this many alerts of the rule for that source"),
    tier: z.enum(TIERS).optional().describe("the escalation tier every matching alert must get"),
    reasons: z.array(z.string()).default([]).describe("escalation reason codes that must all be present"),
    absent_reasons: z
      .array(z.string())
      .default([])
      .describe("escalation reason codes no matching alert may have"),
    within: duration
      .optional()
      .describe("maximum time from the end of the last step until the alert is searchable"),
    enrichment: z
      .strictObject({
        reputation: z
          .enum(["malicious", "suspicious", "benign", "unknown"])
          .optional()
          .describe("the verdict of the local intel file"),
        seen_before: z
          .boolean()
          .optional()
          .describe("whether the source had events before its activity began (its history)"),
        baseline: z
          .boolean()
          .optional()
          .describe(
            "whether the volume was compared with a baseline: firewall events from any source before the activity began",
          ),
        patterns: z
          .array(z.string().min(1))
          .default([])
          .describe("known scanning patterns that must all match"),
        cves: z.array(cveId).default([]).describe("known CVEs of the targeted services (asset inventory)"),
        advisories: z.array(cveId).default([]).describe("recent advisories that must be attached"),
        exploit_signatures: z
          .array(z.number().int().min(1))
          .default([])
          .describe("IDS signature ids that must be linked as exploit attempts after the scan"),
        next_action: z
          .enum(["none", "triage", "investigate", "block"])
          .optional()
          .describe("the recommended next action"),
      })
      .optional()
      .describe("what escalation's enrichment must have found for every matching alert"),
  })
  .describe("a rule that must fire");

const ContainmentExpectation = z
  .strictObject({
    source: name.default("attacker").describe("the contained traffic source"),
    blocked: z.boolean().default(true).describe("a contain step blocked it (its alerts reached Tier 2)"),
    denied: z
      .boolean()
      .default(true)
      .describe(
        "the firewall denied and logged as denied everything it sent after the block, at least one event",
      ),
    ids_flagged: z
      .boolean()
      .default(false)
      .describe("the IDS raised its block-list signature (9101001) for it after the block"),
  })
  .describe("the outcome of the scenario's contain step");

/** The most occurrences one history entry may declare: a year of hourly checks. */
export const MAX_OCCURRENCES = 24 * 366;

const HistoryEntry = z
  .strictObject({
    steps: z
      .array(Step)
      .min(1)
      .describe("steps run in the lab before the scenario, recorded, and indexed at each past occurrence"),
    every: positiveDuration.optional().describe("how often they ran (with `for`), such as 1h"),
    for: positiveDuration
      .optional()
      .describe("over how long before the scenario, such as 14d: the latest run is `every` before it"),
    ago: z
      .array(positiveDuration)
      .min(1)
      .optional()
      .describe("single runs this long before the scenario, such as [9d]"),
  })
  .superRefine((entry, ctx) => {
    const periodic = entry.every !== undefined || entry.for !== undefined;
    if (
      periodic === (entry.ago !== undefined) ||
      (periodic && (entry.every === undefined || entry.for === undefined))
    )
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "give either every and for (every: 1h, for: 14d) or ago (ago: [9d]), not both",
      });
    else if (entry.every !== undefined && entry.for !== undefined) {
      const runs = Math.floor(entry.for / entry.every);
      if (runs < 1)
        ctx.addIssue({ code: "custom", path: ["for"], message: "for must be at least every: no run fits" });
      if (runs > MAX_OCCURRENCES)
        ctx.addIssue({
          code: "custom",
          path: ["for"],
          message: `${runs} runs; at most ${MAX_OCCURRENCES} (a year of hourly runs) per entry`,
        });
    }
    entry.steps.forEach((step, i) => {
      if (step.tool === "contain")
        ctx.addIssue({
          code: "custom",
          path: ["steps", i, "tool"],
          message: "contain decides on the scenario's own alerts; it has no place in history",
        });
    });
  })
  .describe("activity that happened before the scenario, produced for real and indexed in the past");

export const ScenarioSchema = z.strictObject({
  id: name,
  title: z.string().min(1),
  description: z.string().default(""),
  technique: z.string().regex(/^T1595(\.00[123])?$/, "T1595, T1595.001, T1595.002 or T1595.003"),
  tags: z.array(z.string()).default([]),
  context: z
    .string()
    .min(1)
    .optional()
    .describe(
      "an escalation context for this scenario only, relative to the scenario file (default: the run's)",
    ),
  lab: z.strictObject({
    targets: z.array(TargetSchema).min(1),
    hosts: z.array(HostSchema).default([]),
    sensors: z.array(z.enum(SENSORS)).default([]),
  }),
  history: z
    .array(HistoryEntry)
    .default([])
    .describe(
      "what the lab's sources did before the scenario: escalation reads it as history (seen before, active days, baseline)",
    ),
  steps: z.array(Step).min(1),
  expect: z.strictObject({
    logs: z
      .array(z.enum(LOG_SOURCES))
      .default([])
      .describe("sources that must hold every event the tools caused, with every record indexed"),
    ids_signatures: z
      .array(z.number().int().min(1))
      .default([])
      .describe("Suricata signature ids the IDS must raise"),
    alerts: z
      .array(AlertExpectation)
      .default([])
      .describe(
        "every rule that must fire: an alert not listed fails the scenario; a scenario listing none must set silent: true",
      ),
    absent: z
      .array(z.string().min(1))
      .default([])
      .describe("rules (rule_id or name) that must not fire for any source"),
    silent: z
      .boolean()
      .default(false)
      .describe("no rule may fire at all (benign traffic); required when alerts lists none"),
    containment: ContainmentExpectation.optional(),
  }),
});

export type ScenarioSpec = z.output<typeof ScenarioSchema>;
export type StepSpec = z.output<typeof Step>;
export type HistoryEntrySpec = ScenarioSpec["history"][number];
export type AlertExpectationSpec = ScenarioSpec["expect"]["alerts"][number];
