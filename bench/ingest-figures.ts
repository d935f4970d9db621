import { ScanproofError } from "../harness/core/errors.js";
import type { LogSourceReport } from "../harness/logs/accounting.js";
import type { RunResult, Verdict } from "../harness/result.js";
import type { LogSourceName } from "../harness/core/vocabulary.js";
import { lossEvidence } from "./lib/container-logs.js";
import type { ResourcePeak } from "./lib/container-peaks.js";
import { firewallLogWindow, scenarioFirewallLog } from "./lib/firewall-log.js";
import { firstSeenAllMs, type CountSample } from "./lib/index-progress.js";
import { INGEST_SOURCES } from "./ingest-scenario.js";
import type { BenchHeader } from "./lib/session.js";

/** One log source at one rate: what the tool caused, what the sensor wrote, what was searchable. */
export interface SourceFigures {
  readonly source: LogSourceName;
  readonly expectedEvents: number;
  readonly seenEvents: number;
  readonly sensorRecords: number;
  readonly indexed: number;
  readonly parseFailures: number;
  /** From the end of masscan until a search first found every record the index ended up with. */
  readonly searchableAfterMs?: number;
  /** The harness's own wait: until its accounting saw everything, or gave up (sources one after another). */
  readonly ingestWaitMs: number;
  /** Probes the sensor never wrote: lost before its file, when the index holds every record it wrote. */
  readonly lostBeforeSensorFile: number;
  /** Records the sensor wrote that are not in the index. */
  readonly lostBetweenFileAndIndex: number;
  readonly firstMissing: readonly string[];
}

export interface RateFigures {
  readonly requestedPps: number;
  readonly scenarioId: string;
  readonly runId: string;
  readonly verdict: Verdict;
  readonly reason?: string;
  readonly probes: number;
  /** masscan's wall time in the attacker: start-up, sending, and the 3 s it waits for replies. */
  readonly masscanSeconds: number;
  /** Probes divided by masscan's wall time, as the ground truth records it. */
  readonly achievedPps: number;
  /** Records the firewall logged divided by the time between its first and its last one. */
  readonly firewallLoggedPps?: number;
  readonly sources: readonly SourceFigures[];
  readonly shipper?: ResourcePeak;
  readonly elasticsearch?: ResourcePeak;
  /** What each lab container said about lost, dropped or exported records. */
  readonly containerEvidence: Readonly<Record<string, readonly string[]>>;
}

export interface IngestBench extends BenchHeader {
  readonly backend: string;
  readonly rates: readonly RateFigures[];
}

export interface RateObservations {
  readonly requestedPps: number;
  readonly run: RunResult;
  readonly peaks: {
    readonly shipper: ResourcePeak | undefined;
    readonly elasticsearch: ResourcePeak | undefined;
  };
  readonly containerOutput: Readonly<Record<string, string>>;
  readonly indexCounts: Readonly<Record<LogSourceName, readonly CountSample[]>>;
}

export function sourceFigures(
  r: LogSourceReport,
  counts: readonly CountSample[],
  stepsEndedMs: number,
): SourceFigures {
  const lostBetweenFileAndIndex = Math.max(0, r.sensorRecords - r.indexed);
  const searchableAtMs = firstSeenAllMs(counts, r.indexed);
  return {
    source: r.source,
    expectedEvents: r.expectedEvents,
    seenEvents: r.seenEvents,
    sensorRecords: r.sensorRecords,
    indexed: r.indexed,
    parseFailures: r.parseFailures,
    ...(searchableAtMs === undefined ? {} : { searchableAfterMs: searchableAtMs - stepsEndedMs }),
    ingestWaitMs: r.ingestWaitMs,
    lostBeforeSensorFile: lostBetweenFileAndIndex === 0 ? r.expectedEvents - r.seenEvents : 0,
    lostBetweenFileAndIndex,
    firstMissing: r.missing,
  };
}

export function rateFigures(observed: RateObservations): RateFigures {
  const { run, requestedPps } = observed;
  const scenario = run.scenarios[0];
  if (!scenario) throw new ScanproofError(`Run ${run.runId} has no scenario result.`);
  const truth = scenario.groundTruth.find((t) => t.tool === "masscan");
  const probes = truth?.probes.length ?? 0;
  const masscanSeconds = truth ? (Date.parse(truth.endedAt) - Date.parse(truth.startedAt)) / 1000 : 0;
  const firewallLog = firewallLogWindow(scenarioFirewallLog(run.resultsDir, scenario.id));
  return {
    requestedPps,
    scenarioId: scenario.id,
    runId: run.runId,
    verdict: scenario.verdict,
    ...(scenario.reason === undefined ? {} : { reason: scenario.reason }),
    probes,
    masscanSeconds,
    achievedPps: masscanSeconds > 0 ? probes / masscanSeconds : 0,
    ...(firewallLog && firewallLog.seconds > 0
      ? { firewallLoggedPps: firewallLog.records / firewallLog.seconds }
      : {}),
    sources: scenario.logs
      .filter((r) => INGEST_SOURCES.includes(r.source))
      .map((r) =>
        sourceFigures(r, observed.indexCounts[r.source], Date.parse(truth?.endedAt ?? run.endedAt)),
      ),
    ...(observed.peaks.shipper ? { shipper: observed.peaks.shipper } : {}),
    ...(observed.peaks.elasticsearch ? { elasticsearch: observed.peaks.elasticsearch } : {}),
    containerEvidence: Object.fromEntries(
      Object.entries(observed.containerOutput).map(([name, output]) => [name, lossEvidence(output)]),
    ),
  };
}
