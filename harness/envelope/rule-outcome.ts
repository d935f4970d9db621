import type { Backend } from "../backend/backend.js";
import { ScanproofError } from "../core/errors.js";
import { inPool } from "../core/pool.js";
import { executeRule } from "../detection/live/engine.js";
import type { Rule } from "../detection/rules/rule.js";
import type { StartedLab } from "../lab/started-lab.js";
import { scenarioFilter } from "../logs/accounting.js";
import { executionMoments, pointFilter, type PointWindow } from "./point-window.js";

/** Rules evaluated at once over a point: the engine's own searches run four at a time. */
const RULES_AT_ONCE = 2;

/**
 * Whether each rule alerts on one point's events: the rule runs at the moments its schedule gives
 * the point (the last once every event of it was searchable, `searchableAt`), over the lab's events stamped within the point's window only, in the point's own
 * alert scope. Alerts are not escalated: the envelope asks whether a rule fires, not what tier.
 * A rule whose search fails leaves no outcome, so the point is refused; a rule the engine skips (its
 * indices or fields are not in the lab) counts as missing the point, and `skipped` says why.
 */
export async function rulesDetected(
  backend: Backend,
  rules: readonly Rule[],
  lab: Pick<StartedLab, "runId" | "scenarioId">,
  window: PointWindow,
  scopeKey: string,
  searchableAt: Date,
): Promise<{ detected: Record<string, boolean>; skipped: Record<string, string> }> {
  const scope = {
    filters: [...scenarioFilter(lab), pointFilter(window)],
    key: scopeKey,
    labels: { runId: lab.runId, scenarioId: lab.scenarioId },
  };
  const outcomes = await inPool(rules, RULES_AT_ONCE, async (rule) => {
    let fired = false;
    for (const startedAt of executionMoments(rule, window, searchableAt)) {
      const execution = await executeRule(backend, rule, {
        startedAt,
        scope,
        escalate: () => Promise.resolve({}),
      });
      if (execution.failed !== undefined)
        throw new ScanproofError(`rule "${rule.name}" could not search this point: ${execution.failed}`);
      if (execution.skipped !== undefined) return { rule, fired: false, skipped: execution.skipped };
      fired ||= execution.alerts.length + execution.alreadyAlerted > 0;
    }
    return { rule, fired };
  });
  return {
    detected: Object.fromEntries(outcomes.map((o) => [o.rule.ruleId, o.fired])),
    skipped: Object.fromEntries(
      outcomes.flatMap((o) => (o.skipped === undefined ? [] : [[o.rule.ruleId, o.skipped]])),
    ),
  };
}
