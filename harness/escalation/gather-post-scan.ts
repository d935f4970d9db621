import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../backend/backend.js";
import { SOURCE_INDEX } from "../backend/templates.js";
import type { EscalationContext } from "../context/context.js";
import { bucketsOf, keyText, keysOf, valueOf, within } from "./aggregations.js";
import type { FlowEvent, HostBaseline, LoginEvent, PostScanEvents } from "./post-scan-events.js";

type Query = estypes.QueryDslQueryContainer;

/** Events read per kind: the first ones in time; a finding's counts say when there were more. */
const EVENTS_READ = 1000;
/** The flow sensor's connection records (pair-flows.awk): the source opened, the destination answered. */
const CONNECTIONS: Query = { term: { "event.dataset": "network_traffic.flow" } };

/** A stored document as a search returns it. */
export interface StoredHit<T> {
  readonly _index: string;
  readonly _id?: string;
  readonly _source?: T;
}

export interface AuthDocument {
  "@timestamp"?: string;
  source?: { ip?: string; port?: number };
  destination?: { ip?: string; port?: number };
  event?: { action?: string; outcome?: string };
  user?: { name?: string };
  observer?: { product?: string };
  system?: { auth?: { ssh?: { method?: string } } };
}

export interface FlowDocument {
  "@timestamp"?: string;
  source?: { ip?: string; port?: number; bytes?: number };
  destination?: { ip?: string; port?: number; bytes?: number };
  network?: { transport?: string };
  scanproof?: { tcp?: { flags?: string } };
}

/**
 * The events the post-scan analysis reads for a source that scanned `scanned`: its authentication
 * events to those hosts and the connections those hosts opened, or that carried at least the
 * transfer threshold back to the source, from the scan's first event to its last plus
 * `post_scan.window`; and each host's flows in the history window before the activity began.
 */
export async function gatherPostScan(
  backend: Backend,
  filters: readonly Query[],
  context: EscalationContext,
  at: {
    readonly source: string;
    readonly scanned: readonly string[];
    readonly scanStart: string;
    readonly scanEnd: string;
    readonly historyStart: string;
    readonly activityStart: string;
  },
): Promise<PostScanEvents> {
  const limits = context.escalation.post_scan;
  const window = {
    gte: at.scanStart,
    lte: new Date(Date.parse(at.scanEnd) + limits.window).toISOString(),
  };
  const empty = { window, scanned: at.scanned, logins: [], flows: [], baseline: [] };
  if (at.source === "" || at.scanned.length === 0) return empty;
  const inWindow: Query = { range: { "@timestamp": window } };
  const hits = async <T>(index: string, query: Query[]) => {
    const response = await backend.client.search<T>({
      index,
      size: EVENTS_READ,
      ignore_unavailable: true,
      allow_no_indices: true,
      query: { bool: { filter: [...query, ...filters] } },
      sort: [{ "@timestamp": "asc" }],
    });
    return response.hits.hits;
  };
  const scanned: Query = { terms: { "destination.ip": [...at.scanned] } };
  const [logins, flows, baseline] = await Promise.all([
    hits<AuthDocument>(SOURCE_INDEX.auth, [
      inWindow,
      { term: { "source.ip": at.source } },
      scanned,
      { term: { "event.category": "authentication" } },
    ]),
    hits<FlowDocument>(SOURCE_INDEX.flow, [
      inWindow,
      CONNECTIONS,
      {
        bool: {
          should: [
            { terms: { "source.ip": [...at.scanned] } },
            {
              bool: {
                filter: [
                  { term: { "source.ip": at.source } },
                  scanned,
                  { range: { "destination.bytes": { gte: limits.transfer.min_bytes } } },
                ],
              },
            },
          ],
          minimum_should_match: 1,
        },
      },
    ]),
    gatherBaseline(backend, filters, at),
  ]);
  return {
    window,
    scanned: at.scanned,
    logins: logins.map(loginEvent),
    flows: flows.map(flowEvent),
    baseline,
  };
}

async function gatherBaseline(
  backend: Backend,
  filters: readonly Query[],
  at: { readonly scanned: readonly string[]; readonly historyStart: string; readonly activityStart: string },
): Promise<HostBaseline[]> {
  const hosts = [...at.scanned];
  const response = await backend.client.search({
    index: SOURCE_INDEX.flow,
    size: 0,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: {
      bool: {
        filter: [
          CONNECTIONS,
          { range: { "@timestamp": { gte: at.historyStart, lt: at.activityStart } } },
          ...filters,
        ],
      },
    },
    aggs: {
      answered: {
        filter: { terms: { "destination.ip": hosts } },
        aggs: {
          hosts: {
            terms: { field: "destination.ip", size: hosts.length },
            aggs: { largest: { max: { field: "destination.bytes" } } },
          },
        },
      },
      opened: {
        filter: { terms: { "source.ip": hosts } },
        aggs: {
          hosts: {
            terms: { field: "source.ip", size: hosts.length },
            aggs: {
              largest: { max: { field: "source.bytes" } },
              peers: { terms: { field: "destination.ip", size: 1000 } },
            },
          },
        },
      },
    },
  });
  const per = (name: string) =>
    new Map(bucketsOf(within(response.aggregations, name), "hosts").map((b) => [keyText(b.key), b]));
  const answered = per("answered");
  const opened = per("opened");
  return hosts.map((host) => {
    const a = answered.get(host);
    const o = opened.get(host);
    return {
      host,
      largestTransfer: Math.max(valueOf(a, "largest") ?? 0, valueOf(o, "largest") ?? 0),
      peers: o ? keysOf(o, "peers") : [],
    };
  });
}

/** An authentication document of the auth index as the analysis reads it. */
export function loginEvent(hit: StoredHit<AuthDocument>): LoginEvent {
  const d = hit._source ?? {};
  const outcome = d.event?.outcome;
  return {
    ...endpoints(hit, d),
    action: d.event?.action ?? "",
    outcome: outcome === "success" || outcome === "failure" ? outcome : "unknown",
    ...(d.user?.name === undefined ? {} : { user: d.user.name }),
    ...(d.system?.auth?.ssh?.method === undefined ? {} : { method: d.system.auth.ssh.method }),
    service: d.observer?.product ?? "",
  };
}

/** A connection record of the flow index as the analysis reads it. */
export function flowEvent(hit: StoredHit<FlowDocument>): FlowEvent {
  const d = hit._source ?? {};
  return {
    ...endpoints(hit, d),
    transport: d.network?.transport ?? "",
    ...(d.scanproof?.tcp?.flags === undefined ? {} : { tcpFlags: d.scanproof.tcp.flags }),
    sourceBytes: d.source?.bytes ?? 0,
    destinationBytes: d.destination?.bytes ?? 0,
  };
}

function endpoints(
  hit: StoredHit<unknown>,
  d: {
    "@timestamp"?: string;
    source?: { ip?: string; port?: number };
    destination?: { ip?: string; port?: number };
  },
) {
  return {
    index: hit._index,
    id: hit._id ?? "",
    at: d["@timestamp"] ?? "",
    source: d.source?.ip ?? "",
    ...(d.source?.port === undefined ? {} : { sourcePort: d.source.port }),
    destination: d.destination?.ip ?? "",
    ...(d.destination?.port === undefined ? {} : { destinationPort: d.destination.port }),
  };
}
