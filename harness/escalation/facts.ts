import type { ProbedPort } from "../context/services.js";
import type { PostScanEvents } from "./post-scan-events.js";

/**
 * Everything the escalation decision reads about one alert, gathered from Elasticsearch
 * (gather-facts.ts) or from a recorded fixture: plain data, no behaviour.
 */
export interface EscalationFacts {
  readonly source: string;
  readonly detection: {
    readonly id: string;
    readonly ruleId: string;
    readonly ruleName: string;
    readonly firstSeen: string;
    readonly lastSeen: string;
  };
  /** The hosts the detection names (its destination, or every destination of its events). */
  readonly targets: readonly string[];
  /**
   * When the source's current activity began: its first event after the last silence of the
   * context's `activity_gap`, at most `activity_window` before the detection. What came before is
   * the source's history; the activity's own events never are.
   */
  readonly activityStart: string;
  /** Events from the source within the history window before its activity began. */
  readonly priorEvents: number;
  readonly history: SourceHistory;
  readonly activity: SourceActivity;
  /** Firewall events from every source in the history window before the activity began. */
  readonly baseline: { readonly events: number; readonly spanMs: number };
  /**
   * Detection rules that alerted for the source in the activity window, this one and the rest of its
   * execution included, each with the ATT&CK (sub-)techniques it maps to.
   */
  readonly rules: readonly FiredRule[];
  /** IDS alerts from the source, from the start of its activity to the end of the exploit window. */
  readonly ids: readonly IdsSignature[];
  /** Other alerts in the history window for the same rule or the same source. */
  readonly similar: readonly SimilarAlert[];
  /** Other sources that probed the same targets and ports during the source's activity. */
  readonly decoys: readonly { readonly source: string; readonly sharedPorts: number }[];
  /** What the source and the hosts it scanned did after the scan, and those hosts' past. */
  readonly postScan: PostScanEvents;
}

/** The source across every log source over the history window, the current activity included. */
export interface SourceHistory {
  readonly events: number;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  /** UTC days (YYYY-MM-DD) with an event before the activity began, and the day it began. */
  readonly activeDays: readonly string[];
  /**
   * The days the source raised alerts, each a 24-hour period counted back from the activity's start:
   * the activity's own (it and the 24 hours before it) last, and before it each earlier period in
   * which an alert names the source, as the minute of the period's last alert (UTC, "…T07:30Z"). A
   * source merely seen on other days did not scan on them.
   */
  readonly alertDays: readonly string[];
  readonly targets: readonly string[];
  /** The most probed destination ports, most first. */
  readonly ports: readonly number[];
  readonly methods: readonly string[];
}

/** What the firewall saw of the source from the start of its activity to the detection's last event. */
export interface SourceActivity {
  readonly probes: number;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  readonly targets: readonly string[];
  readonly distinctPorts: number;
  /** Every probed port when there are at most PORT_LIST_LIMIT of them, else undefined. */
  readonly ports?: readonly number[];
  readonly topPorts: readonly { readonly port: number; readonly probes: number }[];
  readonly transports: readonly string[];
  /** Every port probed, per transport (none for ICMP), ascending. */
  readonly services: readonly { readonly transport: string; readonly ports: readonly number[] }[];
  /** Every UTC minute (ISO, seconds zero) in which the source sent a probe, oldest first. */
  readonly minutes: readonly string[];
  /** TCP flag sets of the probes as the firewall logged them ("S", "A", "F", "FPU", ""). */
  readonly tcpFlags: readonly string[];
  /** Probes to the ports the inventory, the advisories and the patterns care about. */
  readonly probedPorts: readonly ProbedPort[];
  /** The longest run of single probes each at least the slow-scan interval after the previous. */
  readonly slowestRun: { readonly probes: number; readonly minGapMs?: number };
  /** Probes sent from each trusted source port, and how many destination ports they reached. */
  readonly trustedSourcePorts: readonly {
    readonly port: number;
    readonly probes: number;
    readonly destinationPorts: number;
  }[];
}

export interface IdsSignature {
  readonly id: string;
  readonly name: string;
  readonly category: string;
  readonly tools: readonly string[];
  readonly evasion: readonly string[];
  readonly containment: boolean;
  readonly count: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

export interface SimilarAlert {
  readonly id: string;
  readonly ruleName: string;
  readonly source?: string;
  readonly at: string;
  readonly tier?: string;
}

export const PORT_LIST_LIMIT = 1000;

export interface FiredRule {
  readonly id: string;
  readonly name: string;
  /** The most specific ATT&CK ids of the rule's mapping: sub-techniques, else techniques. */
  readonly techniques: readonly string[];
}
