import { ScanproofError } from "../core/errors.js";

/** One measured point of a search: where it was and each contender's outcome there. */
export interface Measured<P> {
  readonly index: number;
  readonly point: P;
  readonly detected: Readonly<Record<string, boolean>>;
}

/** A contender's bracket as indices into the searched values. */
export interface Bracket {
  readonly contender: string;
  readonly lastDetected?: number;
  readonly firstMissed?: number;
  readonly monotone: boolean;
}

export interface BoundarySearch<P> {
  /** Every point measured, in the order it was measured. */
  readonly measured: readonly Measured<P>[];
  readonly brackets: readonly Bracket[];
}

/**
 * Searches ordered values (most detectable first) for the index where each contender stops
 * detecting, by bisection: both ends first, then the middle of the widest open bracket of any
 * contender, until every bracket is two neighbouring indices (or `maxPoints` were measured).
 * `measure` runs one point for every contender at once, so a point measured for one contender
 * narrows the others' brackets too.
 */
export async function searchBoundaries<P>(options: {
  readonly count: number;
  readonly contenders: readonly string[];
  readonly measure: (index: number) => Promise<{ point: P; detected: Record<string, boolean> }>;
  readonly maxPoints?: number;
}): Promise<BoundarySearch<P>> {
  const { count, contenders } = options;
  if (count < 2) throw new ScanproofError(`a boundary search needs at least two values, got ${count}`);
  const maxPoints = options.maxPoints ?? Number.POSITIVE_INFINITY;
  const measured: Measured<P>[] = [];
  const byIndex = new Map<number, Measured<P>>();
  const measureAt = async (index: number): Promise<void> => {
    const { point, detected } = await options.measure(index);
    const missing = contenders.filter((c) => detected[c] === undefined);
    if (missing.length > 0) throw new ScanproofError(`point ${index}: no outcome for ${missing.join(", ")}`);
    const m = { index, point, detected };
    measured.push(m);
    byIndex.set(index, m);
  };
  await measureAt(0);
  await measureAt(count - 1);
  for (;;) {
    if (measured.length >= maxPoints) break;
    const open = contenders
      .map((c) => openBracket(c, byIndex, count))
      .filter((b): b is { lo: number; hi: number } => b !== undefined && b.hi - b.lo > 1)
      .sort((a, b) => b.hi - b.lo - (a.hi - a.lo));
    const widest = open[0];
    if (!widest) break;
    await measureAt(Math.floor((widest.lo + widest.hi) / 2));
  }
  return { measured, brackets: contenders.map((c) => bracketOf(c, byIndex, count)) };
}

/**
 * A contender's bracket as bisection narrows it: from the detected first value, follow the measured
 * points inward, each detection moving the low end up and each miss the high end down.
 */
function openBracket<P>(
  contender: string,
  byIndex: ReadonlyMap<number, Measured<P>>,
  count: number,
): { lo: number; hi: number } | undefined {
  if (!byIndex.get(0)?.detected[contender] || byIndex.get(count - 1)?.detected[contender] !== false)
    return undefined;
  let lo = 0;
  let hi = count - 1;
  for (;;) {
    const inside = [...byIndex.keys()].filter((i) => i > lo && i < hi).sort((a, b) => a - b);
    if (inside.length === 0) return { lo, hi };
    const mid = Math.floor((lo + hi) / 2);
    const next = inside.reduce((best, i) => (Math.abs(i - mid) < Math.abs(best - mid) ? i : best));
    if (byIndex.get(next)?.detected[contender]) lo = next;
    else hi = next;
  }
}

function bracketOf<P>(contender: string, byIndex: ReadonlyMap<number, Measured<P>>, count: number): Bracket {
  const points = [...byIndex.values()].sort((a, b) => a.index - b.index);
  const monotone = isMonotone(points.map((p) => p.detected[contender] === true));
  const open = openBracket(contender, byIndex, count);
  if (open) return { contender, lastDetected: open.lo, firstMissed: open.hi, monotone };
  if (byIndex.get(0)?.detected[contender] !== true) return { contender, firstMissed: 0, monotone };
  return { contender, lastDetected: count - 1, monotone };
}

/** Detected points all come before missed ones. */
export function isMonotone(outcomes: readonly boolean[]): boolean {
  const firstMiss = outcomes.indexOf(false);
  return firstMiss < 0 || !outcomes.slice(firstMiss).includes(true);
}
