import type { estypes } from "@elastic/elasticsearch";
import type { Rule } from "../detection/rules/rule.js";

/**
 * How one point of an envelope is kept apart from the others in Elasticsearch: the rules see only
 * events stamped between the point's first probe and its last (with `slackMs` either side for the
 * sensors' clocks and flows stamped at their start), and their alerts and threshold history live in
 * a scope of the point's own.
 */
export interface PointWindow {
  readonly start: Date;
  readonly end: Date;
}

/** Sensor records of a point are stamped within this much of the scanner's own start and end. */
export const POINT_SLACK_MS = 1_000;

export function pointWindow(startedAt: string, endedAt: string, slackMs = POINT_SLACK_MS): PointWindow {
  return {
    start: new Date(Date.parse(startedAt) - slackMs),
    end: new Date(Date.parse(endedAt) + slackMs),
  };
}

/** The filter that confines a search to the point's events. */
export function pointFilter(window: PointWindow): estypes.QueryDslQueryContainer {
  return {
    range: { "@timestamp": { gte: window.start.toISOString(), lte: window.end.toISOString() } },
  };
}

/** Two points' windows share no moment: events of one can never count for the other. */
export function windowsOverlap(a: PointWindow, b: PointWindow): boolean {
  return a.start.getTime() <= b.end.getTime() && b.start.getTime() <= a.end.getTime();
}

/** At most this many scheduled executions cover one point (a slow point and a rule run every minute). */
export const MAX_EXECUTIONS_PER_POINT = 60;

/**
 * When the rule runs over a point, as Kibana's schedule would: one execution once every event of the
 * point is searchable (`searchableAt`, and no earlier than its window reaching the point's end), and
 * the executions one interval apart before it as long as their windows still reach into the point,
 * oldest first. A rule whose window reads `event.ingested` (Elastic's timestamp override) sees the
 * point only from when it was indexed, so the last execution must not come before that. The phase is
 * the one most favourable to the rule (a scan that fits its look-back is seen whole); a point longer
 * than the look-back is seen in the overlapping pieces the schedule gives it.
 */
export function executionMoments(
  rule: Pick<Rule, "lookbackMs" | "endOffsetMs" | "intervalMs">,
  window: PointWindow,
  searchableAt: Date = window.end,
): Date[] {
  const last = Math.max(window.end.getTime() + rule.endOffsetMs, searchableAt.getTime());
  const moments: Date[] = [];
  for (let k = 0; k < MAX_EXECUTIONS_PER_POINT; k++) {
    const at = last - k * rule.intervalMs;
    if (k > 0 && at - rule.endOffsetMs < window.start.getTime()) break;
    moments.push(new Date(at));
    if (rule.intervalMs <= 0) break;
  }
  return moments.reverse();
}

/** Where a point's alerts and threshold history are kept, apart from every other point's. */
export function pointScopeKey(runId: string, dimension: string, index: number): string {
  return `${runId}/envelope/${dimension}/${index}`;
}
