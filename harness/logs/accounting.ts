import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../backend/backend.js";
import { SOURCE_INDEX } from "../backend/templates.js";
import type { StartedLab } from "../lab/lab.js";
import type { LogSourceName } from "../scenario/schema.js";
import { distinctProbes, probeKey, type GroundTruth, type Probe } from "../scanners/ground-truth.js";

export const PARSE_FAILURE_TAG = "scanproof_parse_failure";
const MISSING_SHOWN = 20;

/** Expected versus arrived for one log source of one scenario. */
export interface LogSourceReport {
  readonly source: LogSourceName;
  readonly index: string;
  /** Records the sensor wrote (lines of its raw log). */
  readonly sensorRecords: number;
  /** Documents of this scenario in the source's index. */
  readonly indexed: number;
  /** Indexed documents the shipper could not parse (kept, tagged, counted). */
  readonly parseFailures: number;
  /** Distinct probes the tools reported, and how many of them the source shows. */
  readonly probesExpected: number;
  readonly probesSeen: number;
  readonly missing: readonly Probe[];
  /** From the end of the last step until every sensor record was searchable. */
  readonly ingestWaitMs: number;
}

export function findLogReport(
  logs: readonly LogSourceReport[],
  source: LogSourceName,
): LogSourceReport | undefined {
  return new Map(logs.map((l) => [l.source, l])).get(source);
}

export function scenarioFilter(
  lab: Pick<StartedLab, "runId" | "scenarioId">,
): estypes.QueryDslQueryContainer[] {
  return [
    { term: { "labels.scanproof_run_id": lab.runId } },
    { term: { "labels.scanproof_scenario": lab.scenarioId } },
  ];
}

export function sensorLogPath(lab: Pick<StartedLab, "logDir">, source: LogSourceName): string {
  return join(lab.logDir, source, `${source}.json`);
}

export function countSensorRecords(path: string): number {
  if (!existsSync(path)) return 0;
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.replace(/\0/g, "").trim() !== "").length;
}

export async function countIndexed(
  backend: Backend,
  lab: StartedLab,
  source: LogSourceName,
  extra: estypes.QueryDslQueryContainer[] = [],
): Promise<number> {
  await backend.client.indices.refresh({
    index: SOURCE_INDEX[source],
    ignore_unavailable: true,
    allow_no_indices: true,
  });
  const result = await backend.client.count({
    index: SOURCE_INDEX[source],
    ignore_unavailable: true,
    allow_no_indices: true,
    query: { bool: { filter: [...scenarioFilter(lab), ...extra] } },
  });
  return result.count;
}

/**
 * Waits until the source's index holds as many documents as the sensor wrote, and the sensor has
 * stopped writing (two equal readings in a row): then nothing is in flight. Returns the wait.
 */
export async function awaitIngest(
  backend: Backend,
  lab: StartedLab,
  source: LogSourceName,
  timeoutMs: number,
): Promise<{ waitedMs: number; settled: boolean }> {
  const started = Date.now();
  let previous = -1;
  for (;;) {
    const written = countSensorRecords(sensorLogPath(lab, source));
    const indexed = await countIndexed(backend, lab, source);
    if (written > 0 && written === previous && indexed >= written)
      return { waitedMs: Date.now() - started, settled: true };
    if (Date.now() - started > timeoutMs) return { waitedMs: Date.now() - started, settled: false };
    previous = written;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The distinct (destination, transport, port, source port) tuples the source recorded from a host. */
async function observedTuples(
  backend: Backend,
  lab: StartedLab,
  source: LogSourceName,
  from: string,
): Promise<Set<string>> {
  const fields = ["destination.ip", "network.transport", "destination.port", "source.port"] as const;
  const seen = new Set<string>();
  let after: Record<string, estypes.FieldValue> | undefined;
  do {
    const response = await backend.client.search({
      index: SOURCE_INDEX[source],
      size: 0,
      query: { bool: { filter: [...scenarioFilter(lab), { term: { "source.ip": from } }] } },
      aggs: {
        tuples: {
          composite: {
            size: 5000,
            sources: fields.map((field) => ({ [field]: { terms: { field, missing_bucket: true } } })),
            ...(after ? { after } : {}),
          },
        },
      },
    });
    const agg = response.aggregations?.tuples as estypes.AggregationsCompositeAggregate | undefined;
    const buckets = (agg?.buckets ?? []) as estypes.AggregationsCompositeBucket[];
    for (const bucket of buckets) {
      const key = bucket.key as Record<string, unknown>;
      const text = (field: (typeof fields)[number]) => {
        const v = key[field];
        return typeof v === "string" || typeof v === "number" ? String(v) : "";
      };
      const withoutSourcePort = [text("destination.ip"), text("network.transport"), text("destination.port")];
      seen.add([...withoutSourcePort, text("source.port")].join("|"));
      seen.add([...withoutSourcePort, ""].join("|"));
    }
    after = buckets.length > 0 ? agg?.after_key : undefined;
  } while (after);
  return seen;
}

/**
 * The relation asserted: every distinct probe a tool reported appears as at least one event of
 * the source (matching destination, transport and port, and source port when the tool knows it),
 * and the index holds exactly as many documents as the sensor wrote. Probes are compared as a set
 * because retransmissions and conntrack make the number of packets per probe vary.
 */
export async function accountLogSource(
  backend: Backend,
  lab: StartedLab,
  source: LogSourceName,
  truths: readonly GroundTruth[],
  ingestWaitMs: number,
): Promise<LogSourceReport> {
  const sensorRecords = countSensorRecords(sensorLogPath(lab, source));
  const indexed = await countIndexed(backend, lab, source);
  const parseFailures = await countIndexed(backend, lab, source, [{ term: { tags: PARSE_FAILURE_TAG } }]);
  const expected = distinctProbes(truths.flatMap((t) => t.probes));
  const seen = await observedTuples(backend, lab, source, lab.attacker.address);
  const missing = expected.filter((p) => !seen.has(probeKey(p)));
  return {
    source,
    index: SOURCE_INDEX[source],
    sensorRecords,
    indexed,
    parseFailures,
    probesExpected: expected.length,
    probesSeen: expected.length - missing.length,
    missing: missing.slice(0, MISSING_SHOWN),
    ingestWaitMs,
  };
}
