import { compositePages } from "../backend/composite-pages.js";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../backend/backend.js";
import { SOURCE_INDEX } from "../backend/templates.js";
import type { StartedLab } from "../lab/started-lab.js";
import type { LogSourceName } from "../core/vocabulary.js";
import { NOT_HISTORY } from "./history.js";
import {
  describeEvent,
  eventKey,
  expectedEvents,
  type AccountedEvent,
  type GroundTruth,
} from "../scanners/ground-truth.js";

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
  /** Distinct events the steps caused here (on the wire, or in the tool's report), and how many the source shows. */
  readonly expectedEvents: number;
  readonly seenEvents: number;
  /** The first missing events, described. */
  readonly missing: readonly string[];
  /** From the end of the last step until every sensor record was searchable. */
  readonly ingestWaitMs: number;
  /** Alerts the sensor itself raised (an IDS), counted per rule id. */
  readonly signatures: Readonly<Record<string, number>>;
}

/** Every record the sensor wrote is in Elasticsearch, and all of them parsed. */
export function shippedCompletely(r: LogSourceReport): boolean {
  return r.sensorRecords > 0 && r.indexed === r.sensorRecords && r.parseFailures === 0;
}

/** Every event the steps caused is in the source. */
export function sawEveryEvent(r: LogSourceReport): boolean {
  return r.expectedEvents > 0 && r.seenEvents === r.expectedEvents;
}

export function describeMissing(r: LogSourceReport): string {
  if (r.missing.length === 0) return "";
  return `missing ${r.missing.join(", ")}${r.expectedEvents - r.seenEvents > r.missing.length ? ", …" : ""}`;
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

/** The scenario's events its own lab wrote: without the history it declared, moved into the past. */
function liveFilter(lab: Pick<StartedLab, "runId" | "scenarioId">): estypes.QueryDslQueryContainer[] {
  return [...scenarioFilter(lab), NOT_HISTORY];
}

/** Every raw log file of a source in a lab: logs/<source>/<source>.json, or one per target below it. */
export function sensorLogFiles(lab: Pick<StartedLab, "logDir">, source: LogSourceName): string[] {
  const dir = join(lab.logDir, source);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

/** Non-empty lines: one line is one record for every sensor scanproof runs. */
export function countSensorRecords(files: readonly string[]): number {
  return files.reduce(
    (n, file) =>
      n +
      readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line.replace(/\0/g, "").trim() !== "").length,
    0,
  );
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
    query: { bool: { filter: [...liveFilter(lab), ...extra] } },
  });
  return result.count;
}

/** Longest pause between two accountings of a settled source that still misses events. */
const MAX_ACCOUNTING_PAUSE_MS = 2_000;

/**
 * Accounts a source once nothing is in flight: the sensor wrote the same number of records at two
 * readings in a row, the index holds all of them, and every event the tools caused is there — or
 * the timeout passed, and the account shows what is missing. Only the cheap counts are polled; the
 * full account, which matches every expected event, runs once they settle, then with backoff while
 * events are still missing. `ingestWaitMs` counts from the end of the last step, so it includes the
 * graceful stop of sensors that flush on shutdown.
 */
export async function awaitIngest(
  backend: Backend,
  lab: StartedLab,
  source: LogSourceName,
  truths: readonly GroundTruth[],
  stepsEndedAt: number,
  timeoutMs: number,
): Promise<LogSourceReport> {
  const started = Date.now();
  const timedOut = () => Date.now() - started > timeoutMs;
  let previous = -1;
  let pause = 500;
  for (;;) {
    const written = countSensorRecords(sensorLogFiles(lab, source));
    const settled = written === previous && (await countWhileAvailable(backend, lab, source)) >= written;
    if (settled || timedOut()) {
      const report = await accountLogSource(backend, lab, source, truths, Date.now() - stepsEndedAt);
      if (report.seenEvents === report.expectedEvents || timedOut()) return report;
      pause = Math.min(pause * 2, MAX_ACCOUNTING_PAUSE_MS);
    }
    previous = written;
    await new Promise((r) => setTimeout(r, pause));
  }
}

/**
 * The indexed count, or -1 while Elasticsearch answers 503: an index the shipper has just created
 * has no shard for a moment, and a restarted cluster recovers its shards before it counts again.
 */
async function countWhileAvailable(
  backend: Backend,
  lab: StartedLab,
  source: LogSourceName,
): Promise<number> {
  try {
    return await countIndexed(backend, lab, source);
  } catch (error) {
    if ((error as { meta?: { statusCode?: number } }).meta?.statusCode === 503) return -1;
    throw error;
  }
}

async function countSignatures(
  backend: Backend,
  lab: StartedLab,
  source: LogSourceName,
): Promise<Record<string, number>> {
  const response = await backend.client.search({
    index: SOURCE_INDEX[source],
    size: 0,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: { bool: { filter: [...liveFilter(lab), { term: { "event.kind": "alert" } }] } },
    aggs: { rules: { terms: { field: "rule.id", size: 1000 } } },
  });
  const agg = response.aggregations?.rules as estypes.AggregationsStringTermsAggregate | undefined;
  const buckets = (agg?.buckets ?? []) as estypes.AggregationsStringTermsBucket[];
  return Object.fromEntries(buckets.map((b) => [String(b.key), b.doc_count]));
}

/** The keys, over exactly these fields, of the source's events from one host in this scenario, with how many records hold each. */
async function observedKeys(
  backend: Backend,
  lab: StartedLab,
  source: LogSourceName,
  from: string,
  fields: readonly string[],
): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  const pages = compositePages(
    { size: 5000, sources: fields.map((field) => ({ [field]: { terms: { field, missing_bucket: true } } })) },
    async (composite) =>
      (
        await backend.client.search({
          index: SOURCE_INDEX[source],
          size: 0,
          ignore_unavailable: true,
          allow_no_indices: true,
          query: { bool: { filter: [...liveFilter(lab), { term: { "source.ip": from } }] } },
          aggs: { keys: { composite } },
        })
      ).aggregations?.keys,
  );
  for await (const buckets of pages)
    for (const bucket of buckets)
      seen.set(eventKey(bucket.key as Record<string, unknown>, fields), bucket.doc_count);
  return seen;
}

/** The events no record of the source matches on the fields `fieldsOf` picks, from the event's own source address. */
async function unobserved(
  backend: Backend,
  lab: StartedLab,
  source: LogSourceName,
  events: readonly AccountedEvent[],
  fieldsOf: (e: AccountedEvent) => Readonly<Record<string, string | number>>,
): Promise<AccountedEvent[]> {
  const groups = new Map<string, AccountedEvent[]>();
  for (const e of events) {
    const group = `${e.from} ${Object.keys(fieldsOf(e)).sort().join(",")}`;
    groups.set(group, [...(groups.get(group) ?? []), e]);
  }
  const missing: AccountedEvent[] = [];
  for (const [group, members] of groups) {
    const [from = "", signature = ""] = group.split(" ");
    const fields = signature.split(",");
    const seen = await observedKeys(backend, lab, source, from, fields);
    // Equal events are there once each (`each`) or once in all (the rest, deduplicated before).
    const used = new Map<string, number>();
    for (const e of members) {
      const key = eventKey(fieldsOf(e), fields);
      used.set(key, (used.get(key) ?? 0) + 1);
      if ((used.get(key) ?? 0) > (seen.get(key) ?? 0)) missing.push(e);
    }
  }
  return missing;
}

/**
 * The relations asserted for one source: every distinct event the steps caused appears at least
 * once, from the address it was sent from as the sensor sees it — for a captured step, what the
 * wire carried (each flow's destination, transport or protocol number and ports; each decoded HTTP
 * request's method, target and host, or a record of its connection with no target, which is how
 * nginx logs a request it refuses to parse, or with the same method when tshark could not render
 * the target; each DNS query's name and type), else what the tool reported —
 * and the index holds exactly as many documents as the sensor wrote. Events are compared as a set
 * because retransmissions and conntrack make the number of packets per probe vary.
 */
export async function accountLogSource(
  backend: Backend,
  lab: StartedLab,
  source: LogSourceName,
  truths: readonly GroundTruth[],
  ingestWaitMs: number,
): Promise<LogSourceReport> {
  const sensorRecords = countSensorRecords(sensorLogFiles(lab, source));
  const indexed = await countIndexed(backend, lab, source);
  const parseFailures = await countIndexed(backend, lab, source, [{ term: { tags: PARSE_FAILURE_TAG } }]);
  const expected = expectedEvents(truths, source);
  const unmatched = await unobserved(backend, lab, source, expected, (e) => e.fields);
  const missing = await unobserved(
    backend,
    lab,
    source,
    unmatched.filter((e) => e.fallback !== undefined),
    (e) => e.fallback ?? e.fields,
  );
  missing.push(...unmatched.filter((e) => e.fallback === undefined));
  return {
    source,
    index: SOURCE_INDEX[source],
    signatures: await countSignatures(backend, lab, source),
    sensorRecords,
    indexed,
    parseFailures,
    expectedEvents: expected.length,
    seenEvents: expected.length - missing.length,
    missing: missing.slice(0, MISSING_SHOWN).map(describeEvent),
    ingestWaitMs,
  };
}

/** A source's account in one line, for progress output. */
export function summariseAccount(r: LogSourceReport): string {
  return `${r.source} ${r.indexed}/${r.sensorRecords} indexed, ${r.seenEvents}/${r.expectedEvents} events`;
}
