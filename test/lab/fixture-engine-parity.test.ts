import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { estypes } from "@elastic/elasticsearch";
import { expect } from "chai";
import type { Backend } from "../../harness/backend/backend.js";
import type { Detection } from "../../harness/detection/rules/rule.js";
import {
  evaluateRuleInMemory,
  type FixtureDetection,
} from "../../harness/detection/fixtures/fixture-engine.js";
import { FixtureEngineError, type FixtureEvent } from "../../harness/detection/fixtures/memory-index.js";
import { esqlDetections } from "../../harness/detection/live/esql-rule.js";
import { newTermsDetections } from "../../harness/detection/live/new-terms-rule.js";
import { queryDetections } from "../../harness/detection/live/query-rule.js";
import { inventoryFilters } from "../../harness/detection/rules/inventory-filter.js";
import { loadRuleFile } from "../../harness/detection/rules/rule-loader.js";
import type { Rule } from "../../harness/detection/rules/rule.js";
import { loadRuleTestSuite } from "../../harness/detection/fixtures/rule-tests.js";
import { planExecution } from "../../harness/detection/rules/schedule.js";
import { RuleSearchError, type SearchContext } from "../../harness/detection/live/search.js";
import { thresholdDetections } from "../../harness/detection/live/threshold-rule.js";
import { assertionsDir } from "../../harness/core/paths.js";
import { newRunId } from "../../harness/run/run-scenarios.js";
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

/**
 * What the engine's searches find for one on-demand execution (its window, the rule type's
 * search, at most max_signals), without the alert bookkeeping around them.
 */
async function inElasticsearch(
  backend: Backend,
  rule: Rule,
  scenario: string,
  now: Date,
  extra: readonly estypes.QueryDslQueryContainer[] = [],
): Promise<FixtureDetection[]> {
  const [window] = planExecution(rule, now).windows;
  if (!window) throw new Error("no execution window");
  const context: SearchContext = {
    window,
    filters: [
      { term: { "labels.scanproof_run_id": TAG } },
      { term: { "labels.scanproof_scenario": scenario } },
      ...extra,
    ],
    scopeKey: TAG,
  };
  const pages =
    rule.type === "threshold"
      ? thresholdDetections(backend, rule, context, new Map())
      : rule.type === "query"
        ? queryDetections(backend, rule, context)
        : rule.type === "new_terms"
          ? newTermsDetections(backend, rule, context)
          : esqlDetections(backend, rule, context);
  const found: Detection[] = [];
  for await (const page of pages) found.push(...page);
  return found.slice(0, rule.maxSignals).map(({ id: _id, ...rest }) => rest);
}

/** A rule of the pack's shape with the given [rule] lines (query, type, tables) added. */
function ruleOf(lines: readonly string[]): Rule {
  const path = join(mkdtempSync(join(tmpdir(), "scanproof-")), "rule.toml");
  writeFileSync(
    path,
    [
      "[rule]",
      'rule_id = "00000000-0000-4000-8000-0000000000ff"',
      'name = "Parity rule"',
      'index = ["scanproof-firewall*"]',
      'severity = "low"',
      "risk_score = 21",
      ...(lines.some((l) => l.startsWith("from =")) ? [] : ['from = "now-2d"']),
      ...(lines.some((l) => l.startsWith("type =")) ? [] : ['type = "query"']),
      ...lines,
    ].join("\n"),
  );
  const loaded = loadRuleFile(path);
  if (!loaded.ok) throw new Error(loaded.skipped.reason);
  if (!("rule" in loaded)) throw new Error("an ES|QL rule");
  return loaded.rule;
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
      filters: inventoryFilters(rule, suite.tests.get(rule)?.inventory ?? []),
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

  for (const { rule, testCase, filters, scenario } of cases) {
    it(`${rule.name}: ${testCase.name}`, async function () {
      const events = testCase.events.map((e) => labelled(e, scenario));
      const memory = evaluateRuleInMemory(rule, events, { now: testCase.now, filters });
      const elastic = await inElasticsearch(backend, rule, scenario, testCase.now, filters);
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
        event: { end: "2026-11-28T20:00:00Z" },
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

    for (const query of QUERIES) {
      it(`matches the same documents: ${query}`, async function () {
        const rule = ruleOf([`query = '''${query}'''`]);
        const memory = evaluateRuleInMemory(rule, documents, { now: NOW });
        const elastic = await inElasticsearch(backend, rule, scenario, NOW);
        expect(comparable(memory)).to.deep.equal(comparable(elastic));
      });
    }

    for (const query of REFUSED) {
      it(`is refused by both: ${query}`, async function () {
        const rule = ruleOf([`query = '''${query}'''`]);
        expect(() => evaluateRuleInMemory(rule, documents, { now: NOW })).to.throw(FixtureEngineError);
        let refused: unknown;
        await inElasticsearch(backend, rule, scenario, NOW).catch((e: unknown) => (refused = e));
        expect(refused, "Elasticsearch refused the query").to.be.instanceOf(RuleSearchError);
      });
    }

    const RULES: Record<string, string[]> = {
      "Kibana filters, one negated": [
        "query = 'scanproof.tcp.flags:* or source.ip:*'",
        "[[rule.filters]]",
        "[rule.filters.meta]",
        "negate = true",
        "[rule.filters.query.match_phrase]",
        '"scanproof.tcp.flags" = "......S."',
      ],
      "a window that ends an hour before the execution": ["query = 'not destination.ip:*'", 'to = "now-1h"'],
      "a timestamp override with Kibana's fallback": [
        "query = 'not destination.ip:*'",
        'timestamp_override = "event.end"',
        'from = "now-12h"',
      ],
      "a threshold rule without group fields": [
        'type = "threshold"',
        "query = 'source.ip:*'",
        "[rule.threshold]",
        "field = []",
        "value = 2",
        "[[rule.threshold.cardinality]]",
        'field = "source.ip"',
        "value = 2",
      ],
      "a new terms rule over source addresses": [
        'type = "new_terms"',
        "query = 'source.ip:*'",
        'from = "now-13h"',
        "[rule.new_terms]",
        'field = "new_terms_fields"',
        'value = ["source.ip"]',
        "[[rule.new_terms.history_window_start]]",
        'field = "history_window_start"',
        'value = "now-2d"',
      ],
    };

    for (const [name, lines] of Object.entries(RULES)) {
      it(`finds the same detections: ${name}`, async function () {
        const rule = ruleOf(lines);
        const memory = evaluateRuleInMemory(rule, documents, { now: NOW });
        const elastic = await inElasticsearch(backend, rule, scenario, NOW);
        expect(memory).to.not.be.empty;
        expect(comparable(memory)).to.deep.equal(comparable(elastic));
      });
    }
  });
});
