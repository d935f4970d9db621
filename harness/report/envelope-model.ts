import { z } from "zod";

/**
 * What `scanproof envelope` measured: for each dimension of a scan, every point the search probed
 * with each contender's outcome there, and each contender's boundary as the two measured points
 * around it. Values of a dimension are ordered from the most detectable to the most evasive.
 */
export const EnvelopeDimensionName = z.enum(["vertical", "horizontal", "pace"]);
export type EnvelopeDimensionName = z.output<typeof EnvelopeDimensionName>;

const ContenderKind = z.enum(["rule", "detector"]);

export const EnvelopeContenderSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  kind: ContenderKind,
  /** Whose it is: scanproof's pack, the user's rules, Elastic's published rules, psad, scanlogd. */
  origin: z.string().min(1),
  /** A rule's rule_id: what matches it across origins and runs when two envelopes are compared. */
  ruleId: z.string().optional(),
  /** Why it could not be judged at some points (a rule the engine skipped), when it could not. */
  note: z.string().optional(),
});
export type EnvelopeContender = z.output<typeof EnvelopeContenderSchema>;

export const EnvelopePointSchema = z.strictObject({
  value: z.number(),
  startedAt: z.string(),
  endedAt: z.string(),
  /** What the scanner ran at this point. */
  command: z.string(),
  /** Contender id → detected. */
  detected: z.record(z.string(), z.boolean()),
});
export type EnvelopePoint = z.output<typeof EnvelopePointSchema>;

/**
 * Where detection stops for one contender: the most evasive measured value still detected and the
 * least evasive measured value missed. One of them is absent when the contender detected every
 * point (no miss measured) or none (no detection measured). `monotone` is false when a measured
 * point contradicts the boundary (detected beyond a miss): the bracket is then a local one.
 */
export const EnvelopeBoundarySchema = z.strictObject({
  contender: z.string(),
  lastDetected: z.number().optional(),
  firstMissed: z.number().optional(),
  monotone: z.boolean(),
});
export type EnvelopeBoundary = z.output<typeof EnvelopeBoundarySchema>;

export const EnvelopeDimensionSchema = z.strictObject({
  name: EnvelopeDimensionName,
  title: z.string(),
  unit: z.string(),
  /** How the search space runs: "down" when fewer is more evasive (size), "up" when more is (pace). */
  evasive: z.enum(["down", "up"]),
  /** The searched range, most detectable first. */
  range: z.tuple([z.number(), z.number()]),
  /** What stays fixed while this dimension varies. */
  fixed: z.string(),
  points: z.array(EnvelopePointSchema),
  boundaries: z.array(EnvelopeBoundarySchema),
  durationMs: z.number(),
});
export type EnvelopeDimension = z.output<typeof EnvelopeDimensionSchema>;

export const EnvelopeResultSchema = z.strictObject({
  kind: z.literal("scanproof-envelope"),
  runId: z.string(),
  startedAt: z.string(),
  durationMs: z.number(),
  /** How the points were kept apart (time windows, detector restarts): stated in every result. */
  isolation: z.string(),
  /** Who sent every scan, and from which address. */
  source: z.string(),
  contenders: z.array(EnvelopeContenderSchema),
  dimensions: z.array(EnvelopeDimensionSchema),
});
export type EnvelopeResult = z.output<typeof EnvelopeResultSchema>;
