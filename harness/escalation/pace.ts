/** Probes counted in one slice of time (a date histogram bucket: its start in epoch ms). */
export interface PaceBucket {
  readonly at: number;
  readonly probes: number;
}

/**
 * The longest run of single probes each at least `minIntervalMs` after the previous one — the
 * signature of a scan paced to stay under rate-based detectors (nmap -T1/-T0, --scan-delay). A
 * slice holding two or more probes is a burst and breaks the run. Buckets must be in time order.
 */
export function longestSpacedRun(
  buckets: readonly PaceBucket[],
  minIntervalMs: number,
): { probes: number; minGapMs?: number } {
  let best: { probes: number; minGapMs?: number } = { probes: 0 };
  let run = 0;
  let runMinGap = Number.POSITIVE_INFINITY;
  let previous: PaceBucket | undefined;
  for (const b of buckets) {
    const gap = previous === undefined ? Number.POSITIVE_INFINITY : b.at - previous.at;
    if (b.probes !== 1) {
      run = 0;
      runMinGap = Number.POSITIVE_INFINITY;
    } else if (run > 0 && gap >= minIntervalMs) {
      run += 1;
      runMinGap = Math.min(runMinGap, gap);
    } else {
      run = 1;
      runMinGap = Number.POSITIVE_INFINITY;
    }
    if (run > best.probes) best = run > 1 ? { probes: run, minGapMs: runMinGap } : { probes: run };
    previous = b;
  }
  return best;
}
