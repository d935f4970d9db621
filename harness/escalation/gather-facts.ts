import { compositePages } from "../backend/composite-pages.js";
import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../backend/backend.js";
import { ALERTS_INDEX, SOURCE_INDEX } from "../backend/templates.js";
import type { Detection } from "../detection/rules/rule.js";
import type { Rule } from "../detection/rules/rule.js";
import type { StoredAlert } from "../detection/live/alerts.js";
import {
  bucketsOf,
  dateOf,
  keyText,
  keysOf,
  totalHits,
  valueOf,
  within,
  wholeAnswer,
  type Bucket,
} from "./aggregations.js";
import type { EscalationContext } from "../context/context.js";
import {
  PORT_LIST_LIMIT,
  type EscalationFacts,
  type FiredRule,
  type IdsSignature,
  type SimilarAlert,
  type SourceActivity,
} from "./facts.js";
import type { Asset } from "../context/inventory.js";
import { startOfActivity } from "./activity-start.js";
import { gatherPostScan } from "./gather-post-scan.js";
import { longestSpacedRun } from "./pace.js";
import type { ProbedPort } from "../context/services.js";

type Query = estypes.QueryDslQueryContainer;

export interface FactsScope {
  /** Filters that confine every query to one lab's events (run and scenario labels). */
  readonly filters: readonly Query[];
  readonly inventory: readonly Asset[];
}

const ALL_EVENTS = Object.values(SOURCE_INDEX);
/** How the activity names probes of an IP protocol the firewall logs by number only. */
const UNNAMED_PROTOCOL = "other IP protocol";
const SIMILAR_SHOWN = 20;
const DECOY_SLACK_MS = 5_000;

/**
 * Looks up everything escalation reads about one detection, with a handful of aggregations. The
 * rules that fired for the source are those of earlier alerts (written to the alerts index) and
 * those of `peers`, the findings of the same execution, so the order rules run in changes nothing.
 */
export async function gatherFacts(
  backend: Backend,
  detection: Detection,
  context: EscalationContext,
  scope: FactsScope,
  peers: readonly Detection[] = [],
): Promise<EscalationFacts> {
  const source = detection.group["source.ip"] ?? "";
  const lastSeen = detection.evidence.lastSeen;
  const at = Date.parse(lastSeen);
  const limits = context.escalation;
  const historyStart = new Date(at - context.history_window).toISOString();
  const search = async (
    index: string | readonly string[],
    query: Query[],
    aggs: Record<string, estypes.AggregationsAggregationContainer>,
    scoped: Query = { bool: { filter: [...scope.filters] } },
  ) =>
    wholeAnswer(
      await backend.client.search({
        index: typeof index === "string" ? index : [...index],
        size: 0,
        track_total_hits: true,
        ignore_unavailable: true,
        allow_no_indices: true,
        query: { bool: { filter: [...query, scoped] } },
        aggs,
      }),
    );
  const historyIndices = await concreteIndices(backend, context.history_indices);
  /** The source's own events: the run's, and the real history of any indices the context names. */
  const searchHistory = (query: Query[], aggs: Record<string, estypes.AggregationsAggregationContainer>) =>
    search([...ALL_EVENTS, ...historyIndices], query, aggs, ownOrHistory(scope.filters, historyIndices));
  // A detection without a source (a rule grouped by something else) has no source history.
  const fromSource: Query = source ? { term: { "source.ip": source } } : { match_none: {} };
  const between = (gte: string, lte: string, lt = false): Query => ({
    range: { "@timestamp": { gte, [lt ? "lt" : "lte"]: lte } },
  });
  const activityStart = new Date(await findActivityStart()).toISOString();

  const [activity, history, baseline, ids, alerts, targets] = await Promise.all([
    gatherActivity(),
    searchHistory([fromSource, between(historyStart, lastSeen)], {
      first: { min: { field: "@timestamp" } },
      last: { max: { field: "@timestamp" } },
      targets: { terms: { field: "destination.ip", size: 100 } },
      ports: { terms: { field: "destination.port", size: 20 } },
      transports: { terms: { field: "network.transport", size: 10 } },
      tools: { terms: { field: "scanproof.ids.tool", size: 20 } },
      prior: {
        filter: between(historyStart, activityStart, true),
        aggs: {
          days: { date_histogram: { field: "@timestamp", calendar_interval: "day", min_doc_count: 1 } },
        },
      },
    }),
    search(SOURCE_INDEX.firewall, [between(historyStart, activityStart, true)], {}),
    search(
      SOURCE_INDEX.ids,
      [
        fromSource,
        { term: { "event.kind": "alert" } },
        between(activityStart, new Date(at + limits.exploit_window).toISOString()),
      ],
      {
        signatures: {
          terms: { field: "rule.id", size: 100 },
          aggs: {
            first: { min: { field: "@timestamp" } },
            last: { max: { field: "@timestamp" } },
            sample: { top_hits: { size: 1, _source: ["rule.name", "rule.category", "scanproof.ids"] } },
          },
        },
      },
    ),
    backend.client
      .search<StoredAlert>({
        index: ALERTS_INDEX,
        size: SIMILAR_SHOWN,
        ignore_unavailable: true,
        allow_no_indices: true,
        query: {
          bool: {
            filter: [
              between(historyStart, new Date(at + limits.activity_window).toISOString()),
              ...scope.filters,
            ],
            should: [fromSource, { term: { "rule.id": detection.rule.ruleId } }],
            minimum_should_match: 1,
            must_not: [{ ids: { values: [detection.id] } }],
          },
        },
        sort: [{ "@timestamp": "desc" }],
        aggs: {
          alertDays: {
            filter: {
              bool: {
                filter: [
                  fromSource,
                  between(historyStart, new Date(Date.parse(activityStart) - DAY_MS).toISOString(), true),
                ],
              },
            },
            aggs: {
              days: {
                date_histogram: {
                  field: "@timestamp",
                  fixed_interval: `${DAY_MS}ms`,
                  offset: `${Date.parse(activityStart) % DAY_MS}ms`,
                  min_doc_count: 1,
                },
                aggs: { last: { max: { field: "@timestamp" } } },
              },
            },
          },
          rules: {
            filter: {
              bool: {
                filter: [
                  fromSource,
                  between(activityStart, new Date(at + limits.activity_window).toISOString()),
                ],
              },
            },
            aggs: {
              ids: {
                terms: { field: "rule.id", size: 100 },
                aggs: {
                  name: { terms: { field: "rule.name", size: 1 } },
                  techniques: { terms: { field: "threat.technique.id", size: 20 } },
                  subtechniques: { terms: { field: "threat.technique.subtechnique.id", size: 20 } },
                },
              },
            },
          },
        },
      })
      .then(wholeAnswer),
    detection.group["destination.ip"]
      ? Promise.resolve([detection.group["destination.ip"]])
      : detectionTargets(),
  ]);

  const [decoys, postScan] = await Promise.all([
    gatherDecoys(activity),
    gatherPostScan(backend, scope.filters, context, {
      source,
      scanned: [...new Set([...targets, ...activity.targets])],
      scanStart: detection.evidence.firstSeen,
      scanEnd: lastSeen,
      historyStart,
      activityStart,
    }),
  ]);
  const h = history.aggregations;
  const rules = new Map<string, FiredRule>();
  for (const b of bucketsOf(within(alerts.aggregations, "rules"), "ids")) {
    const id = keyText(b.key);
    const subtechniques = keysOf(b, "subtechniques");
    rules.set(id, {
      id,
      name: keysOf(b, "name")[0] ?? id,
      techniques: subtechniques.length > 0 ? subtechniques : keysOf(b, "techniques"),
    });
  }
  for (const d of [detection, ...peers.filter((p) => source !== "" && p.group["source.ip"] === source)])
    rules.set(d.rule.ruleId, firedRule(d.rule));

  return {
    source,
    detection: {
      id: detection.id,
      ruleId: detection.rule.ruleId,
      ruleName: detection.rule.name,
      firstSeen: detection.evidence.firstSeen,
      lastSeen,
    },
    targets,
    activityStart,
    priorEvents: valueOf(h, "prior") ?? 0,
    history: {
      events: totalHits(history),
      ...optional("firstSeen", dateOf(h, "first")),
      ...optional("lastSeen", dateOf(h, "last")),
      activeDays: [
        ...new Set([
          ...bucketsOf(within(h, "prior"), "days").map((b) => dayOf(Number(b.key))),
          dayOf(Date.parse(activityStart)),
        ]),
      ],
      alertDays: [
        ...bucketsOf(within(alerts.aggregations, "alertDays"), "days").map((b) =>
          minuteOf(valueOf(b, "last") ?? Number(b.key)),
        ),
        minuteOf(Date.parse(activityStart)),
      ],
      targets: keysOf(h, "targets"),
      ports: keysOf(h, "ports").map(Number),
      methods: [
        ...keysOf(h, "transports").map((x) => `${x} probes`),
        ...keysOf(h, "tools").map((x) => `${x} (IDS signature)`),
      ],
    },
    activity,
    baseline: {
      events: totalHits(baseline),
      spanMs: Math.max(0, Date.parse(activityStart) - Date.parse(historyStart)),
    },
    rules: [...rules.values()],
    ids: bucketsOf(ids.aggregations, "signatures").map(idsSignature),
    similar: alerts.hits.hits.map((hit) => similarFromAlert(hit._id ?? "", hit._source ?? {})),
    decoys,
    postScan,
  };

  /**
   * Walks back from the detection over the source's events in slices shorter than the gap, so
   * that every silence of the gap or longer lies between two slices' first and last events.
   */
  async function findActivityStart(): Promise<number> {
    const gap = limits.activity_gap;
    const response = await searchHistory([fromSource, between(historyStart, lastSeen)], {
      slices: {
        date_histogram: { field: "@timestamp", fixed_interval: `${Math.ceil(gap / 2)}ms`, min_doc_count: 1 },
        aggs: { first: { min: { field: "@timestamp" } }, last: { max: { field: "@timestamp" } } },
      },
    });
    const slices = bucketsOf(response.aggregations, "slices").map((b) => ({
      first: valueOf(b, "first") ?? Number(b.key),
      last: valueOf(b, "last") ?? Number(b.key),
    }));
    return startOfActivity(slices, gap, at - limits.activity_window) ?? at;
  }

  /** Every port the source probed in its activity, per transport: paged, so none is left out. */
  async function gatherServices(): Promise<SourceActivity["services"]> {
    const ports = new Map<string, number[]>();
    const pages = compositePages(
      {
        size: 10_000,
        sources: [
          { transport: { terms: { field: "network.transport", missing_bucket: true } } },
          { port: { terms: { field: "destination.port", missing_bucket: true } } },
        ],
      },
      async (composite) =>
        (
          await search(SOURCE_INDEX.firewall, [fromSource, between(activityStart, lastSeen)], {
            services: { composite },
          })
        ).aggregations?.services,
    );
    for await (const buckets of pages)
      for (const { key } of buckets) {
        const transport = typeof key.transport === "string" ? key.transport : UNNAMED_PROTOCOL;
        const listed = ports.get(transport) ?? [];
        if (typeof key.port === "number") listed.push(key.port);
        ports.set(transport, listed);
      }
    return [...ports].map(([transport, listed]) => ({ transport, ports: listed.sort((x, y) => x - y) }));
  }

  async function gatherActivity(): Promise<SourceActivity> {
    const interest = portsOfInterest(context, scope.inventory);
    const response = await search(SOURCE_INDEX.firewall, [fromSource, between(activityStart, lastSeen)], {
      first: { min: { field: "@timestamp" } },
      last: { max: { field: "@timestamp" } },
      targets: { terms: { field: "destination.ip", size: 1000 } },
      distinct_ports: { cardinality: { field: "destination.port", precision_threshold: 40_000 } },
      ports: {
        terms: {
          field: "destination.port",
          size: PORT_LIST_LIMIT + 1,
          order: [{ _count: "desc" }, { _key: "asc" }],
        },
      },
      transports: { terms: { field: "network.transport", size: 10, missing: UNNAMED_PROTOCOL } },
      minutes: { date_histogram: { field: "@timestamp", fixed_interval: "1m", min_doc_count: 1 } },
      flags: { terms: { field: "scanproof.tcp.flags", size: 20 } },
      pace: { date_histogram: { field: "@timestamp", fixed_interval: "100ms", min_doc_count: 1 } },
      trusted: {
        filter: { terms: { "source.port": limits.trusted_source_ports.ports } },
        aggs: {
          ports: {
            terms: { field: "source.port", size: limits.trusted_source_ports.ports.length },
            aggs: { destinations: { cardinality: { field: "destination.port" } } },
          },
        },
      },
      probed: {
        filter: { terms: { "destination.port": interest } },
        aggs: {
          services: {
            composite: {
              size: 1000,
              sources: [
                { address: { terms: { field: "destination.ip" } } },
                { port: { terms: { field: "destination.port" } } },
                { protocol: { terms: { field: "network.transport" } } },
              ],
            },
          },
        },
      },
    });
    const a = response.aggregations;
    const ports = bucketsOf(a, "ports").map((b) => ({ port: Number(b.key), probes: b.doc_count }));
    const complete = ports.length <= PORT_LIST_LIMIT;
    return {
      probes: totalHits(response),
      ...optional("firstSeen", dateOf(a, "first")),
      ...optional("lastSeen", dateOf(a, "last")),
      targets: keysOf(a, "targets"),
      distinctPorts: complete ? ports.length : (valueOf(a, "distinct_ports") ?? ports.length),
      ...(complete ? { ports: ports.map((p) => p.port).sort((x, y) => x - y) } : {}),
      topPorts: ports.slice(0, 20),
      transports: keysOf(a, "transports"),
      services: await gatherServices(),
      minutes: bucketsOf(a, "minutes").map((b) => new Date(Number(b.key)).toISOString()),
      tcpFlags: keysOf(a, "flags"),
      probedPorts: bucketsOf(within(a, "probed"), "services").map((b): ProbedPort => {
        const key = b.key as { address: string; port: number; protocol: string };
        return { address: key.address, port: key.port, protocol: key.protocol, probes: b.doc_count };
      }),
      slowestRun: longestSpacedRun(
        bucketsOf(a, "pace").map((b) => ({ at: Number(b.key), probes: b.doc_count })),
        limits.slow_scan.min_interval,
      ),
      trustedSourcePorts: bucketsOf(within(a, "trusted"), "ports").map((b) => ({
        port: Number(b.key),
        probes: b.doc_count,
        destinationPorts: valueOf(b, "destinations") ?? 0,
      })),
    };
  }

  async function gatherDecoys(act: SourceActivity): Promise<EscalationFacts["decoys"]> {
    if (act.firstSeen === undefined || act.lastSeen === undefined || act.targets.length === 0) return [];
    const ports = act.ports ?? act.topPorts.map((p) => p.port);
    const response = await search(
      SOURCE_INDEX.firewall,
      [
        { terms: { "destination.ip": [...act.targets] } },
        { terms: { "destination.port": [...ports] } },
        between(
          new Date(Date.parse(act.firstSeen) - DECOY_SLACK_MS).toISOString(),
          new Date(Date.parse(act.lastSeen) + DECOY_SLACK_MS).toISOString(),
        ),
        { bool: { must_not: [fromSource] } },
      ],
      {
        sources: {
          terms: { field: "source.ip", size: 50 },
          aggs: { ports: { cardinality: { field: "destination.port" } } },
        },
      },
    );
    return bucketsOf(response.aggregations, "sources").map((b) => ({
      source: keyText(b.key),
      sharedPorts: valueOf(b, "ports") ?? 0,
    }));
  }

  async function detectionTargets(): Promise<string[]> {
    const response = await search(
      [...detection.rule.index],
      [
        detection.rule.filter,
        fromSource,
        {
          range: {
            [detection.rule.timestampField]: { gte: detection.window.gte, lte: detection.window.lte },
          },
        },
      ],
      { targets: { terms: { field: "destination.ip", size: 1000 } } },
    );
    return keysOf(response.aggregations, "targets");
  }
}

/** The ports whose probes matter to enrichment: inventory services, advisories and pattern port sets. */
function portsOfInterest(context: EscalationContext, inventory: readonly Asset[]): number[] {
  const ports = new Set<number>();
  for (const a of inventory) for (const s of a.services) ports.add(s.port);
  for (const a of context.advisories?.advisories ?? []) if (a.port !== undefined) ports.add(a.port);
  return [...ports].sort((a, b) => a - b);
}

function idsSignature(b: Bucket): IdsSignature {
  const hit = (within(b, "sample")?.hits as { hits?: { _source?: unknown }[] } | undefined)?.hits?.[0];
  const doc = (hit?._source ?? {}) as {
    rule?: { name?: string; category?: string };
    scanproof?: {
      ids?: { tool?: string | string[]; evasion?: string | string[]; containment?: string | string[] };
    };
  };
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return {
    id: keyText(b.key),
    name: doc.rule?.name ?? "",
    category: doc.rule?.category ?? "",
    tools: list(doc.scanproof?.ids?.tool),
    evasion: list(doc.scanproof?.ids?.evasion),
    containment: list(doc.scanproof?.ids?.containment).length > 0,
    count: b.doc_count,
    firstSeen: dateOf(b, "first") ?? "",
    lastSeen: dateOf(b, "last") ?? "",
  };
}

function similarFromAlert(id: string, alert: StoredAlert): SimilarAlert {
  const source = alert.source?.ip;
  const tier = alert.scanproof?.escalation?.tier;
  return {
    id,
    ruleName: alert.rule?.name ?? "",
    ...(source ? { source } : {}),
    at: alert["@timestamp"] ?? "",
    ...(tier ? { tier } : {}),
  };
}

const DAY_MS = 86_400_000;

/** The scope's own events, or any event of the history indices (which carry no run labels). */
function ownOrHistory(filters: readonly Query[], historyIndices: readonly string[]): Query {
  const own: Query = { bool: { filter: [...filters] } };
  if (historyIndices.length === 0) return own;
  return {
    bool: { should: [own, { terms: { _index: [...historyIndices] } }], minimum_should_match: 1 },
  };
}

/**
 * The concrete indices the history patterns name: indices, the indices behind aliases, and the
 * backing indices of data streams (`logs-*` names data streams whose documents live in `.ds-…`).
 */
async function concreteIndices(backend: Backend, patterns: readonly string[]): Promise<string[]> {
  if (patterns.length === 0) return [];
  const resolved = await backend.client.indices.resolveIndex({
    name: [...patterns],
    expand_wildcards: "open",
  });
  return [
    ...new Set([
      ...resolved.indices.map((i) => i.name),
      ...resolved.aliases.flatMap((a) => a.indices),
      ...resolved.data_streams.flatMap((d) => d.backing_indices),
    ]),
  ];
}

function minuteOf(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
}

function firedRule(rule: Rule): FiredRule {
  return {
    id: rule.ruleId,
    name: rule.name,
    techniques: rule.threat.flatMap((t) =>
      t.techniques.flatMap((tech) =>
        tech.subtechniques.length > 0 ? tech.subtechniques.map((s) => s.id) : [tech.id],
      ),
    ),
  };
}
