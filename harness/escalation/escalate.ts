import type { Tier } from "../scenario/schema.js";
import { inRanges, type EscalationContext } from "./context.js";
import type { Asset } from "./inventory.js";

export type ReasonCode = "external-never-seen" | "critical-target" | "authorised-scanner";

export interface Reason {
  readonly code: ReasonCode;
  readonly message: string;
}

export interface Escalation {
  readonly tier: Tier;
  readonly reasons: readonly Reason[];
}

/** The facts about one detection that the playbook's decision needs. */
export interface EscalationFacts {
  readonly source: string;
  readonly targets: readonly string[];
  /** Events from the source before the detection's window, within the history window. */
  readonly priorEvents: number;
  readonly at: Date;
}

/**
 * The playbook's "Decision for Escalation": an authorised scanner inside its engagement window is
 * suppressed; an external source never seen before, or any critical target, goes to Tier 2;
 * everything else is L1 triage. Every reason is machine-readable and says why in words.
 */
export function escalate(
  facts: EscalationFacts,
  context: EscalationContext,
  inventory: readonly Asset[],
): Escalation {
  const day = facts.at.toISOString().slice(0, 10);
  const authorised = context.allow_list.find(
    (a) =>
      inRanges(facts.source, [a.source]) &&
      (a.valid_from === undefined || a.valid_from <= day) &&
      (a.valid_until === undefined || day <= a.valid_until),
  );
  if (authorised) {
    return {
      tier: "suppressed",
      reasons: [
        {
          code: "authorised-scanner",
          message: `${facts.source} is ${authorised.owner}'s authorised scanner (${authorised.purpose})`,
        },
      ],
    };
  }
  const reasons: Reason[] = [];
  const historyDays = Math.round(context.history_window / 86_400_000);
  if (!inRanges(facts.source, context.internal_networks) && facts.priorEvents === 0) {
    reasons.push({
      code: "external-never-seen",
      message: `${facts.source} is outside the internal networks and has no events in the ${historyDays} days before this activity`,
    });
  }
  const critical = inventory.filter((a) => a.criticality === "critical" && facts.targets.includes(a.address));
  for (const asset of critical) {
    reasons.push({
      code: "critical-target",
      message: `targets ${asset.name} (${asset.address}), a critical system: ${asset.why}`,
    });
  }
  return { tier: reasons.length > 0 ? "tier2" : "l1", reasons };
}
