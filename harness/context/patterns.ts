import { z } from "zod";
import { port, portList, transport } from "./fields.js";

export const CONFIDENCES = ["high", "medium", "low"] as const;

/**
 * The local file of known scanning patterns: recognisable campaigns and tools, described by what
 * the firewall sees — the port set, how many ports and hosts, the pace.
 */
export const PatternsSchema = z.strictObject({
  patterns: z
    .array(
      z
        .strictObject({
          name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, "a lower-case name of letters, digits and dashes"),
          tool: z.string().min(1),
          description: z.string().min(1),
          confidence: z.enum(CONFIDENCES),
          transport: transport.optional(),
          /** Every probed port lies in this set (and at least one was probed). */
          ports: portList.optional(),
          min_ports: port.optional(),
          max_ports: port.optional(),
          min_targets: z.number().int().min(1).optional(),
          /** Probes per second over the activity, first to last probe. */
          min_rate: z.number().positive().optional(),
          max_rate: z.number().positive().optional(),
          reference: z.string().min(1).optional(),
        })
        .refine(
          (p) =>
            [p.ports, p.min_ports, p.max_ports, p.min_targets, p.min_rate, p.max_rate].some(
              (c) => c !== undefined,
            ),
          "at least one of ports, min_ports, max_ports, min_targets, min_rate, max_rate (a pattern that matches everything says nothing)",
        )
        .superRefine((p, ctx) => {
          const inverted = (min: string, max: string, low: number | undefined, high: number | undefined) => {
            if (low !== undefined && high !== undefined && low > high)
              ctx.addIssue({
                code: "custom",
                path: [min],
                message: `${low} is above ${max} (${high}), so the pattern can never match; expected ${min} ≤ ${max}`,
              });
          };
          inverted("min_ports", "max_ports", p.min_ports, p.max_ports);
          inverted("min_rate", "max_rate", p.min_rate, p.max_rate);
          if (p.ports !== undefined && p.min_ports !== undefined && p.min_ports > p.ports.length)
            ctx.addIssue({
              code: "custom",
              path: ["min_ports"],
              message: `${p.min_ports} is more than the ${p.ports.length} ports the pattern allows, so it can never match; expected at most ${p.ports.length}`,
            });
        }),
    )
    .default([]),
});
export type PatternsFile = z.output<typeof PatternsSchema> & { readonly file: string };
export type ScanningPattern = PatternsFile["patterns"][number];

/** What the firewall saw of the source, as patterns describe it. */
export interface ScanShape {
  /** Distinct destination ports per transport, with the complete port list when it is short enough. */
  readonly transports: readonly string[];
  readonly distinctPorts: number;
  readonly ports?: readonly number[];
  readonly targets: number;
  readonly probes: number;
  readonly durationMs: number;
}

export interface PatternMatch {
  readonly name: string;
  readonly tool: string;
  readonly confidence: (typeof CONFIDENCES)[number];
  readonly description: string;
  /** Each condition of the pattern that held, in words. */
  readonly because: readonly string[];
}

/** Probes per second from first to last probe; a burst within one second counts as that second. */
export function probeRate(shape: ScanShape): number {
  return shape.probes / Math.max(1, shape.durationMs / 1000);
}

/** Every pattern all of whose conditions hold for the shape. */
export function matchPatterns(shape: ScanShape, file: PatternsFile | undefined): PatternMatch[] {
  return (file?.patterns ?? []).flatMap((p): PatternMatch[] => {
    const because = conditionsHeld(p, shape);
    return because === undefined
      ? []
      : [{ name: p.name, tool: p.tool, confidence: p.confidence, description: p.description, because }];
  });
}

function conditionsHeld(p: ScanningPattern, shape: ScanShape): string[] | undefined {
  const because: string[] = [];
  const rate = probeRate(shape);
  if (p.transport !== undefined) {
    if (shape.transports.length !== 1 || shape.transports[0] !== p.transport) return undefined;
    because.push(`only ${p.transport}`);
  }
  if (p.ports !== undefined) {
    const allowed = new Set(p.ports);
    if (shape.ports === undefined || shape.ports.length === 0 || !shape.ports.every((x) => allowed.has(x)))
      return undefined;
    because.push(`ports ${shape.ports.join(", ")} all in the pattern's set`);
  }
  if (p.min_ports !== undefined) {
    if (shape.distinctPorts < p.min_ports) return undefined;
    because.push(`${shape.distinctPorts} ports ≥ ${p.min_ports}`);
  }
  if (p.max_ports !== undefined) {
    if (shape.distinctPorts > p.max_ports) return undefined;
    because.push(`${shape.distinctPorts} ports ≤ ${p.max_ports}`);
  }
  if (p.min_targets !== undefined) {
    if (shape.targets < p.min_targets) return undefined;
    because.push(`${shape.targets} targets ≥ ${p.min_targets}`);
  }
  if (p.min_rate !== undefined) {
    if (rate < p.min_rate) return undefined;
    because.push(`${rate.toFixed(1)} probes/s ≥ ${p.min_rate}`);
  }
  if (p.max_rate !== undefined) {
    if (rate > p.max_rate) return undefined;
    because.push(`${rate.toFixed(1)} probes/s ≤ ${p.max_rate}`);
  }
  return because;
}
