import type { Rule } from "./rule.js";

/** The time range one search of a rule execution covers, inclusive at both ends. */
export interface ExecutionWindow {
  readonly gte: Date;
  readonly lte: Date;
}

/** Kibana searches at most this many extra intervals back to cover missed executions. */
export const MAX_CATCHUP_INTERVALS = 4;

export interface ExecutionPlan {
  /** Oldest first: the regular window last, catch-up windows for missed executions before it. */
  readonly windows: readonly ExecutionWindow[];
  /** Time since the previous execution that no window covers, even after catching up. */
  readonly uncoveredMs: number;
}

/**
 * Kibana's rule range tuples: the window `from`..`to` before the start of the execution and, when
 * the previous execution started longer ago than the window is long, up to four earlier windows of
 * the same length, each one interval further back, to cover what the missed executions would have.
 */
export function planExecution(
  rule: Pick<Rule, "lookbackMs" | "endOffsetMs" | "intervalMs">,
  startedAt: Date,
  previousStartedAt?: Date,
): ExecutionPlan {
  const shifted = (back: number): ExecutionWindow => ({
    gte: new Date(startedAt.getTime() - rule.lookbackMs - back),
    lte: new Date(startedAt.getTime() - rule.endOffsetMs - back),
  });
  const gapMs = previousStartedAt
    ? startedAt.getTime() - previousStartedAt.getTime() - (rule.lookbackMs - rule.endOffsetMs)
    : 0;
  const catchup =
    gapMs > 0 && rule.intervalMs > 0
      ? Math.min(Math.ceil(gapMs / rule.intervalMs), MAX_CATCHUP_INTERVALS)
      : 0;
  const windows = Array.from({ length: catchup + 1 }, (_, i) => shifted((catchup - i) * rule.intervalMs));
  return { windows, uncoveredMs: Math.max(gapMs - catchup * rule.intervalMs, 0) };
}

/**
 * Why a rule cannot be scheduled at this interval, if it cannot: at "0s" the next execution is
 * always due at once, so the scheduler would never wait and no window would cover any time.
 */
export function intervalProblem(intervalMs: number): string | undefined {
  return intervalMs > 0
    ? undefined
    : 'a rule must run at an interval longer than zero; expected one such as "5m"';
}

/** When a rule runs next: one interval after its previous start, or at once when that is past. */
export function nextStart(intervalMs: number, previousStartedAt: Date, finishedAt: Date): Date {
  return new Date(Math.max(previousStartedAt.getTime() + intervalMs, finishedAt.getTime()));
}
