import { z } from "zod";

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration written as a number and one unit: "3s", "10m", "1h", "30d"; read as milliseconds. */
export const duration = z
  .string({ error: 'a duration such as "30d", "12h", "10m" or "3s"' })
  .regex(/^\d+[smhd]$/, 'a duration such as "30d", "12h", "10m" or "3s"')
  .transform((v) => Number.parseInt(v, 10) * UNIT_MS[v.slice(-1) as keyof typeof UNIT_MS]);

/** A duration that spans time: a window of "0s" holds no event, so it is refused. */
export const positiveDuration = duration.refine(
  (ms) => ms > 0,
  'a window longer than zero, such as "30d", "12h", "10m" or "3s"',
);

/** The way a duration is written back for people: the largest unit that divides it. */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms % UNIT_MS.d === 0) return `${ms / UNIT_MS.d} day${ms === UNIT_MS.d ? "" : "s"}`;
  if (ms > 0 && ms % UNIT_MS.h === 0) return `${ms / UNIT_MS.h} h`;
  if (ms > 0 && ms % UNIT_MS.m === 0) return `${ms / UNIT_MS.m} min`;
  return `${Math.round(ms / 100) / 10} s`;
}
