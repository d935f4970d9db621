import type { Tier } from "../core/vocabulary.js";
import type { Enrichment } from "./enrichment.js";

export type Action = "none" | "triage" | "investigate" | "block";

export interface NextAction {
  readonly action: Action;
  readonly message: string;
  /** The perimeter rule that blocks the source, ready to apply (nftables). */
  readonly firewallRule?: string;
}

/** The nftables rule that blocks a source at a perimeter firewall's forward chain, logging what it drops. */
export function blockRule(source: string): string {
  return `nft insert rule inet filter forward ip saddr ${source} counter log prefix "blocked scanner " drop`;
}

/**
 * The playbook's next step: nothing for a suppressed scanner; block at the firewall when the local
 * intel calls the source malicious; otherwise Tier 2 investigation or L1 triage, each with the
 * reputation check's result.
 */
export function recommendNextAction(tier: Tier, source: string, enrichment: Enrichment): NextAction {
  const reputation = `reputation check: ${enrichment.reputation.message}`;
  if (tier === "suppressed")
    return {
      action: "none",
      message: `suppressed: ${source} is an authorised scanner inside its engagement window`,
    };
  if (enrichment.reputation.verdict === "malicious")
    return {
      action: "block",
      message: `block ${source} at the perimeter firewall and add it to the IDS block list; ${reputation}`,
      firewallRule: blockRule(source),
    };
  if (tier === "tier2")
    return {
      action: "investigate",
      message: `Tier 2: investigate ${source} (targets, services, exploit attempts); ${reputation}; block it at the firewall if it proves malicious`,
      firewallRule: blockRule(source),
    };
  return { action: "triage", message: `L1 triage: confirm the activity and watch ${source}; ${reputation}` };
}
