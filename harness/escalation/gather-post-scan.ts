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

interface AuthDocument {
  "@timestamp"?: string;
  source?: { ip?: string; port?: number };
  destination?: { ip?: string; port?: number };
  event?: { action?: string; outcome?: string };
  user?: { name?: string };
  observer?: { product?: string };
  system?: { auth?: { ssh?: { method?: string } } };
}

interface FlowDocument {
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
    return response.hits.hits.map((h) => ({ id: h._id ?? "", index: h._index, doc: h._source }));
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
    logins: logins.map(({ id, index, doc }) => loginEvent(id, index, doc ?? {})),
    flows: flows.map(({ id, index, doc }) => flowEvent(id, index, doc ?? {})),
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

function loginEvent(id: string, index: string, d: AuthDocument): LoginEvent {
  const outcome = d.event?.outcome;
  return {
    ...endpoints(id, index, d),
    action: d.event?.action ?? "",
    outcome: outcome === "success" || outcome === "failure" ? outcome : "unknown",
    ...(d.user?.name === undefined ? {} : { user: d.user.name }),
    ...(d.system?.auth?.ssh?.method === undefined ? {} : { method: d.system.auth.ssh.method }),
    service: d.observer?.product ?? "",
  };
}

function flowEvent(id: string, index: string, d: FlowDocument): FlowEvent {
  return {
    ...endpoints(id, index, d),
    transport: d.network?.transport ?? "",
    ...(d.scanproof?.tcp?.flags === undefined ? {} : { tcpFlags: d.scanproof.tcp.flags }),
    sourceBytes: d.source?.bytes ?? 0,
    destinationBytes: d.destination?.bytes ?? 0,
  };
}

function endpoints(
  id: string,
  index: string,
  d: {
    "@timestamp"?: string;
    source?: { ip?: string; port?: number };
    destination?: { ip?: string; port?: number };
  },
) {
  return {
    index,
    id,
    at: d["@timestamp"] ?? "",
    source: d.source?.ip ?? "",
    ...(d.source?.port === undefined ? {} : { sourcePort: d.source.port }),
    destination: d.destination?.ip ?? "",
    ...(d.destination?.port === undefined ? {} : { destinationPort: d.destination.port }),
  };
}
