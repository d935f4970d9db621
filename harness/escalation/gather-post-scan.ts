import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../backend/backend.js";
import { SOURCE_INDEX } from "../backend/templates.js";
import type { EscalationContext } from "../context/context.js";
import { bucketsOf, keyText, keysOf, totalHits, valueOf, within } from "./aggregations.js";
import type {
  AnsweredService,
  FlowEvent,
  HostBaseline,
  LoginEvent,
  PostScanEvents,
} from "./post-scan-events.js";

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
  const [logins, flows, baseline, answered] = await Promise.all([
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
    gatherAnswered(backend, [
      ...filters,
      inWindow,
      CONNECTIONS,
      { term: { "source.ip": at.source } },
      scanned,
    ]),
  ]);
  return {
    window,
    scanned: at.scanned,
    logins: logins.map(loginEvent),
    flows: flows.map(flowEvent),
    baseline,
    ...(answered ? { answered } : {}),
  };
}

/**
 * The services of the scanned hosts that answered the source's connections: TCP ports that sent
 * SYN/ACK (the answerer's flags hold S), UDP ports that sent anything back. Undefined when the flow
 * index holds no connection of the source: then nothing says what answered.
 */
async function gatherAnswered(
  backend: Backend,
  filter: readonly Query[],
): Promise<AnsweredService[] | undefined> {
  const response = await backend.client.search({
    index: SOURCE_INDEX.flow,
    size: 0,
    track_total_hits: 1,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: { bool: { filter: [...filter] } },
    aggs: {
      answered: {
        filter: {
          bool: {
            should: [
              {
                bool: {
                  filter: [
                    { term: { "network.transport": "tcp" } },
                    { wildcard: { "scanproof.tcp.reply_flags": { value: "*S*" } } },
                  ],
                },
              },
              {
                bool: {
                  filter: [
                    { term: { "network.transport": "udp" } },
                    { range: { "destination.packets": { gt: 0 } } },
                  ],
                },
              },
            ],
            minimum_should_match: 1,
          },
        },
        aggs: {
          services: {
            composite: {
              size: 10_000,
              sources: [
                { host: { terms: { field: "destination.ip" } } },
                { port: { terms: { field: "destination.port" } } },
                { transport: { terms: { field: "network.transport" } } },
              ],
            },
            aggs: { first: { top_hits: { size: 1, sort: [{ "@timestamp": "asc" }], _source: false } } },
          },
        },
      },
    },
  });
  if (totalHits(response) === 0) return undefined;
  return bucketsOf(within(response.aggregations, "answered"), "services").map((b) => {
    const key = b.key as { host: string; port: number; transport: "tcp" | "udp" };
    const hit = (within(b, "first")?.hits as { hits?: { _index: string; _id?: string }[] } | undefined)
      ?.hits?.[0];
    return { ...key, index: hit?._index ?? SOURCE_INDEX.flow, id: hit?._id ?? "" };
  });
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
