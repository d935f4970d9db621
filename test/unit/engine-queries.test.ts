import type { estypes } from "@elastic/elasticsearch";
import { expect } from "chai";
import { assessFieldCaps } from "../../harness/detection/live/field-check.js";
import type { NewTermsRule, Rule, ThresholdRule } from "../../harness/detection/rules/rule.js";
import { historyExclusion, historyKey } from "../../harness/detection/live/threshold-rule.js";
import {
  readTimeBounds,
  timeBoundsAggs,
  timeRange,
  timeSort,
} from "../../harness/detection/live/timestamp.js";

const BASE = {
  file: "rule.toml",
  ruleId: "r-1",
  name: "Rule",
  description: "",
  severity: "low",
  riskScore: 21,
  index: ["logs-network_traffic.*"],
  language: "kuery",
  query: "event.action : network_flow and network.packets <= 2",
  filter: { match_all: {} },
  lookbackMs: 540_000,
  endOffsetMs: 0,
  intervalMs: 300_000,
  maxSignals: 5,
  timestampField: "@timestamp",
  timestampFallback: false,
  threat: [],
} as const;
const THRESHOLD: ThresholdRule = {
  ...BASE,
  index: [...BASE.index],
  type: "threshold",
  threshold: {
    fields: ["destination.ip", "source.ip"],
    value: 1,
    cardinality: [{ field: "destination.port", value: 250 }],
  },
};
const OVERRIDE = { timestampField: "event.ingested", timestampFallback: true };
const FROM = new Date("2026-11-28T13:00:00.000Z");
const TO = new Date("2026-11-28T13:09:00.000Z");

/** `_field_caps` as the embedded Elasticsearch answered it for scanproof-flow (2026-11-28). */
function caps(
  fields: Record<string, Record<string, boolean>>,
  indices = ["scanproof-flow"],
): estypes.FieldCapsResponse {
  return {
    indices,
    fields: Object.fromEntries(
      Object.entries(fields).map(([name, types]) => [
        name,
        Object.fromEntries(
          Object.entries(types).map(([type, aggregatable]) => [
            type,
            { type, metadata_field: false, searchable: true, aggregatable },
          ]),
        ),
      ]),
    ),
  };
}
const FLOW_FIELDS = {
  "@timestamp": { date: true },
  "event.ingested": { date: true },
  "event.action": { keyword: true },
  "network.packets": { long: true },
  "source.ip": { ip: true },
  "destination.ip": { ip: true },
  "destination.port": { long: true },
};

describe("time windows in Elasticsearch DSL", () => {
  it("ranges over the rule's timestamp field, both ends inclusive", () => {
    expect(timeRange(BASE, { gte: FROM, lte: TO })).to.deep.equal({
      range: {
        "@timestamp": {
          gte: "2026-11-28T13:00:00.000Z",
          lte: "2026-11-28T13:09:00.000Z",
          format: "strict_date_optional_time",
        },
      },
    });
  });

  it("places events without the override field by @timestamp when the fallback is on", () => {
    const range = {
      gte: "2026-11-28T13:00:00.000Z",
      lt: "2026-11-28T13:09:00.000Z",
      format: "strict_date_optional_time",
    };
    expect(timeRange(OVERRIDE, { gte: FROM, lt: TO })).to.deep.equal({
      bool: {
        should: [
          { range: { "event.ingested": range } },
          {
            bool: {
              filter: [{ range: { "@timestamp": range } }],
              must_not: [{ exists: { field: "event.ingested" } }],
            },
          },
        ],
        minimum_should_match: 1,
      },
    });
  });

  it("sorts by the override, then by @timestamp for events without it", () => {
    expect(timeSort(OVERRIDE)).to.deep.equal([
      { "event.ingested": { order: "asc", unmapped_type: "date", missing: "_last" } },
      { "@timestamp": { order: "asc", unmapped_type: "date", missing: "_last" } },
    ]);
  });

  it("takes first and last seen over both the override and the fallback events", () => {
    expect(Object.keys(timeBoundsAggs(OVERRIDE))).to.deep.equal([
      "first_seen",
      "last_seen",
      "without_override",
    ]);
    const bounds = readTimeBounds({
      first_seen: { value: Date.parse("2026-11-28T13:02:00.000Z") },
      last_seen: { value: Date.parse("2026-11-28T13:03:00.000Z") },
      without_override: {
        first_seen: { value: Date.parse("2026-11-28T13:01:00.000Z") },
        last_seen: { value: null },
      },
    });
    expect(bounds).to.deep.equal({
      firstSeen: "2026-11-28T13:01:00.000Z",
      lastSeen: "2026-11-28T13:03:00.000Z",
    });
  });
});

describe("first and last event of a group", () => {
  it("asks for both bounds of the override, and of @timestamp over events without it", () => {
    expect(timeBoundsAggs(BASE)).to.deep.equal({
      first_seen: { min: { field: "@timestamp" } },
      last_seen: { max: { field: "@timestamp" } },
    });
    expect(timeBoundsAggs(OVERRIDE)).to.deep.equal({
      first_seen: { min: { field: "event.ingested" } },
      last_seen: { max: { field: "event.ingested" } },
      without_override: {
        filter: { bool: { must_not: [{ exists: { field: "event.ingested" } }] } },
        aggs: {
          first_seen: { min: { field: "@timestamp" } },
          last_seen: { max: { field: "@timestamp" } },
        },
      },
    });
  });

  it("takes the earliest first and the latest last, skipping bounds Elasticsearch left empty", () => {
    const at = (iso: string) => ({ value: Date.parse(iso) });
    expect(
      readTimeBounds({
        first_seen: { value: null },
        last_seen: at("2026-11-28T13:03:00.000Z"),
        without_override: {
          first_seen: at("2026-11-28T13:01:00.000Z"),
          last_seen: at("2026-11-28T13:05:00.000Z"),
        },
      }),
    ).to.deep.equal({ firstSeen: "2026-11-28T13:01:00.000Z", lastSeen: "2026-11-28T13:05:00.000Z" });
    expect(readTimeBounds({ first_seen: { value: null }, last_seen: {} })).to.deep.equal({
      firstSeen: "",
      lastSeen: "",
    });
    expect(readTimeBounds({})).to.deep.equal({ firstSeen: "", lastSeen: "" });
  });
});

describe("threshold de-duplication (Kibana's bucket filters)", () => {
  it("excludes each alerted group's events up to the last one its alert covered", () => {
    const group = { "destination.ip": "10.20.0.10", "source.ip": "192.168.50.10" };
    const history = new Map([[historyKey(group), { group, lastSeen: TO }]]);
    expect(historyExclusion(THRESHOLD, history)).to.deep.equal([
      {
        bool: {
          filter: [
            {
              range: {
                "@timestamp": { lte: "2026-11-28T13:09:00.000Z", format: "strict_date_optional_time" },
              },
            },
            { term: { "destination.ip": "10.20.0.10" } },
            { term: { "source.ip": "192.168.50.10" } },
          ],
        },
      },
    ]);
  });

  it("keys a group the same whatever the order of its fields", () => {
    expect(historyKey({ a: "1", b: "2" })).to.equal(historyKey({ b: "2", a: "1" }));
  });
});

describe("assessFieldCaps", () => {
  it("finds nothing wrong with the SYN port scan rule on scanproof's flow index", () => {
    const rule = { ...THRESHOLD, ...OVERRIDE };
    expect(assessFieldCaps(rule, caps(FLOW_FIELDS))).to.deep.equal({
      indices: ["scanproof-flow"],
      mappedFields: Object.keys(FLOW_FIELDS),
      warnings: [],
    });
  });

  it("says when no index matches the rule's patterns", () => {
    expect(assessFieldCaps(THRESHOLD, caps({}, []))).to.deep.equal({
      indices: [],
      mappedFields: [],
      warnings: ["no index matches logs-network_traffic.*: nothing was searched"],
    });
  });

  it("blocks a rule whose threshold field no index maps, naming field and indices", () => {
    const { "source.ip": _dropped, ...rest } = FLOW_FIELDS;
    expect(assessFieldCaps(THRESHOLD, caps(rest)).blocking).to.equal(
      "threshold field source.ip is not mapped in scanproof-flow, so no group can form",
    );
  });

  it("blocks a rule that counts a field no index can aggregate", () => {
    const check = assessFieldCaps(THRESHOLD, caps({ ...FLOW_FIELDS, "destination.port": { text: false } }));
    expect(check.blocking).to.equal(
      "cardinality field destination.port cannot be aggregated in scanproof-flow (mapped as text), so no group can form",
    );
  });

  it("runs a rule whose field is aggregatable in at least one index", () => {
    const check = assessFieldCaps(
      THRESHOLD,
      caps({ ...FLOW_FIELDS, "source.ip": { ip: true, text: false } }, ["scanproof-flow", "old-flows"]),
    );
    expect(check.blocking).to.equal(undefined);
  });

  it("checks new terms fields the same way", () => {
    const rule: NewTermsRule = {
      ...BASE,
      index: [...BASE.index],
      type: "new_terms",
      newTerms: { fields: ["host.name"], historyWindowMs: 86_400_000 },
    };
    expect(assessFieldCaps(rule, caps(FLOW_FIELDS)).blocking).to.equal(
      "new terms field host.name is not mapped in scanproof-flow, so no group can form",
    );
  });

  it("blocks a rule whose timestamp field is not a date, and falls back to @timestamp when allowed", () => {
    const { "event.ingested": _dropped, ...rest } = FLOW_FIELDS;
    const strict: Rule = { ...THRESHOLD, timestampField: "event.ingested" };
    expect(assessFieldCaps(strict, caps(rest)).blocking).to.equal(
      "the timestamp field event.ingested is not mapped as a date in scanproof-flow, so no event falls in a window",
    );
    const fallback = assessFieldCaps({ ...THRESHOLD, ...OVERRIDE }, caps(rest));
    expect(fallback.blocking).to.equal(undefined);
    expect(fallback.warnings).to.deep.equal([
      "timestamp_override event.ingested is not mapped as a date in scanproof-flow: every event is placed by @timestamp (Kibana's fallback)",
    ]);
  });

  it("blocks a rule whose query reads a field no search can read (ECS maps event.original so)", () => {
    const rule: Rule = { ...THRESHOLD, query: "event.action:network_flow or event.original:*React*" };
    const flow = caps(FLOW_FIELDS);
    const original = { type: "keyword", metadata_field: false, searchable: false, aggregatable: false };
    const check = assessFieldCaps(rule, {
      ...flow,
      fields: { ...flow.fields, "event.original": { keyword: original } },
    });
    expect(check.blockingField).to.equal("event.original");
    expect(check.blocking).to.equal(
      "the query's field event.original cannot be searched in scanproof-flow (neither indexed nor with doc values), so Elasticsearch refuses the search there",
    );
  });

  it("warns about query fields no index maps, whose clauses can only match nothing", () => {
    const { "network.packets": _dropped, ...rest } = FLOW_FIELDS;
    expect(assessFieldCaps(THRESHOLD, caps(rest)).warnings).to.deep.equal([
      "the query names fields not mapped in scanproof-flow, whose clauses match nothing: network.packets",
    ]);
  });
});
