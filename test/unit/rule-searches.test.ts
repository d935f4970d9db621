import type { estypes } from "@elastic/elasticsearch";
import { expect } from "chai";
import type { Backend } from "../../harness/backend/backend.js";
import type { Detection } from "../../harness/detection/rules/rule.js";
import { newTermsDetections } from "../../harness/detection/live/new-terms-rule.js";
import { queryDetections } from "../../harness/detection/live/query-rule.js";
import type { NewTermsRule, QueryRule, ThresholdRule } from "../../harness/detection/rules/rule.js";
import type { SearchContext } from "../../harness/detection/live/search.js";
import { historyKey, thresholdDetections } from "../../harness/detection/live/threshold-rule.js";

/**
 * The Elasticsearch path of threshold, new terms and query rules, against a client that records
 * each search and answers it as Elasticsearch would (aggregations shaped like the embedded
 * cluster's answers): what the rule asks for, and what it makes of the answer.
 */

const BASE = {
  file: "rule.toml",
  ruleId: "r-1",
  name: "Rule",
  description: "",
  severity: "low",
  riskScore: 21,
  index: ["scanproof-firewall*"],
  language: "kuery",
  query: "event.category:network",
  filter: { match: { "event.category": "network" } },
  lookbackMs: 540_000,
  endOffsetMs: 0,
  intervalMs: 300_000,
  maxSignals: 100,
  timestampField: "@timestamp",
  timestampFallback: false,
  threat: [],
} as const;
const THRESHOLD: ThresholdRule = {
  ...BASE,
  index: [...BASE.index],
  type: "threshold",
  threshold: {
    fields: ["source.ip", "destination.ip"],
    value: 3,
    cardinality: [
      { field: "destination.port", value: 2 },
      { field: "network.transport", value: 2 },
    ],
  },
};
const NEW_TERMS: NewTermsRule = {
  ...BASE,
  index: [...BASE.index],
  type: "new_terms",
  newTerms: { fields: ["source.ip", "destination.port"], historyWindowMs: 7 * 86_400_000 },
};
const QUERY: QueryRule = { ...BASE, index: [...BASE.index], type: "query" };

const GTE = new Date("2026-11-28T12:51:00.000Z");
const LTE = new Date("2026-11-28T13:00:00.000Z");
const SCOPE_FILTER = { term: { "labels.scenario_id": "nmap-syn-top1000" } };
const CONTEXT: SearchContext = {
  window: { gte: GTE, lte: LTE },
  filters: [SCOPE_FILTER],
  scopeKey: "run/scenario",
};
const FIRST = Date.parse("2026-11-28T12:55:00.000Z");
const LAST = Date.parse("2026-11-28T12:56:30.000Z");
const PAGE = 1000;

type Answer = Partial<estypes.SearchResponse>;

/** A backend whose searches are recorded and answered in turn by `answers`. */
function recording(answers: readonly Answer[]): { backend: Backend; requests: estypes.SearchRequest[] } {
  const requests: estypes.SearchRequest[] = [];
  const search = (request: estypes.SearchRequest): Promise<Answer> => {
    requests.push(request);
    const answer = answers[requests.length - 1];
    if (!answer) throw new Error(`unexpected search #${requests.length}: ${JSON.stringify(request)}`);
    return Promise.resolve(answer);
  };
  return { backend: { client: { search } } as unknown as Backend, requests };
}

async function pagesOf(found: AsyncGenerator<Detection[]>): Promise<Detection[][]> {
  const pages: Detection[][] = [];
  for await (const page of found) pages.push(page);
  return pages;
}

function composite(buckets: readonly Record<string, unknown>[], afterKey?: Record<string, string>): Answer {
  return {
    hits: { hits: [] },
    aggregations: { groups: { buckets, ...(afterKey ? { after_key: afterKey } : {}) } } as never,
  };
}

/** One threshold group as a composite bucket: its key, its count and its distinct values. */
function group(source: string, events: number, ports: number, transports: number): Record<string, unknown> {
  return {
    key: { "source.ip": source, "destination.ip": "10.20.0.10" },
    doc_count: events,
    distinct_0: { value: ports },
    distinct_1: { value: transports },
    first_seen: { value: FIRST },
    last_seen: { value: LAST },
  };
}

const sources = (pages: readonly Detection[][]) => pages.flat().map((d) => d.group["source.ip"]);

describe("threshold rules on Elasticsearch", function () {
  it("alert on a group with exactly `value` events and each cardinality's distinct values, never one fewer", async function () {
    const { backend } = recording([
      composite([
        group("198.18.0.1", 3, 2, 2),
        group("198.18.0.2", 2, 2, 2),
        group("198.18.0.3", 3, 1, 2),
        group("198.18.0.4", 3, 2, 1),
        group("198.18.0.5", 4, 3, 3),
      ]),
    ]);
    const pages = await pagesOf(thresholdDetections(backend, THRESHOLD, CONTEXT, new Map()));
    expect(sources(pages)).to.deep.equal(["198.18.0.1", "198.18.0.5"]);
  });

  it("count a cardinality Elasticsearch did not answer as no distinct values", async function () {
    const { distinct_1: _unanswered, ...bucket } = group("198.18.0.1", 3, 2, 2);
    const { backend } = recording([composite([bucket])]);
    expect(await pagesOf(thresholdDetections(backend, THRESHOLD, CONTEXT, new Map()))).to.deep.equal([[]]);
  });

  it("report the group's events, distinct values, first and last event and window", async function () {
    const { backend } = recording([composite([group("198.18.0.1", 5, 4, 2)])]);
    const [detection] = (await pagesOf(thresholdDetections(backend, THRESHOLD, CONTEXT, new Map()))).flat();
    expect(detection?.group).to.deep.equal({ "source.ip": "198.18.0.1", "destination.ip": "10.20.0.10" });
    expect(detection?.evidence).to.deep.equal({
      events: 5,
      distinct: [
        { field: "destination.port", values: 4 },
        { field: "network.transport", values: 2 },
      ],
      firstSeen: "2026-11-28T12:55:00.000Z",
      lastSeen: "2026-11-28T12:56:30.000Z",
    });
    expect(detection?.window).to.deep.equal({
      gte: "2026-11-28T12:51:00.000Z",
      lte: "2026-11-28T13:00:00.000Z",
    });
    expect(detection?.id).to.match(/^[0-9a-f]{32}$/);
  });

  it("give two groups whose events span the same time two alert ids, and one group the same id again", async function () {
    const ids = async (buckets: Record<string, unknown>[]) => {
      const { backend } = recording([composite(buckets)]);
      return (await pagesOf(thresholdDetections(backend, THRESHOLD, CONTEXT, new Map())))
        .flat()
        .map((d) => d.id);
    };
    const [a, b] = await ids([group("198.18.0.1", 3, 2, 2), group("198.18.0.2", 3, 2, 2)]);
    expect(a).to.not.equal(b);
    expect(await ids([group("198.18.0.1", 9, 9, 9)])).to.deep.equal([a]);
  });

  it("ask for the groups by every threshold field, with exact distinct counts, in the window and scope", async function () {
    const { backend, requests } = recording([composite([])]);
    await pagesOf(thresholdDetections(backend, THRESHOLD, CONTEXT, new Map()));
    expect(requests).to.have.lengthOf(1);
    expect(requests[0]).to.deep.equal({
      ignore_unavailable: true,
      allow_no_indices: true,
      index: ["scanproof-firewall*"],
      size: 0,
      query: {
        bool: {
          filter: [
            BASE.filter,
            {
              range: {
                "@timestamp": {
                  gte: "2026-11-28T12:51:00.000Z",
                  lte: "2026-11-28T13:00:00.000Z",
                  format: "strict_date_optional_time",
                },
              },
            },
            SCOPE_FILTER,
          ],
        },
      },
      aggs: {
        groups: {
          composite: {
            size: PAGE,
            sources: [
              { "source.ip": { terms: { field: "source.ip" } } },
              { "destination.ip": { terms: { field: "destination.ip" } } },
            ],
          },
          aggs: {
            first_seen: { min: { field: "@timestamp" } },
            last_seen: { max: { field: "@timestamp" } },
            distinct_0: { cardinality: { field: "destination.port", precision_threshold: 40_000 } },
            distinct_1: { cardinality: { field: "network.transport", precision_threshold: 40_000 } },
          },
        },
      },
    });
  });

  it("leave out the events an earlier alert of the group already covered", async function () {
    const alerted = { "source.ip": "198.18.0.1", "destination.ip": "10.20.0.10" };
    const history = new Map([[historyKey(alerted), { group: alerted, lastSeen: new Date(LAST) }]]);
    const { backend, requests } = recording([composite([])]);
    await pagesOf(thresholdDetections(backend, THRESHOLD, CONTEXT, history));
    const query = requests[0]?.query as { bool: { must_not?: unknown[] } };
    expect(query.bool.must_not).to.deep.equal([
      {
        bool: {
          filter: [
            {
              range: {
                "@timestamp": { lte: "2026-11-28T12:56:30.000Z", format: "strict_date_optional_time" },
              },
            },
            { term: { "source.ip": "198.18.0.1" } },
            { term: { "destination.ip": "10.20.0.10" } },
          ],
        },
      },
    ]);
  });

  it("page through the groups after each full page, and stop after a short one", async function () {
    const full = Array.from({ length: PAGE }, (_, i) =>
      group(`198.18.${Math.floor(i / 250)}.${i % 250}`, 3, 2, 2),
    );
    const afterKey = { "source.ip": "198.18.3.249", "destination.ip": "10.20.0.10" };
    const { backend, requests } = recording([
      composite(full, afterKey),
      composite([group("198.18.9.9", 3, 2, 2)], { x: "y" }),
    ]);
    const pages = await pagesOf(thresholdDetections(backend, THRESHOLD, CONTEXT, new Map()));
    expect(pages.map((p) => p.length)).to.deep.equal([PAGE, 1]);
    expect(requests).to.have.lengthOf(2);
    const second = requests[1]?.aggs?.groups?.composite;
    expect(second?.after).to.deep.equal(afterKey);
    expect(requests[0]?.aggs?.groups?.composite).to.not.have.property("after");
  });

  it("stop after a page one group short of full", async function () {
    const short = Array.from({ length: PAGE - 1 }, (_, i) =>
      group(`198.18.${Math.floor(i / 250)}.${i % 250}`, 3, 2, 2),
    );
    const { backend, requests } = recording([composite(short, { "source.ip": "x", "destination.ip": "y" })]);
    await pagesOf(thresholdDetections(backend, THRESHOLD, CONTEXT, new Map()));
    expect(requests).to.have.lengthOf(1);
  });

  describe("without threshold fields (one group: every event of the window)", function () {
    const ungrouped: ThresholdRule = {
      ...THRESHOLD,
      threshold: { fields: [], value: 3, cardinality: [{ field: "destination.port", value: 2 }] },
    };
    const answer = (total: estypes.SearchTotalHits | number, ports: number): Answer => ({
      hits: { hits: [], total },
      aggregations: {
        distinct_0: { value: ports },
        first_seen: { value: FIRST },
        last_seen: { value: LAST },
      } as never,
    });

    it("alert when the total hits reach `value`, whether Elasticsearch gives the total as a number or an object", async function () {
      for (const total of [3, { value: 3, relation: "eq" as const }]) {
        const { backend } = recording([answer(total, 2)]);
        const pages = await pagesOf(thresholdDetections(backend, ungrouped, CONTEXT, new Map()));
        expect(pages.flat().map((d) => [d.group, d.evidence.events])).to.deep.equal([[{}, 3]]);
      }
    });

    it("do not alert one event short, nor one distinct value short", async function () {
      for (const [total, ports] of [
        [2, 2],
        [{ value: 2, relation: "eq" as const }, 2],
        [3, 1],
      ] as const) {
        const { backend } = recording([answer(total, ports)]);
        expect(
          (await pagesOf(thresholdDetections(backend, ungrouped, CONTEXT, new Map()))).flat(),
        ).to.deep.equal([]);
      }
    });

    it("count exactly, with no composite aggregation", async function () {
      const { backend, requests } = recording([answer(3, 2)]);
      await pagesOf(thresholdDetections(backend, ungrouped, CONTEXT, new Map()));
      expect(requests).to.have.lengthOf(1);
      expect(requests[0]).to.deep.include({
        index: ["scanproof-firewall*"],
        size: 0,
        track_total_hits: true,
      });
      expect(requests[0]?.aggs).to.deep.equal({
        first_seen: { min: { field: "@timestamp" } },
        last_seen: { max: { field: "@timestamp" } },
        distinct_0: { cardinality: { field: "destination.port", precision_threshold: 40_000 } },
      });
    });
  });
});

/** One combination of new terms values in the window, with the first event that had it. */
function term(source: string, port: number, count = 1): Record<string, unknown> {
  return {
    key: { "source.ip": source, "destination.port": port },
    doc_count: count,
    first_seen: { value: FIRST },
    last_seen: { value: LAST },
    first_event: { hits: { hits: [{ _index: "scanproof-firewall", _id: `${source}:${port}` }] } },
  };
}

function terms(buckets: readonly Record<string, unknown>[], afterKey?: Record<string, unknown>): Answer {
  return {
    hits: { hits: [] },
    aggregations: { terms: { buckets, ...(afterKey ? { after_key: afterKey } : {}) } } as never,
  };
}

describe("new terms rules on Elasticsearch", function () {
  it("look for the window's combinations in the history window, from its start to the window's start", async function () {
    const { backend, requests } = recording([
      terms([term("198.18.0.1", 22), term("198.18.0.2", 80)]),
      terms([]),
    ]);
    await pagesOf(newTermsDetections(backend, NEW_TERMS, CONTEXT));
    expect(requests).to.have.lengthOf(2);
    expect(requests[1]?.query).to.deep.equal({
      bool: {
        filter: [
          BASE.filter,
          {
            range: {
              "@timestamp": {
                // Kibana's history_window_start is relative to the execution (the window's end).
                gte: "2026-11-21T13:00:00.000Z",
                lt: "2026-11-28T12:51:00.000Z",
                format: "strict_date_optional_time",
              },
            },
          },
          SCOPE_FILTER,
          {
            bool: {
              should: [
                {
                  bool: {
                    filter: [{ term: { "source.ip": "198.18.0.1" } }, { term: { "destination.port": "22" } }],
                  },
                },
                {
                  bool: {
                    filter: [{ term: { "source.ip": "198.18.0.2" } }, { term: { "destination.port": "80" } }],
                  },
                },
              ],
              minimum_should_match: 1,
            },
          },
        ],
      },
    });
    expect(requests.map((r) => r.index)).to.deep.equal([["scanproof-firewall*"], ["scanproof-firewall*"]]);
    expect(requests[1]?.aggs).to.deep.equal({
      terms: {
        composite: {
          size: PAGE,
          sources: [
            { "source.ip": { terms: { field: "source.ip" } } },
            { "destination.port": { terms: { field: "destination.port" } } },
          ],
        },
      },
    });
  });

  it("ask for the window's combinations with the first event of each", async function () {
    const { backend, requests } = recording([terms([])]);
    await pagesOf(newTermsDetections(backend, NEW_TERMS, CONTEXT));
    expect(requests[0]?.aggs).to.deep.equal({
      terms: {
        composite: {
          size: PAGE,
          sources: [
            { "source.ip": { terms: { field: "source.ip" } } },
            { "destination.port": { terms: { field: "destination.port" } } },
          ],
        },
        aggs: {
          first_seen: { min: { field: "@timestamp" } },
          last_seen: { max: { field: "@timestamp" } },
          first_event: {
            top_hits: {
              size: 1,
              sort: [{ "@timestamp": { order: "asc", unmapped_type: "date", missing: "_last" } }],
              _source: false,
              docvalue_fields: ["@timestamp"],
            },
          },
        },
      },
    });
  });

  it("search no history when the window has no combination", async function () {
    const { backend, requests } = recording([terms([])]);
    expect(await pagesOf(newTermsDetections(backend, NEW_TERMS, CONTEXT))).to.deep.equal([]);
    expect(requests).to.have.lengthOf(1);
  });

  it("detect only the combinations the history never had, each tied to its first event", async function () {
    const { backend } = recording([
      terms([term("198.18.0.1", 22, 4), term("198.18.0.2", 80), term("198.18.0.1", 80)]),
      terms([{ key: { "source.ip": "198.18.0.2", "destination.port": 80 }, doc_count: 9 }]),
    ]);
    const found = (await pagesOf(newTermsDetections(backend, NEW_TERMS, CONTEXT))).flat();
    expect(found.map((d) => d.group)).to.deep.equal([
      { "source.ip": "198.18.0.1", "destination.port": "22" },
      { "source.ip": "198.18.0.1", "destination.port": "80" },
    ]);
    expect(found[0]?.evidence).to.deep.equal({
      events: 4,
      distinct: [],
      firstSeen: "2026-11-28T12:55:00.000Z",
      lastSeen: "2026-11-28T12:56:30.000Z",
    });
    expect(found[0]?.window).to.deep.equal({
      gte: "2026-11-28T12:51:00.000Z",
      lte: "2026-11-28T13:00:00.000Z",
    });
    expect(new Set(found.map((d) => d.id)).size).to.equal(2);
  });

  it("tie the alert id to the first event, not to the counts", async function () {
    const ids = async (bucket: Record<string, unknown>) => {
      const { backend } = recording([terms([bucket]), terms([])]);
      return (await pagesOf(newTermsDetections(backend, NEW_TERMS, CONTEXT))).flat().map((d) => d.id);
    };
    const once = await ids(term("198.18.0.1", 22, 1));
    expect(await ids(term("198.18.0.1", 22, 7))).to.deep.equal(once);
    const otherEvent = {
      ...term("198.18.0.1", 22),
      first_event: { hits: { hits: [{ _index: "scanproof-firewall", _id: "other" }] } },
    };
    expect(await ids(otherEvent)).to.not.deep.equal(once);
  });

  it("give combinations that share their first event (a multi-valued field) distinct alert ids", async function () {
    const shared = { hits: { hits: [{ _index: "scanproof-firewall", _id: "one-event" }] } };
    const { backend } = recording([
      terms([
        { ...term("198.18.0.1", 22), first_event: shared },
        { ...term("198.18.0.1", 80), first_event: shared },
      ]),
      terms([]),
    ]);
    const found = (await pagesOf(newTermsDetections(backend, NEW_TERMS, CONTEXT))).flat();
    expect(new Set(found.map((d) => d.id)).size).to.equal(2);
  });

  it("stop after a short page of either phase, though Elasticsearch gives an after_key with it", async function () {
    const { backend, requests } = recording([
      terms([term("198.18.0.1", 22)], { "source.ip": "198.18.0.1", "destination.port": 22 }),
      terms([], { "source.ip": "198.18.0.1", "destination.port": 22 }),
    ]);
    await pagesOf(newTermsDetections(backend, NEW_TERMS, CONTEXT));
    expect(requests).to.have.lengthOf(2);
  });

  it("page through the window's combinations and the history's after each full page", async function () {
    const full = Array.from({ length: PAGE }, (_, i) => term("198.18.0.1", i + 1));
    const windowAfter = { "source.ip": "198.18.0.1", "destination.port": PAGE };
    const historyAfter = { "source.ip": "198.18.0.1", "destination.port": 500 };
    const seenFull = Array.from({ length: PAGE }, (_, i) => ({
      key: { "source.ip": "198.18.0.1", "destination.port": i + 1 },
      doc_count: 1,
    }));
    const { backend, requests } = recording([
      terms(full, windowAfter),
      terms(seenFull.slice(0, PAGE), historyAfter),
      terms([]),
      terms([term("198.18.0.9", 22)]),
      terms([]),
    ]);
    const pages = await pagesOf(newTermsDetections(backend, NEW_TERMS, CONTEXT));
    expect(pages.map((p) => p.length)).to.deep.equal([0, 1]);
    expect(requests).to.have.lengthOf(5);
    expect(requests[2]?.aggs?.terms?.composite?.after).to.deep.equal(historyAfter);
    expect(requests[3]?.aggs?.terms?.composite?.after).to.deep.equal(windowAfter);
  });
});

describe("query rules on Elasticsearch", function () {
  const hit = (id: string, source?: string) => ({
    _index: "scanproof-firewall",
    _id: id,
    fields: { "@timestamp": ["2026-11-28T12:55:00.000Z"], ...(source ? { "source.ip": [source] } : {}) },
  });
  const hits = (list: readonly ReturnType<typeof hit>[]): Answer => ({ hits: { hits: list } as never });

  it("alert once per event, oldest first, with the event's addresses and time", async function () {
    const { backend, requests } = recording([hits([hit("a", "198.18.0.1"), hit("b")])]);
    const found = (await pagesOf(queryDetections(backend, QUERY, CONTEXT))).flat();
    expect(found.map((d) => d.group)).to.deep.equal([
      { "source.ip": "198.18.0.1", "event.id": "a" },
      { "event.id": "b" },
    ]);
    expect(found[0]?.evidence).to.deep.equal({
      events: 1,
      distinct: [],
      firstSeen: "2026-11-28T12:55:00.000Z",
      lastSeen: "2026-11-28T12:55:00.000Z",
    });
    expect(requests[0]).to.deep.include({
      index: ["scanproof-firewall*"],
      from: 0,
      size: 500,
      sort: [{ "@timestamp": { order: "asc", unmapped_type: "date", missing: "_last" } }],
      fields: ["source.ip", "destination.ip", "@timestamp"],
      _source: false,
    });
  });

  it("page by 500 up to Elasticsearch's 10,000-hit result window", async function () {
    const full = hits(Array.from({ length: 500 }, (_, i) => hit(`e${i}`)));
    const { backend, requests } = recording(Array.from({ length: 20 }, () => full));
    const pages = await pagesOf(queryDetections(backend, QUERY, CONTEXT));
    expect(pages).to.have.lengthOf(20);
    expect(requests.map((r) => r.from)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i * 500));
  });

  it("stop after a short page", async function () {
    const { backend, requests } = recording([hits(Array.from({ length: 499 }, (_, i) => hit(`e${i}`)))]);
    await pagesOf(queryDetections(backend, QUERY, CONTEXT));
    expect(requests).to.have.lengthOf(1);
  });
});
