import type { estypes } from "@elastic/elasticsearch";
import type { LogSourceName } from "../core/vocabulary.js";

export const ALERTS_INDEX = "scanproof-alerts";
export const SOURCE_INDEX = {
  firewall: "scanproof-firewall",
  web: "scanproof-web",
  dns: "scanproof-dns",
  ids: "scanproof-ids",
  flow: "scanproof-flow",
  auth: "scanproof-auth",
} as const satisfies Record<LogSourceName, string>;

const keyword = { type: "keyword" } as const;
const long = { type: "long" } as const;
const ip = { type: "ip" } as const;
const date = { type: "date" } as const;

/** ECS field types every event index shares; strings not named here are keywords. */
export const ecsEventMappings: estypes.MappingTypeMapping = {
  dynamic_templates: [
    {
      strings_as_keyword: { match_mapping_type: "string", mapping: { type: "keyword", ignore_above: 1024 } },
    },
  ],
  properties: {
    "@timestamp": date,
    event: {
      properties: {
        kind: keyword,
        category: keyword,
        type: keyword,
        action: keyword,
        outcome: keyword,
        dataset: keyword,
        module: keyword,
        original: { type: "keyword", index: false, doc_values: false },
        ingested: date,
        severity: long,
        duration: long,
        start: date,
        end: date,
      },
    },
    data_stream: { properties: { type: keyword, dataset: keyword, namespace: keyword } },
    flow: { properties: { final: { type: "boolean" }, id: keyword } },
    type: keyword,
    iptables: {
      properties: {
        ttl: long,
        id: long,
        length: long,
        input_device: keyword,
        output_device: keyword,
        tcp: { properties: { flags: keyword, window: long } },
        icmp: { properties: { type: long, code: long } },
      },
    },
    suricata: { properties: { eve: { properties: { event_type: keyword, flow_id: keyword } } } },
    source: { properties: { ip, port: long, packets: long, bytes: long } },
    destination: { properties: { ip, port: long, packets: long, bytes: long } },
    network: {
      properties: {
        transport: keyword,
        iana_number: keyword,
        direction: keyword,
        protocol: keyword,
        community_id: keyword,
        packets: long,
        bytes: long,
      },
    },
    rule: {
      properties: { id: keyword, name: keyword, category: keyword, version: keyword, ruleset: keyword },
    },
    threat: {
      properties: {
        framework: keyword,
        tactic: { properties: { id: keyword, name: keyword } },
        technique: { properties: { id: keyword, subtechnique: { properties: { id: keyword } } } },
      },
    },
    observer: { properties: { type: keyword, vendor: keyword, product: keyword, name: keyword } },
    http: {
      properties: {
        version: keyword,
        request: { properties: { method: keyword, referrer: keyword } },
        response: { properties: { status_code: long, body: { properties: { bytes: long } } } },
      },
    },
    user: { properties: { name: keyword } },
    url: {
      properties: { path: keyword, query: keyword, extension: keyword, domain: keyword, original: keyword },
    },
    user_agent: { properties: { original: { type: "keyword", ignore_above: 8192 } } },
    dns: {
      properties: {
        type: keyword,
        response_code: keyword,
        id: keyword,
        op_code: keyword,
        question: { properties: { name: keyword, type: keyword, class: keyword } },
      },
    },
    icmp: {
      properties: {
        version: long,
        request: { properties: { type: long, code: long } },
        response: { properties: { type: long, code: long } },
      },
    },
    status: keyword,
    message: { type: "text" },
    labels: { properties: { scanproof_run_id: keyword, scanproof_scenario: keyword } },
    error: { properties: { message: { type: "text" } } },
    tags: keyword,
    scanproof: {
      properties: {
        tcp: {
          properties: {
            window: long,
            length: long,
            flags: keyword,
            flags_ts: keyword,
            flags_tc: keyword,
            state: keyword,
          },
        },
        ip: { properties: { ttl: long, id: long } },
        icmp: { properties: { type: long, code: long } },
        conntrack: { properties: { state: keyword } },
        flow: { properties: { id: long, state: keyword, reason: keyword, alerted: { type: "boolean" } } },
        anomaly: { properties: { type: keyword, event: keyword, layer: keyword, app_proto: keyword } },
        ids: { properties: { tool: keyword, evasion: keyword, containment: keyword } },
      },
    },
  },
};

const alertMappings: estypes.MappingTypeMapping = {
  dynamic_templates: ecsEventMappings.dynamic_templates ?? [],
  properties: {
    "@timestamp": date,
    event: { properties: { kind: keyword, severity: long, risk_score: { type: "float" }, created: date } },
    rule: { properties: { id: keyword, uuid: keyword, name: keyword, ruleset: keyword, type: keyword } },
    source: { properties: { ip } },
    destination: { properties: { ip } },
    threat: {
      properties: {
        framework: keyword,
        tactic: { properties: { id: keyword, name: keyword } },
        technique: {
          properties: {
            id: keyword,
            name: keyword,
            subtechnique: { properties: { id: keyword, name: keyword } },
          },
        },
      },
    },
    labels: { properties: { scanproof_run_id: keyword, scanproof_scenario: keyword } },
    scanproof: {
      properties: {
        scope: keyword,
        group: { type: "flattened" },
        evidence: {
          properties: {
            events: long,
            distinct: { properties: { field: keyword, values: long } },
            first_seen: date,
            last_seen: date,
          },
        },
        window: { properties: { gte: date, lte: date } },
        escalation: {
          properties: {
            tier: keyword,
            reasons: { properties: { code: keyword, message: { type: "text" } } },
            // Kept with the alert for analysts and reports, not searched: no mapping to drift.
            analysis: { type: "object", enabled: false },
            enrichment: { type: "object", enabled: false },
            nextAction: { type: "object", enabled: false },
          },
        },
      },
    },
  },
};

export interface IndexTemplate {
  readonly name: string;
  readonly body: estypes.IndicesPutIndexTemplateRequest;
}

/**
 * Every event carries `data_stream.type/dataset/namespace` in the shape of the Elastic integration
 * that reads such a sensor, and is searchable under that data stream's name: an alias of the
 * source's index, filtered to the dataset. The namespace is one for every run: the aliases are
 * fixed in the index templates (a namespace per run would need aliases per run, and
 * `logs-<dataset>-*` patterns would find every run's anyway); runs are told apart by their labels.
 */
export const DATA_STREAM_NAMESPACE = "scanproof";

export interface LabDataStream {
  readonly source: LogSourceName;
  /** The integration's dataset, as `data_stream.dataset` and in the alias's name. */
  readonly dataset: string;
  /** Which of the source's records it holds, and why this integration's shape. */
  readonly holds: string;
}

export const LAB_DATA_STREAMS: readonly LabDataStream[] = [
  {
    source: "firewall",
    dataset: "iptables.log",
    holds: "every NFLOG record of nftables (Elastic's iptables integration reads netfilter's log)",
  },
  { source: "ids", dataset: "suricata.eve", holds: "every EVE record of Suricata" },
  {
    source: "flow",
    dataset: "network_traffic.flow",
    holds: "the connections (both directions paired), as Packetbeat's network_traffic flows",
  },
  {
    source: "flow",
    dataset: "network_traffic.icmp",
    holds: "each ICMP query with its reply (type, code, bytes), as Packetbeat's ICMP transactions",
  },
  {
    source: "flow",
    dataset: "netflow.log",
    holds: "softflowd's one-direction IPFIX records, as Elastic's NetFlow integration collects them",
  },
  { source: "web", dataset: "nginx.access", holds: "every line of nginx's access log" },
  {
    source: "dns",
    dataset: "network_traffic.dns",
    holds:
      "unbound's replies: a query and its answer per record, as Packetbeat's DNS transactions (Elastic has no unbound integration)",
  },
  {
    source: "auth",
    dataset: "system.auth",
    holds: "sshd's syslog messages, as the system integration's auth logs",
  },
];

export interface ElasticAlias {
  readonly name: string;
  readonly filter: estypes.QueryDslQueryContainer;
}

/** The data stream name an Elastic integration would write this dataset to. */
export function dataStreamName(dataset: string): string {
  return `logs-${dataset}-${DATA_STREAM_NAMESPACE}`;
}

/**
 * The names under which Elastic's prebuilt rules find scanproof's events unmodified: one alias per
 * data stream, filtered to its dataset, so an index holding two shapes (the flow index: NetFlow's
 * one-direction records and the paired connections) shows each rule only the shape it was written
 * for. A search whose patterns reach an index through several aliases (or also by its own name)
 * reads each document once: Elasticsearch combines the aliases' filters with "or" per index.
 */
export function elasticAliases(source: LogSourceName): ElasticAlias[] {
  return LAB_DATA_STREAMS.filter((d) => d.source === source).map((d) => ({
    name: dataStreamName(d.dataset),
    filter: { term: { "data_stream.dataset": d.dataset } },
  }));
}

/**
 * One template per source index. Priority 500 outranks the built-in `logs-*-*` templates of full
 * distributions; one shard, no replica, and a 1 s refresh keep the single-node lab green and fast.
 */
export function indexTemplates(): IndexTemplate[] {
  const settings = { number_of_shards: 1, number_of_replicas: 0, refresh_interval: "1s" };
  const template = (
    name: string,
    pattern: string,
    mappings: estypes.MappingTypeMapping,
    aliases: readonly ElasticAlias[] = [],
  ) => ({
    name,
    body: {
      name,
      index_patterns: [pattern],
      priority: 500,
      template: {
        settings,
        mappings,
        ...(aliases.length > 0
          ? { aliases: Object.fromEntries(aliases.map((a) => [a.name, { filter: a.filter }])) }
          : {}),
      },
      _meta: { managed_by: "scanproof" },
    },
  });
  return [
    ...Object.entries(SOURCE_INDEX).map(([source, index]) =>
      template(index, `${index}*`, ecsEventMappings, elasticAliases(source as LogSourceName)),
    ),
    template(ALERTS_INDEX, `${ALERTS_INDEX}*`, alertMappings),
  ];
}
