import { expect } from "chai";
import { errors } from "@elastic/elasticsearch";
import type { Backend } from "../../harness/backend/backend.js";
import { elasticNetworkRulesDir } from "../../harness/core/paths.js";
import { esqlDetections, esqlRequest, rowGroup, rowTimes } from "../../harness/detection/live/esql-rule.js";
import {
  RuleCannotApplyError,
  RuleSearchError,
  type SearchContext,
} from "../../harness/detection/live/search.js";
import {
  esqlCommands,
  esqlSourcePatterns,
  isAggregatingEsql,
  pluginBoundFeatures,
} from "../../harness/detection/rules/esql-query.js";
import { loadRuleFile, loadRules } from "../../harness/detection/rules/rule-loader.js";
import type { Detection, EsqlRule } from "../../harness/detection/rules/rule.js";
import { esqlPom, ESQL_UNPUBLISHED, mavenError } from "../../harness/setup/esql-plugins.js";
import { settleEsqlRules } from "../../harness/detection/live/backend-rules.js";
import { join } from "node:path";

const SCAN_RULE = join(elasticNetworkRulesDir(), "discovery_potential_port_scan_detected.toml");

function scanRule(): EsqlRule {
  const loaded = loadRuleFile(SCAN_RULE);
  if (!loaded.ok || !("esql" in loaded)) return expect.fail("the scan rule did not load as ES|QL");
  return loaded.esql;
}

const GTE = new Date("2026-12-06T07:00:00.000Z");
const LTE = new Date("2026-12-06T07:09:00.000Z");
const SCOPE_FILTER = { term: { "labels.scanproof_run_id": "run-1" } };
const CONTEXT: SearchContext = { window: { gte: GTE, lte: LTE }, filters: [SCOPE_FILTER], scopeKey: "run-1" };

interface Answer {
  readonly columns: { name: string; type: string }[];
  readonly values: unknown[][];
}

/** A backend whose `_query` requests are recorded and answered in turn. */
function recording(answers: readonly (Answer | Error)[]): {
  backend: Backend;
  requests: { path: string; querystring: unknown; body: { query: string; filter: unknown } }[];
} {
  const requests: { path: string; querystring: unknown; body: { query: string; filter: unknown } }[] = [];
  const request = (r: (typeof requests)[number]): Promise<Answer> => {
    requests.push(r);
    const answer = answers[requests.length - 1];
    if (!answer) throw new Error(`unexpected request #${requests.length}`);
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  return { backend: { client: { transport: { request } } } as unknown as Backend, requests };
}

async function all(found: AsyncGenerator<Detection[]>): Promise<Detection[][]> {
  const pages: Detection[][] = [];
  for await (const page of found) pages.push(page);
  return pages;
}

const COLUMNS = [
  { name: "source.ip", type: "ip" },
  { name: "destination.ip", type: "ip" },
  { name: "Esql.count_distinct_destination_ports", type: "long" },
  { name: "Esql.time_window", type: "date" },
];
const row = (source: string, ports: number): unknown[] => [
  source,
  "10.20.0.10",
  ports,
  "2026-12-06T07:04:00.000Z",
];

describe("ES|QL rules", function () {
  describe("the query text Kibana reads", function () {
    it("splits commands at pipes, never inside strings or comments", function () {
      expect(
        esqlCommands('from a | where x == "a|b" // c|d\n| eval y = """p|q""" /* | */ | keep x'),
      ).to.deep.equal(["from a", 'where x == "a|b"', 'eval y = """p|q"""', "keep x"]);
    });

    it("reads the FROM command's index patterns, without METADATA and quotes", function () {
      expect(
        esqlSourcePatterns("from packetbeat-*, filebeat-*, logs-network_traffic.* metadata _id, _index"),
      ).to.deep.equal(["packetbeat-*", "filebeat-*", "logs-network_traffic.*"]);
      expect(esqlSourcePatterns('FROM "logs-*"\n| limit 1')).to.deep.equal(["logs-*"]);
      expect(esqlSourcePatterns("row a = 1")).to.equal(undefined);
    });

    it("finds CATEGORIZE and CHANGE_POINT in code, never in strings or comments", function () {
      const names = (q: string) => pluginBoundFeatures(q).map((f) => f.name);
      expect(names("from a | stats c = count(*) by k = Categorize(message)")).to.deep.equal(["CATEGORIZE"]);
      expect(names("from a | stats c = count(*) by t\n| CHANGE_POINT c ON t")).to.deep.equal([
        "CHANGE_POINT",
      ]);
      expect(names('from a | where m == "categorize(x) | change_point" // categorize(y)')).to.deep.equal([]);
    });

    it("calls a query aggregating when a command is STATS, whatever its case", function () {
      expect(isAggregatingEsql("from a | STATS c = count(*) by b")).to.equal(true);
      expect(isAggregatingEsql('from a | where b == "| stats"')).to.equal(false);
    });
  });

  describe("loading", function () {
    it('loads "Potential Network Scan Detected" as published: FROM patterns, 9-minute look-back, max_signals 5, event.ingested', function () {
      const rule = scanRule();
      expect(rule).to.include({
        type: "esql",
        language: "esql",
        aggregating: true,
        lookbackMs: 9 * 60_000,
        maxSignals: 5,
        timestampField: "event.ingested",
        timestampFallback: true,
      });
      expect(rule.index).to.deep.equal(["logs-network_traffic.*", "packetbeat-*", "logs-panw.panos*"]);
    });

    it("loads the published folder's 16 ES|QL rules for the backend to decide, or skips them for what they use, never for being ES|QL", function () {
      const set = loadRules([elasticNetworkRulesDir()]);
      const suppressed = set.skipped.filter((s) => s.reason.startsWith("rule.alert_suppression: "));
      expect(set.esql.length + suppressed.length).to.equal(16);
      expect(set.esql.map((r) => r.name)).to.include("Potential Network Scan Detected");
      for (const s of set.skipped)
        expect(s.reason, s.file).to.match(/^(rule type "eql": |rule\.alert_suppression: )/);
    });
  });

  describe("the _query request, as Kibana sends it", function () {
    it("appends the limit and filters the look-back window over the timestamp override (with @timestamp fallback) and the scope", function () {
      const request = esqlRequest(scanRule(), CONTEXT, 5);
      expect(request.query).to.match(/\n\| limit 5$/);
      const range = (field: string) => ({
        range: {
          [field]: { gte: GTE.toISOString(), lte: LTE.toISOString(), format: "strict_date_optional_time" },
        },
      });
      expect(request.filter).to.deep.equal({
        bool: {
          filter: [
            {
              bool: {
                should: [
                  range("event.ingested"),
                  {
                    bool: {
                      filter: [range("@timestamp")],
                      must_not: [{ exists: { field: "event.ingested" } }],
                    },
                  },
                ],
                minimum_should_match: 1,
              },
            },
            SCOPE_FILTER,
          ],
        },
      });
    });

    it("sends the rule's filters and exceptions beside the query, as Kibana does", function () {
      const excluded = { bool: { must_not: [{ term: { "source.ip": "198.18.0.20" } }] } };
      const rule = {
        ...scanRule(),
        filter: excluded,
        filterClauses: [{ negate: true, clause: { term: { "source.ip": "198.18.0.20" } } }],
      };
      const filters = (esqlRequest(rule, CONTEXT, 5).filter.bool?.filter ?? []) as unknown[];
      expect(filters[0]).to.deep.equal(excluded);
      expect(filters).to.have.lengthOf(3);
    });
  });

  describe("rows to alerts", function () {
    it("makes one detection per row, its columns the group, its dates the evidence times", async function () {
      const { backend, requests } = recording([{ columns: COLUMNS, values: [row("10.30.0.66", 300)] }]);
      const [page] = await all(esqlDetections(backend, scanRule(), CONTEXT));
      expect(requests[0]?.path).to.equal("/_query");
      expect(requests[0]?.querystring).to.deep.equal({ drop_null_columns: true });
      expect(page?.map((d) => d.group)).to.deep.equal([
        {
          "source.ip": "10.30.0.66",
          "destination.ip": "10.20.0.10",
          "Esql.count_distinct_destination_ports": "300",
          "Esql.time_window": "2026-12-06T07:04:00.000Z",
        },
      ]);
      expect(page?.[0]?.evidence).to.deep.include({
        firstSeen: "2026-12-06T07:04:00.000Z",
        lastSeen: "2026-12-06T07:04:00.000Z",
      });
    });

    it("asks again with max_signals more rows while a page comes back full, counting only the new rows", async function () {
      const rule = scanRule();
      const first = Array.from({ length: 5 }, (_, i) => row(`10.30.0.${i}`, 60));
      const second = [...first, ...Array.from({ length: 3 }, (_, i) => row(`10.30.1.${i}`, 60))];
      const { backend, requests } = recording([
        { columns: COLUMNS, values: first },
        { columns: COLUMNS, values: second },
      ]);
      const pages = await all(esqlDetections(backend, rule, CONTEXT));
      expect(requests.map((r) => /limit (\d+)$/.exec(r.body.query)?.[1])).to.deep.equal(["5", "10"]);
      expect(pages.map((p) => p.map((d) => d.group["source.ip"]))).to.deep.equal([
        first.map((r) => r[0]),
        second.slice(5).map((r) => r[0]),
      ]);
      expect(
        new Set(pages.flat().map((d) => d.id)).size,
        "rows at different positions are different alerts",
      ).to.equal(8);
    });

    it("stops at three times max_signals rows, as Kibana's circuit breaker does", async function () {
      const full = (n: number): Answer => ({
        columns: COLUMNS,
        values: Array.from({ length: n }, (_, i) => row(`10.30.0.${i}`, 60)),
      });
      const { backend, requests } = recording([full(5), full(10), full(15)]);
      await all(esqlDetections(backend, scanRule(), CONTEXT));
      expect(requests).to.have.lengthOf(3);
    });

    it("identifies a row that carries its event (METADATA _id) by the event, whatever the window", async function () {
      const rule: EsqlRule = { ...scanRule(), aggregating: false };
      const columns = [
        { name: "_id", type: "keyword" },
        { name: "_index", type: "keyword" },
        { name: "source.ip", type: "ip" },
      ];
      const values = [["e1", "scanproof-flow", "10.30.0.66"]];
      const ids = [];
      for (const window of [
        CONTEXT.window,
        { gte: new Date(GTE.getTime() + 60_000), lte: new Date(LTE.getTime() + 60_000) },
      ]) {
        const { backend } = recording([{ columns, values }]);
        const [page] = await all(esqlDetections(backend, rule, { ...CONTEXT, window }));
        ids.push(page?.[0]?.id);
      }
      expect(ids[0]).to.be.a("string").and.equal(ids[1]);
    });

    it("joins multi-valued columns and leaves out nulls", function () {
      expect(
        rowGroup(
          [
            { name: "ports", type: "long" },
            { name: "none", type: "keyword" },
          ],
          [[22, 80], null],
        ),
      ).to.deep.equal({ ports: "22,80" });
    });

    it("gives a row without dates the window as its evidence times", function () {
      expect(rowTimes([{ name: "n", type: "long" }], [1], { gte: "a", lte: "b" })).to.deep.equal({
        firstSeen: "a",
        lastSeen: "b",
      });
    });
  });

  describe("refusals", function () {
    const refusal = (reason: string) =>
      new errors.ResponseError({
        statusCode: 400,
        body: { error: { type: "verification_exception", reason } },
        headers: {},
        warnings: null,
        meta: {} as never,
      });

    it("an unknown column means the rule cannot apply to these indices, naming the fields", async function () {
      const { backend } = recording([
        refusal(
          "Found 2 problems\nline 3:9: Unknown column [tls.server.ja3s]\nline 4:9: Unknown column [destination.domain]",
        ),
      ]);
      const error = await all(esqlDetections(backend, scanRule(), CONTEXT)).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(RuleCannotApplyError);
      expect((error as RuleCannotApplyError).why).to.equal(
        "no searched index has tls.server.ja3s, destination.domain (ES|QL: Unknown column)",
      );
    });

    it("any other refusal is a failed search with Elasticsearch's reason", async function () {
      const { backend } = recording([refusal("line 1:1: mismatched input 'form'")]);
      const error = await all(esqlDetections(backend, scanRule(), CONTEXT)).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(RuleSearchError).and.not.instanceOf(RuleCannotApplyError);
      expect((error as RuleSearchError).why).to.equal("line 1:1: mismatched input 'form'");
    });
  });

  describe("deciding ES|QL rules against the backend", function () {
    const backendAnswering = (esqlLacks?: readonly string[]): Backend =>
      ({
        description: "embedded Elasticsearch 8.19.21",
        client: { transport: { request: () => Promise.resolve({ columns: [], values: [[1]] }) } },
        ...(esqlLacks ? { esqlLacks } : {}),
      }) as unknown as Backend;
    const categorizing: EsqlRule = {
      ...scanRule(),
      ruleId: "cat-1",
      name: "Categorizing",
      query: "from logs-* | stats c = count(*) by k = categorize(message)",
    };

    it("runs every ES|QL rule where _query answers, and skips one using a command the backend lacks, saying which", async function () {
      const set = await settleEsqlRules(backendAnswering(ESQL_UNPUBLISHED), {
        rules: [],
        esql: [scanRule(), categorizing],
        skipped: [],
      });
      expect(set.rules.map((r) => r.name)).to.deep.equal(["Potential Network Scan Detected"]);
      expect(set.esql).to.deep.equal([]);
      expect(set.skipped.map((s) => s.reason)).to.deep.equal([
        "esql: the query uses CATEGORIZE (needs x-pack-ml), which embedded Elasticsearch 8.19.21 lacks (see docs/esql.md)",
      ]);
    });

    it("runs a CATEGORIZE rule on a cluster that lacks nothing", async function () {
      const set = await settleEsqlRules(backendAnswering(), { rules: [], esql: [categorizing], skipped: [] });
      expect(set.rules.map((r) => r.name)).to.deep.equal(["Categorizing"]);
    });
  });

  describe("set-up", function () {
    it("names Maven's first error, without colours, when the plugins cannot be fetched", function () {
      const output =
        "\x1b[0m[INFO] x\n[ERROR] Failed to execute goal: could not resolve x-pack-esql:jar:8.19.999\n[ERROR] Re-run Maven using the -X switch\n";
      expect(mavenError(output)).to.equal(
        "[ERROR] Failed to execute goal: could not resolve x-pack-esql:jar:8.19.999",
      );
    });

    it("asks Maven for both plugins at the distribution's version, without the unpublished elasticsearch-h3", function () {
      const pom = esqlPom("8.19.21");
      for (const plugin of ["x-pack-esql", "x-pack-esql-core"])
        expect(pom).to.include(`<artifactId>${plugin}</artifactId><version>8.19.21</version>`);
      expect(pom).to.match(
        /<exclusion><groupId>org\.elasticsearch<\/groupId><artifactId>elasticsearch-h3<\/artifactId><\/exclusion>/,
      );
    });
  });
});
