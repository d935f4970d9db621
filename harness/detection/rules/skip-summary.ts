import type { RuleSet } from "./rule.js";

/** Why ES|QL rules are not run before a backend is up to answer for ES|QL. */
export const ESQL_PENDING = "ES|QL: decided by asking the backend when a run starts";

/** How many rule files were not loaded for each reason, most frequent first (ties by reason). */
export function skipReasonCounts(set: RuleSet): { reason: string; count: number }[] {
  const counts = new Map<string, number>();
  const add = (reason: string): void => void counts.set(reason, (counts.get(reason) ?? 0) + 1);
  for (const s of set.skipped) add(s.reason);
  if (set.esql.length > 0) counts.set(ESQL_PENDING, set.esql.length);
  return [...counts]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}
