import type { AdvisoryMatch } from "../context/advisories.js";
import type { AllowListEntry } from "../context/context.js";
import type { Reputation } from "../context/intel.js";
import type { PatternMatch } from "../context/patterns.js";
import type { TargetedService } from "../context/services.js";
import type { EscalationFacts, IdsSignature } from "./facts.js";
import type { PostScanFinding } from "./post-scan.js";
import type { AssetReview } from "./asset-review.js";

/** What an escalation says about an alert: its reasons and the analyst's enrichment. */

export const REASON_CODES = [
  "authorised-scanner",
  "authorised-scanner-outside-window",
  "external-never-seen",
  "critical-target",
  "persistent-activity",
  "range-of-services",
  "several-methods",
  "evasion-slow-scan",
  "evasion-fragmentation",
  "evasion-source-port",
  "evasion-decoys",
  "known-vulnerable-service",
  "exploit-attempt",
  "post-scan-login",
  "post-scan-outbound",
  "post-scan-exfiltration",
  "post-scan-follow-up",
  "malicious-reputation",
  "declared-infrastructure",
  "infrastructure-outside-declaration",
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface Reason {
  readonly code: ReasonCode;
  readonly message: string;
}

export interface DeclaredInfrastructure {
  readonly name: string;
  readonly role: string;
  readonly owner: string;
  readonly source: string;
  readonly targets: readonly string[];
  /** Declared services as written: "22/tcp", "1-1024/tcp", "icmp". */
  readonly services: readonly string[];
  readonly schedule?: { readonly days?: readonly string[]; readonly hours?: string };
  readonly tier: "suppressed" | "l1";
  /** Where the activity left the declaration; empty: inside it. */
  readonly outside: readonly string[];
}

/** What scanproof looked up about the alert: the analyst's enrichment steps, done. */
export interface Enrichment {
  /** The hosts the detection names. */
  readonly targets: readonly string[];
  /** What the firewall saw of the source in the activity window. */
  readonly activity: Omit<
    EscalationFacts["activity"],
    "ports" | "services" | "minutes" | "probedPorts" | "slowestRun" | "trustedSourcePorts"
  >;
  /** Every IDS alert from the source around the scan. */
  readonly idsSignatures: readonly IdsSignature[];
  readonly internal: boolean;
  readonly allowList?: AllowListEntry & { readonly inWindow: boolean };
  /** The declared infrastructure the source belongs to, and every way its activity left the declaration. */
  readonly infrastructure?: DeclaredInfrastructure;
  readonly reputation: Reputation;
  readonly history: EscalationFacts["history"] & { readonly priorEvents: number };
  readonly targetedServices: readonly TargetedService[];
  readonly advisories: readonly AdvisoryMatch[];
  readonly exploitAttempts: readonly IdsSignature[];
  /** What the source and the hosts it scanned did after the scan, each with its evidence. */
  readonly postScan: readonly PostScanFinding[];
  /** The playbook's asset review of every scanned host. */
  readonly assetReview: readonly AssetReview[];
  readonly patterns: readonly PatternMatch[];
  readonly methods: readonly string[];
}
