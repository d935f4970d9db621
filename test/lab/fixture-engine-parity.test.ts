import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Backend } from "../../harness/backend/backend.js";
import { evaluateRule } from "../../harness/detection/engine.js";
import {
  evaluateRuleInMemory,
  FixtureEngineError,
  type FixtureDetection,
  type FixtureEvent,
} from "../../harness/detection/fixture-engine.js";
import { loadRuleFile } from "../../harness/detection/rule-loader.js";
import type { Rule } from "../../harness/detection/rule.js";
import { loadRuleTestSuite } from "../../harness/detection/rule-tests.js";
import { assertionsDir } from "../../harness/paths.js";
import { newRunId } from "../../harness/run.js";
import { sharedBackend } from "./shared-backend.js";

/**
 * The in-memory evaluator behind `scanproof rules test` must find exactly what the engine finds in
 * Elasticsearch. Every fixture case of the pack, and a table of KQL edge cases, runs through both.
 */

const TAG = `parity-${newRunId()}`.toLowerCase();

/** The event, labelled for its case, in the index of its source with this test's suffix. */
function labelled(event: FixtureEvent, scenario: string): FixtureEvent {
  return {
    id: `${scenario}|${event.id}`,
    index: `${event.index}-${TAG}`,
    source: { ...event.source, labels: { scanproof_run_id: TAG, scanproof_scenario: scenario } },
  };
}

async function indexEvents(backend: Backend, events: readonly FixtureEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 5000) {
    const response = await backend.client.bulk({
      refresh: false,
      operations: events
        .slice(i, i + 5000)
        .flatMap((e) => [{ create: { _index: e.index, _id: e.id } }, e.source]),
    });
    const failed = response.items.find((item) => item.create?.error);
    if (failed)
      throw new Error(`Elasticsearch refused a fixture event: ${JSON.stringify(failed.create?.error)}`);
  }
}

async function inElasticsearch(
  backend: Backend,
  rule: Rule,
  scenario: string,
  now: Date,
): Promise<FixtureDetection[]> {
  const detections = await evaluateRule(backend, rule, {
    now,
    scope: [
      { term: { "labels.scanproof_run_id": TAG } },
      { term: { "labels.scanproof_scenario": scenario } },
    ],
    scopeKey: TAG,
  });
  return detections.map(({ id: _id, ...rest }) => rest);
}

const comparable = (detections: readonly FixtureDetection[]) =>
  detections.map((d) => ({ group: d.group, evidence: d.evidence, window: d.window }));

describe("in-memory rule evaluation equals the engine on Elasticsearch", function () {
  let backend: Backend;
  const suite = loadRuleTestSuite([join(assertionsDir, "rules")]);
  const cases = suite.rules.flatMap((rule) =>
    (suite.tests.get(rule)?.cases ?? []).map((c, i) => ({
      rule,
      testCase: c,
      scenario: `${rule.ruleId.slice(0, 8)}-${i}`,
    })),
  );

  before(async function () {
    backend = await sharedBackend();
    await indexEvents(
      backend,
      cases.flatMap(({ testCase, scenario }) => testCase.events.map((e) => labelled(e, scenario))),
    );
    await backend.client.indices.refresh({ index: `scanproof-*-${TAG}` });
  });

  it("runs the pack's fixture cases", function () {
    expect(cases.length).to.be.greaterThan(suite.rules.length);
  });

  for (const { rule, testCase, scenario } of cases) {
    it(`${rule.name}: ${testCase.name}`, async function () {
      const events = testCase.events.map((e) => labelled(e, scenario));
      const memory = evaluateRuleInMemory(rule, events, { now: testCase.now });
      const elastic = await inElasticsearch(backend, rule, scenario, testCase.now);
      expect(comparable(memory)).to.deep.equal(comparable(elastic));
    });
  }

  describe("KQL edge cases over one set of documents", function () {
    const scenario = "kql-edges";
    const documents: FixtureEvent[] = [
      { "@timestamp": "2026-11-28T00:00:00Z", source: { ip: "10.1.2.3" }, destination: { port: 22 } },
      {
        "@timestamp": "2026-11-28T12:00:00.5Z",
        source: { ip: "198.18.0.10" },
        destination: { port: "8080" },
      },
      { "@timestamp": "2026-11-28T23:59:59.999Z", source: { ip: ["10.0.0.9", "10.0.0.10"] } },
      { "@timestamp": "2026-11-29T00:00:00Z", event: { category: ["intrusion_detection", "network"] } },
      { "@timestamp": "2026-11-28T06:00:00Z", scanproof: { tcp: { flags: "...A.RS." } }, "url.path": "/a*b" },
      {
        "@timestamp": "2026-11-28T06:00:00Z",
        scanproof: { tcp: { flags: "......S." } },
        url: { path: "/axb" },
      },
      {
        "@timestamp": "2026-11-28T06:00:00Z",
        "scanproof.note": "x".repeat(1025),
        network: { iana_number: 6 },
      },
      {
        "@timestamp": "2026-11-28T06:00:00Z",
        "scanproof.note": "y".repeat(1024),
        user_agent: { original: "Fuzz Faster U Fool v1.1.0" },
      },
    ].map((source, i) => labelled({ id: `d${i}`, index: "scanproof-firewall", source }, scenario));
    const NOW = new Date("2026-11-29T00:00:00Z");
    const QUERIES = [
      "source.ip:10.0.0.0/8",
      "not source.ip:(10.0.0.0/8 or 172.16.0.0/12)",
      "source.ip >= 10.0.0.10",
      "source.ip:10.0.0.9 and source.ip:10.0.0.10",
      "destination.port:8080",
      "destination.port < 1024",
      "destination.port:22.5",
      "destination.port <= 22.5",
      '@timestamp:"2026-11-28"',
      "@timestamp > 2026-11-28",
      "@timestamp >= 2026-11-28",
      '@timestamp < "2026-11-28T23:59:59.999Z"',
      "event.category:intrusion_detection",
      "not event.category:intrusion_detection",
      "scanproof.tcp.flags:*S*",
      "scanproof.tcp.flags:*A* and not scanproof.tcp.flags:*P*",
      "url.path:/a\\*b",
      "url.path:/a*b",
      "scanproof.note:*",
      "network.iana_number:6",
      "user_agent.original:(Fuzz Faster U Fool* or gobuster/*)",
      "scanproof.tcp:*",
      "destination:*",
    ];
    const REFUSED = ["source.ip:10.*", "source.ip:300.1.1.1", "destination.port:ssh"];

    before(async function () {
      await indexEvents(backend, documents);
      await backend.client.indices.refresh({ index: `scanproof-*-${TAG}` });
    });

    function queryRule(query: string): Rule {
      const path = join(mkdtempSync(join(tmpdir(), "scanproof-")), "rule.toml");
      writeFileSync(
        path,
        [
          "[rule]",
          'rule_id = "00000000-0000-4000-8000-0000000000ff"',
          'name = "KQL edge case"',
          'type = "query"',
          'index = ["scanproof-firewall*"]',
          'severity = "low"',
          "risk_score = 21",
          'from = "now-2d"',
          `query = '''${query}'''`,
        ].join("\n"),
      );
      const loaded = loadRuleFile(path);
      if (!loaded.ok) throw new Error(loaded.skipped.reason);
      return loaded.rule;
    }

    for (const query of QUERIES) {
      it(`matches the same documents: ${query}`, async function () {
        const rule = queryRule(query);
        const memory = evaluateRuleInMemory(rule, documents, { now: NOW });
        const elastic = await inElasticsearch(backend, rule, scenario, NOW);
        expect(comparable(memory)).to.deep.equal(comparable(elastic));
      });
    }

    for (const query of REFUSED) {
      it(`is refused by both: ${query}`, async function () {
        const rule = queryRule(query);
        expect(() => evaluateRuleInMemory(rule, documents, { now: NOW })).to.throw(FixtureEngineError);
        let refused = false;
        try {
          await inElasticsearch(backend, rule, scenario, NOW);
        } catch {
          refused = true;
        }
        expect(refused, "Elasticsearch refused the query").to.equal(true);
      });
    }
  });
});
