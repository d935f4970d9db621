import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../backend/backend.js";
import { SOURCE_INDEX } from "../backend/templates.js";
import type { EscalationContext } from "../context/context.js";
import { compositePages } from "../backend/composite-pages.js";
import { bucketsOf, keyText, totalHits, valueOf, within, wholeAnswer } from "./aggregations.js";
import type {
  AnsweredService,
  FlowEvent,
  HostBaseline,
  LoginEvent,
  PostScanEvents,
  ServiceAddress,
  WebRequest,
} from "./post-scan-events.js";

type Query = estypes.QueryDslQueryContainer;

/** Hits read per page; every page is read, so counts are exact however many events there are. */
const PAGE_SIZE = 1000;
/** Buckets per composite page. */
const BUCKETS_PER_PAGE = 1000;
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
  destination?: { ip?: string; port?: number; bytes?: number; packets?: number };
  network?: { transport?: string };
  scanproof?: { tcp?: { flags?: string; reply_flags?: string } };
}

export interface WebDocument {
  "@timestamp"?: string;
  source?: { ip?: string; port?: number };
  destination?: { ip?: string; port?: number };
  http?: { request?: { method?: string }; response?: { status_code?: number } };
  url?: { path?: string; original?: string };
}

/**
 * The events the post-scan analysis reads for a source that scanned `scanned`: every authentication
 * event of the source to those hosts; every connection those hosts opened to the source or to an
 * address outside `internal_networks`, and every one of the source to them that carried at least the
 * transfer threshold back, from the scan's first event to its last plus `post_scan.window`; each
 * host's flows in the history window before the activity began; what the scan found (the paths its
 * web requests found, the services that answered) and the source's use of it after the scan's end.
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
  const empty = {
    window,
    scanEnd: at.scanEnd,
    scanned: at.scanned,
    logins: [],
    flows: [],
    baseline: [],
    requests: [],
    webScanned: [],
    connections: [],
  };
  if (at.source === "" || at.scanned.length === 0) return empty;
  const inWindow: Query = { range: { "@timestamp": window } };
  const scanned: Query = { terms: { "destination.ip": [...at.scanned] } };
  const outbound = outboundOf(at.source, context.internal_networks);
  const afterScan: Query = { range: { "@timestamp": { gt: at.scanEnd, lte: window.lte } } };
  const duringScan: Query = { range: { "@timestamp": { gte: at.scanStart, lte: at.scanEnd } } };
  const fromSource: Query = { term: { "source.ip": at.source } };
  const [logins, flows, baseline, answered, requests, webScanned, connections] = await Promise.all([
    allHits<AuthDocument>(backend, SOURCE_INDEX.auth, [
      ...filters,
      inWindow,
      { term: { "source.ip": at.source } },
      scanned,
      { term: { "event.category": "authentication" } },
    ]),
    allHits<FlowDocument>(backend, SOURCE_INDEX.flow, [
      ...filters,
      inWindow,
      CONNECTIONS,
      {
        bool: {
          should: [
            { bool: { filter: [{ terms: { "source.ip": [...at.scanned] } }, outbound] } },
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
    gatherBaseline(backend, filters, outbound, at),
    gatherAnswered(backend, [...filters, inWindow, CONNECTIONS, fromSource, scanned]),
    gatherRequests(backend, [...filters, fromSource, scanned], duringScan, afterScan),
    gatherWebScanned(backend, [...filters, inWindow, fromSource, scanned]),
    allHits<FlowDocument>(backend, SOURCE_INDEX.flow, [
      ...filters,
      afterScan,
      CONNECTIONS,
      fromSource,
      scanned,
      COMPLETED,
    ]),
  ]);
  return {
    window,
    scanEnd: at.scanEnd,
    scanned: at.scanned,
    logins: logins.map(loginEvent),
    flows: flows.map(flowEvent),
    baseline,
    ...(answered ? { answered } : {}),
    requests: requests.map(webRequest),
    webScanned,
    connections: connections.map(flowEvent),
  };
}

/** Statuses `pathFound` takes for a found path, as a query on the web index. */
const FOUND_PATH: Query = {
  bool: {
    should: [
      { range: { "http.response.status_code": { gte: 200, lt: 400 } } },
      { terms: { "http.response.status_code": [401, 403] } },
    ],
    minimum_should_match: 1,
  },
};

/** Paths per terms query: well below Elasticsearch's 65,536 terms. */
const PATHS_PER_QUERY = 10_000;

/**
 * The source's web requests of the scan that found a path, and its requests after the scan's end
 * to any path found, whatever the answer.
 */
async function gatherRequests(
  backend: Backend,
  filter: readonly Query[],
  duringScan: Query,
  afterScan: Query,
): Promise<StoredHit<WebDocument>[]> {
  const found = await allHits<WebDocument>(backend, SOURCE_INDEX.web, [...filter, duringScan, FOUND_PATH]);
  const paths = [...new Set(found.map((h) => webRequest(h).path))];
  const later: StoredHit<WebDocument>[] = [];
  for (let i = 0; i < paths.length; i += PATHS_PER_QUERY)
    later.push(
      ...(await allHits<WebDocument>(backend, SOURCE_INDEX.web, [
        ...filter,
        afterScan,
        { terms: { "url.path": paths.slice(i, i + PATHS_PER_QUERY) } },
      ])),
    );
  return [...found, ...later];
}

/** The services (host and port) of the scanned hosts the source sent web requests to, in the scan or after it. */
async function gatherWebScanned(backend: Backend, filter: readonly Query[]): Promise<ServiceAddress[]> {
  const services: ServiceAddress[] = [];
  const pages = compositePages(
    {
      size: BUCKETS_PER_PAGE,
      sources: [
        { host: { terms: { field: "destination.ip" } } },
        { port: { terms: { field: "destination.port" } } },
      ],
    },
    async (composite) =>
      wholeAnswer(
        await backend.client.search({
          index: SOURCE_INDEX.web,
          size: 0,
          ignore_unavailable: true,
          allow_no_indices: true,
          query: { bool: { filter: [...filter] } },
          aggs: { services: { composite } },
        }),
      ).aggregations?.services,
  );
  for await (const buckets of pages)
    for (const { key } of buckets) services.push({ host: keyText(key.host), port: Number(key.port) });
  return services;
}

/** A connection that completed and carried data both ways, as `completed` in post-scan.ts reads it. */
const COMPLETED: Query = {
  bool: {
    should: [
      {
        bool: {
          filter: [
            { term: { "network.transport": "tcp" } },
            ...["*S*", "*A*", "*P*"].map((value) => ({ wildcard: { "scanproof.tcp.flags": { value } } })),
            { wildcard: { "scanproof.tcp.reply_flags": { value: "*P*" } } },
          ],
        },
      },
      {
        bool: {
          filter: [{ term: { "network.transport": "udp" } }, { range: { "destination.packets": { gt: 0 } } }],
        },
      },
    ],
    minimum_should_match: 1,
  },
};

/** A connection whose far end is the scanning source or an address outside the internal networks. */
function outboundOf(source: string, internalNetworks: readonly string[]): Query {
  return {
    bool: {
      should: [
        { term: { "destination.ip": source } },
        { bool: { must_not: [{ terms: { "destination.ip": [...internalNetworks] } }] } },
      ],
      minimum_should_match: 1,
    },
  };
}

/**
 * Every hit of a query in time order, page by page in a point in time (search_after on the
 * timestamp and the shard's document order), each page checked for failed shards.
 */
async function allHits<T>(
  backend: Backend,
  index: string,
  filter: readonly Query[],
): Promise<StoredHit<T>[]> {
  const keepAlive = "1m";
  const pit = await backend.client.openPointInTime({
    index,
    keep_alive: keepAlive,
    ignore_unavailable: true,
  });
  try {
    const hits: StoredHit<T>[] = [];
    let after: estypes.SortResults | undefined;
    for (;;) {
      const page = wholeAnswer(
        await backend.client.search<T>({
          pit: { id: pit.id, keep_alive: keepAlive },
          size: PAGE_SIZE,
          query: { bool: { filter: [...filter] } },
          sort: [{ "@timestamp": "asc" }, { _shard_doc: "asc" }],
          ...(after ? { search_after: after } : {}),
        }),
      );
      hits.push(...page.hits.hits);
      after = page.hits.hits.at(-1)?.sort;
      if (page.hits.hits.length < PAGE_SIZE || after === undefined) return hits;
    }
  } finally {
    await backend.client.closePointInTime({ id: pit.id }).catch(() => undefined);
  }
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
  let connections = 0;
  const services: AnsweredService[] = [];
  const pages = compositePages(
    {
      size: BUCKETS_PER_PAGE,
      sources: [
        { host: { terms: { field: "destination.ip" } } },
        { port: { terms: { field: "destination.port" } } },
        { transport: { terms: { field: "network.transport" } } },
      ],
    },
    async (composite) => {
      const response = wholeAnswer(
        await backend.client.search({
          index: SOURCE_INDEX.flow,
          size: 0,
          track_total_hits: 1,
          ignore_unavailable: true,
          allow_no_indices: true,
          query: { bool: { filter: [...filter] } },
          aggs: {
            answered: {
              filter: ANSWERED,
              aggs: {
                services: {
                  composite,
                  aggs: {
                    first: {
                      top_hits: { size: 1, sort: [{ "@timestamp": "asc" }], _source: ["@timestamp"] },
                    },
                  },
                },
              },
            },
          },
        }),
      );
      connections = Math.max(connections, totalHits(response));
      return within(response.aggregations, "answered")?.services as estypes.AggregationsAggregate | undefined;
    },
  );
  for await (const buckets of pages)
    for (const b of buckets) {
      const key = b.key as { host: string; port: number; transport: "tcp" | "udp" };
      const hit = (
        within(b, "first")?.hits as
          | { hits?: { _index: string; _id?: string; _source?: { "@timestamp"?: string } }[] }
          | undefined
      )?.hits?.[0];
      services.push({
        ...key,
        index: hit?._index ?? SOURCE_INDEX.flow,
        id: hit?._id ?? "",
        at: hit?._source?.["@timestamp"] ?? "",
      });
    }
  return connections === 0 ? undefined : services;
}

/** A connection the destination answered: TCP with SYN/ACK back, UDP with anything back. */
const ANSWERED: Query = {
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
          filter: [{ term: { "network.transport": "udp" } }, { range: { "destination.packets": { gt: 0 } } }],
        },
      },
    ],
    minimum_should_match: 1,
  },
};

/**
 * Each scanned host before the activity: the most it sent in one connection, and every peer it
 * opened a connection to that the analysis would take for a callback (the source, or outside the
 * internal networks), paged so none is left out.
 */
async function gatherBaseline(
  backend: Backend,
  filters: readonly Query[],
  outbound: Query,
  at: { readonly scanned: readonly string[]; readonly historyStart: string; readonly activityStart: string },
): Promise<HostBaseline[]> {
  const hosts = [...at.scanned];
  const before: Query[] = [
    CONNECTIONS,
    { range: { "@timestamp": { gte: at.historyStart, lt: at.activityStart } } },
    ...filters,
  ];
  const search = async (query: Query[], aggs: Record<string, estypes.AggregationsAggregationContainer>) =>
    wholeAnswer(
      await backend.client.search({
        index: SOURCE_INDEX.flow,
        size: 0,
        ignore_unavailable: true,
        allow_no_indices: true,
        query: { bool: { filter: query } },
        aggs,
      }),
    );
  const largest = await search(before, {
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
          aggs: { largest: { max: { field: "source.bytes" } } },
        },
      },
    },
  });
  const peers = new Map<string, string[]>();
  const pages = compositePages(
    {
      size: BUCKETS_PER_PAGE,
      sources: [
        { host: { terms: { field: "source.ip" } } },
        { peer: { terms: { field: "destination.ip" } } },
      ],
    },
    async (composite) =>
      (await search([...before, { terms: { "source.ip": hosts } }, outbound], { peers: { composite } }))
        .aggregations?.peers,
  );
  for await (const buckets of pages)
    for (const { key } of buckets) {
      const host = keyText(key.host);
      peers.set(host, [...(peers.get(host) ?? []), keyText(key.peer)]);
    }
  const per = (name: string) =>
    new Map(bucketsOf(within(largest.aggregations, name), "hosts").map((b) => [keyText(b.key), b]));
  const answered = per("answered");
  const opened = per("opened");
  return hosts.map((host) => ({
    host,
    largestTransfer: Math.max(
      valueOf(answered.get(host), "largest") ?? 0,
      valueOf(opened.get(host), "largest") ?? 0,
    ),
    peers: peers.get(host) ?? [],
  }));
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
    ...(d.scanproof?.tcp?.reply_flags === undefined ? {} : { replyFlags: d.scanproof.tcp.reply_flags }),
    sourceBytes: d.source?.bytes ?? 0,
    destinationBytes: d.destination?.bytes ?? 0,
    destinationPackets: d.destination?.packets ?? 0,
  };
}

/** A request of the web index as the analysis reads it: the path without its query string. */
export function webRequest(hit: StoredHit<WebDocument>): WebRequest {
  const d = hit._source ?? {};
  return {
    ...endpoints(hit, d),
    method: d.http?.request?.method ?? "",
    path: d.url?.path ?? (d.url?.original ?? "").replace(/[?#].*$/, ""),
    status: d.http?.response?.status_code ?? 0,
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
