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
    flow: { properties: { final: { type: "boolean" } } },
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
    url: { properties: { path: keyword, query: keyword, domain: keyword, original: keyword } },
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
    icmp: { properties: { request: { properties: { type: long, code: long } } } },
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

export interface ElasticAlias {
  readonly name: string;
  readonly filter: estypes.QueryDslQueryContainer;
}

/**
 * Names under which Elastic's prebuilt rules find scanproof's events unmodified. The flow index
 * holds NetFlow's one-direction records and the sensor's bidirectional ones; the alias
 * `logs-network_traffic.flow-scanproof` (what `logs-network_traffic.*` finds) shows only the
 * bidirectional records, which have the shape of the network_traffic integration's flow data stream.
 */
export const ELASTIC_ALIASES: Partial<Record<LogSourceName, ElasticAlias>> = {
  flow: {
    name: "logs-network_traffic.flow-scanproof",
    filter: { term: { "data_stream.dataset": "network_traffic.flow" } },
  },
};

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
    alias?: ElasticAlias,
  ) => ({
    name,
    body: {
      name,
      index_patterns: [pattern],
      priority: 500,
      template: {
        settings,
        mappings,
        ...(alias ? { aliases: { [alias.name]: { filter: alias.filter } } } : {}),
      },
      _meta: { managed_by: "scanproof" },
    },
  });
  return [
    ...Object.entries(SOURCE_INDEX).map(([source, index]) =>
      template(index, `${index}*`, ecsEventMappings, ELASTIC_ALIASES[source as LogSourceName]),
    ),
    template(ALERTS_INDEX, `${ALERTS_INDEX}*`, alertMappings),
  ];
}
