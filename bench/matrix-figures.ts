import type { FirstAlerts } from "./lib/alert-watch.js";
import { firewallLogWindow, scenarioFirewallLog } from "./lib/firewall-log.js";
import type { DetectorReport } from "./lib/detector-logs.js";
import { spread } from "./lib/stats.js";
import type { Scenario } from "../harness/scenario/load.js";
import type { ScenarioResult } from "../harness/result.js";

export const CONTENDERS = ["scanproof", "elastic", "psad", "scanlogd"] as const;
export type Contender = (typeof CONTENDERS)[number];

export const CONTENDER_TITLES: Record<Contender, string> = {
  scanproof: "scanproof rule pack",
  elastic: "Elastic prebuilt rules (scanproof engine)",
  psad: "psad",
  scanlogd: "scanlogd",
};

export interface Detection {
  readonly detected: boolean;
  /** From the scan's first packet until the first alert was searchable or the detector logged the scan. */
  readonly detectMs?: number;
  /** detectMs divided by scanproof's, when both detected. */
  readonly ratioToScanproof?: number;
  /** Rule ids that fired, or the detector's first lines. */
  readonly evidence: readonly string[];
}

export interface MatrixRow {
  readonly scenario: string;
  readonly technique: string;
  readonly benign: boolean;
  readonly verdict: string;
  readonly reason?: string;
  readonly detections: Readonly<Record<Contender, Detection>>;
}

export interface ContenderSummary {
  readonly contender: Contender;
  readonly attacksDetected: number;
  readonly attacks: number;
  readonly falsePositives: number;
  readonly benign: number;
  /** Median of the per-scenario time ratios to scanproof, over scenarios both detected. */
  readonly medianRatio?: number;
}

/**
 * A scenario counts as benign when it demands silence, is tagged benign, or is an authorised
 * scanner's: every alert it expects is suppressed.
 */
export function isBenign(scenario: Scenario): boolean {
  const alerts = scenario.expect.alerts;
  return (
    scenario.expect.silent ||
    scenario.tags.includes("benign") ||
    (alerts.length > 0 && alerts.every((a) => a.tier === "suppressed"))
  );
}

export interface RowInputs {
  readonly scenario: Scenario;
  readonly variantId: string;
  readonly result: ScenarioResult | undefined;
  readonly resultsDir: string;
  readonly firstAlerts: FirstAlerts;
  readonly ruleSets: Readonly<Record<"scanproof" | "elastic", ReadonlySet<string>>>;
  readonly reports: Readonly<Record<"psad" | "scanlogd", readonly DetectorReport[]>>;
}

/**
 * When the scan started: the firewall's first logged packet (microseconds), or else the tools' own
 * start times (nmap reports whole seconds).
 */
function scanStartedMs(result: ScenarioResult | undefined, resultsDir: string): number | undefined {
  if (!result) return undefined;
  const logged = firewallLogWindow(scenarioFirewallLog(resultsDir, result.id));
  if (logged) return logged.firstMs;
  const starts = result.groundTruth.map((t) => Date.parse(t.startedAt));
  return starts.length > 0 ? Math.min(...starts) : undefined;
}

export function matrixRow(inputs: RowInputs): MatrixRow {
  const { scenario, result } = inputs;
  const start = scanStartedMs(result, inputs.resultsDir);
  // A detector on the packet path may log within a millisecond of the firewall's own first record,
  // and the two clocks' records can come out a fraction of a millisecond apart either way.
  const since = (atMs: number | undefined) =>
    atMs === undefined || start === undefined ? {} : { detectMs: Math.max(0, atMs - start) };
  // An alert escalation suppressed (an allow-listed scanner) asks nothing of an analyst.
  const actionable = new Set(result?.alerts.filter((a) => a.tier !== "suppressed").map((a) => a.ruleId));
  const fromRules = (ids: ReadonlySet<string>) => {
    const fired = [...(inputs.firstAlerts.get(inputs.variantId) ?? new Map<string, number>())].filter(
      ([rule]) => ids.has(rule) && actionable.has(rule),
    );
    const earliest = fired.length > 0 ? Math.min(...fired.map(([, at]) => at)) : undefined;
    return { detected: fired.length > 0, ...since(earliest), evidence: fired.map(([rule]) => rule) };
  };
  const fromReports = (reports: readonly DetectorReport[]) => ({
    detected: reports.length > 0,
    ...since(reports[0] ? Date.parse(reports[0].at) : undefined),
    evidence: reports.slice(0, 3).map((r) => r.line.replace(/^\S+ /, "")),
  });
  const raw: Record<Contender, Omit<Detection, "ratioToScanproof">> = {
    scanproof: fromRules(inputs.ruleSets.scanproof),
    elastic: fromRules(inputs.ruleSets.elastic),
    psad: fromReports(inputs.reports.psad),
    scanlogd: fromReports(inputs.reports.scanlogd),
  };
  const reference = raw.scanproof.detectMs;
  const detections = Object.fromEntries(
    CONTENDERS.map((c) => {
      const d = raw[c];
      const ratio =
        d.detectMs !== undefined && reference !== undefined && reference > 0
          ? { ratioToScanproof: d.detectMs / reference }
          : {};
      return [c, { ...d, ...ratio }];
    }),
  ) as Record<Contender, Detection>;
  return {
    scenario: scenario.id,
    technique: scenario.technique,
    benign: isBenign(scenario),
    verdict: result?.verdict ?? "error",
    ...(result?.reason === undefined ? {} : { reason: result.reason }),
    detections,
  };
}

/** Per contender over the rows that ran (errored rows say nothing about detection). */
export function summarise(rows: readonly MatrixRow[]): ContenderSummary[] {
  const ran = rows.filter((r) => r.verdict !== "error");
  const attacks = ran.filter((r) => !r.benign);
  const benign = ran.filter((r) => r.benign);
  return CONTENDERS.map((contender) => {
    const ratio = spread(
      attacks.flatMap((r) => {
        const value = r.detections[contender].ratioToScanproof;
        return value === undefined ? [] : [value];
      }),
    );
    return {
      contender,
      attacksDetected: attacks.filter((r) => r.detections[contender].detected).length,
      attacks: attacks.length,
      falsePositives: benign.filter((r) => r.detections[contender].detected).length,
      benign: benign.length,
      ...(ratio ? { medianRatio: ratio.median } : {}),
    };
  });
}
