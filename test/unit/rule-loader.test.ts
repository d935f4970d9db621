import { expect } from "chai";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRuleFile, loadRules, type LoadedRule } from "../../harness/detection/rules/rule-loader.js";
import type {
  EsqlRule,
  NewTermsRule,
  Rule,
  SkippedRule,
  ThresholdRule,
} from "../../harness/detection/rules/rule.js";
import { assertionsDir, elasticNetworkRulesDir } from "../../harness/core/paths.js";
import { fixture, inputErrorOf, lineOf, onlyProblem, shownAs } from "./fixture-helpers.js";

const rules = (...parts: string[]): string => fixture("rules", ...parts);
const MINUTE = 60_000;

function loaded(result: LoadedRule): Rule {
  if (!result.ok) return expect.fail(`expected the rule to load, it was skipped: ${result.skipped.reason}`);
  if (!("rule" in result)) return expect.fail(`expected a rule, got the ES|QL rule ${result.esql.ruleId}`);
  return result.rule;
}

function esql(result: LoadedRule): EsqlRule {
  if (!result.ok || !("esql" in result)) return expect.fail("expected an ES|QL rule");
  return result.esql;
}

function newTerms(result: LoadedRule): NewTermsRule {
  const rule = loaded(result);
  if (rule.type !== "new_terms") return expect.fail(`expected a new_terms rule, got ${rule.type}`);
  return rule;
}

function threshold(result: LoadedRule): ThresholdRule {
  const rule = loaded(result);
  if (rule.type !== "threshold") return expect.fail(`expected a threshold rule, got ${rule.type}`);
  return rule;
}

function skipped(result: LoadedRule): SkippedRule {
  if (result.ok) return expect.fail("expected the rule to be skipped");
  return result.skipped;
}

/** A minimal query rule in detection-rules' layout; each key given replaces (undefined: removes) a default. */
function ruleText(keys: Record<string, string | undefined>): string {
  const defaults: Record<string, string | undefined> = {
    name: '"Test Rule"',
    rule_id: '"t-1"',
    type: '"query"',
    severity: '"low"',
    risk_score: "21",
    from: '"now-9m"',
    index: '["logs-*"]',
    query: '"event.category:network"',
  };
  const lines = Object.entries({ ...defaults, ...keys }).flatMap(([k, v]) =>
    v === undefined ? [] : [`${k} = ${v}`],
  );
  return ["[rule]", ...lines, ""].join("\n");
}

function tempRule(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "scanproof-")), "rule.toml");
  writeFileSync(path, text);
  return path;
}

const PRIVATE_SOURCES = {
  bool: {
    should: [
      { match: { "source.ip": "10.0.0.0/8" } },
      { match: { "source.ip": "172.16.0.0/12" } },
      { match: { "source.ip": "192.168.0.0/16" } },
    ],
    minimum_should_match: 1,
  },
};

describe("loadRuleFile", () => {
  describe("the vertical port scan rule in assertions/rules/", () => {
    const path = join(assertionsDir, "rules", "reconnaissance_vertical_port_scan_firewall.toml");

    it("groups by source and destination and needs 100 distinct ports", () => {
      const rule = threshold(loadRuleFile(path));
      expect(rule.ruleId).to.equal("5b7c1f0e-2a59-4e53-9d1a-0f3f7c9f6a01");
      expect(rule.threshold).to.deep.equal({
        fields: ["source.ip", "destination.ip"],
        value: 1,
        cardinality: [{ field: "destination.port", value: 100 }],
      });
    });

    it("looks back 9 minutes every 5 minutes", () => {
      const rule = loaded(loadRuleFile(path));
      expect(rule.lookbackMs).to.equal(9 * MINUTE);
      expect(rule.intervalMs).to.equal(5 * MINUTE);
    });

    it("maps to T1595 / T1595.001 under TA0043", () => {
      const rule = loaded(loadRuleFile(path));
      expect(rule.threat).to.deep.equal([
        {
          tactic: { id: "TA0043", name: "Reconnaissance" },
          techniques: [
            {
              id: "T1595",
              name: "Active Scanning",
              subtechniques: [{ id: "T1595.001", name: "Scanning IP Blocks" }],
            },
          ],
        },
      ]);
    });

    it("compiles its KQL and keeps the defaults it does not set", () => {
      const rule = loaded(loadRuleFile(path));
      expect(rule.language).to.equal("kuery");
      expect(rule.filter)
        .to.have.nested.property("bool.filter")
        .that.deep.includes({ match: { "event.category": "network" } });
      expect(rule.timestampField).to.equal("@timestamp");
      expect(rule.maxSignals).to.equal(100);
      expect(rule.file).to.equal(shownAs(path));
    });
  });

  describe("Elastic's published rules, unmodified (detection-rules' rules/network/, read in place)", () => {
    const elastic = (file: string): string => join(elasticNetworkRulesDir(), file);
    const syn = elastic("discovery_potential_syn_port_scan_detected.toml");
    const sweep = elastic("discovery_potential_network_sweep_detected.toml");
    const scan = elastic("discovery_potential_port_scan_detected.toml");
    const FLOWS = {
      bool: {
        should: [
          { match: { "event.action": "network_flow" } },
          { match: { "event.action": "flow_started" } },
        ],
        minimum_should_match: 1,
      },
    };

    it('loads "Potential SYN-Based Port Scan Detected" with its threshold and schedule', () => {
      const rule = threshold(loadRuleFile(syn));
      expect(rule).to.include({
        name: "Potential SYN-Based Port Scan Detected",
        severity: "low",
        riskScore: 21,
        lookbackMs: 9 * MINUTE,
        endOffsetMs: 0,
        intervalMs: 5 * MINUTE,
        maxSignals: 5,
        timestampField: "event.ingested",
        timestampFallback: true,
      });
      expect(rule.index).to.deep.equal([
        "logs-network_traffic.*",
        "packetbeat-*",
        "filebeat-*",
        "logs-panw.panos*",
      ]);
      expect(rule.threshold).to.deep.equal({
        fields: ["destination.ip", "source.ip"],
        value: 1,
        cardinality: [{ field: "destination.port", value: 250 }],
      });
    });

    it("compiles the SYN port scan query to flows of at most two packets from private sources", () => {
      expect(loaded(loadRuleFile(syn)).filter).to.deep.equal({
        bool: {
          filter: [
            FLOWS,
            { exists: { field: "destination.port" } },
            { range: { "network.packets": { lte: "2" } } },
            PRIVATE_SOURCES,
          ],
        },
      });
    });

    it("maps both rules to Discovery and to T1595.001 under Reconnaissance", () => {
      for (const path of [syn, sweep]) {
        const rule = loaded(loadRuleFile(path));
        expect(rule.threat.map((t) => t.tactic.id)).to.deep.equal(["TA0007", "TA0043"]);
        expect(rule.threat[1]?.techniques[0]?.subtechniques.map((s) => s.id)).to.deep.equal(["T1595.001"]);
      }
    });

    it('loads "Potential Network Sweep Detected" with its threshold', () => {
      const rule = threshold(loadRuleFile(sweep));
      expect(rule).to.include({
        name: "Potential Network Sweep Detected",
        riskScore: 21,
        lookbackMs: 9 * MINUTE,
      });
      expect(rule.threshold).to.deep.equal({
        fields: ["source.ip"],
        value: 1,
        cardinality: [{ field: "destination.ip", value: 100 }],
      });
    });

    it("compiles the network sweep query to the nine ports from private sources", () => {
      const ports = ["21", "22", "23", "25", "139", "445", "3389", "5985", "5986"];
      expect(loaded(loadRuleFile(sweep)).filter).to.deep.equal({
        bool: {
          filter: [
            FLOWS,
            {
              bool: {
                should: ports.map((p) => ({ match: { "destination.port": p } })),
                minimum_should_match: 1,
              },
            },
            PRIVATE_SOURCES,
          ],
        },
      });
    });

    it('keeps "Potential Network Scan Detected" (ES|QL) for the backend to decide', () => {
      const rule = esql(loadRuleFile(scan));
      expect(rule).to.include({ file: shownAs(scan), name: "Potential Network Scan Detected", type: "esql" });
      expect(rule.query).to.match(/^from logs-network_traffic\.\*/);
    });

    it("reports every file of the published folder: each rule loaded, held for ES|QL or skipped with its reason", () => {
      const set = loadRules([elasticNetworkRulesDir()]);
      expect(set.rules.map((r) => r.name)).to.include.members([
        "Potential SYN-Based Port Scan Detected",
        "Potential Network Sweep Detected",
        "ICMP Timestamp or Information Request from the Internet",
      ]);
      expect(set.esql.map((r) => r.name)).to.include("Potential Network Scan Detected");
      expect(set.rules.length + set.esql.length + set.skipped.length).to.equal(
        readdirSync(elasticNetworkRulesDir()).filter((f) => f.endsWith(".toml")).length,
      );
      for (const skip of set.skipped)
        expect(skip.reason, skip.file).to.match(/^(rule type "eql": |rule\.alert_suppression: )/);
    });
  });

  describe("new_terms rules", () => {
    it("reads detection-rules' [rule.new_terms] table: fields and history window", () => {
      const rule = newTerms(loadRuleFile(rules("new-terms", "new_terms_first_source.toml")));
      expect(rule.newTerms).to.deep.equal({ fields: ["source.ip"], historyWindowMs: 7 * 24 * 60 * MINUTE });
      expect(rule.filter).to.deep.equal({ match: { "event.category": "network" } });
    });

    it("reads Kibana's new_terms_fields and history_window_start keys", () => {
      const path = tempRule(
        ruleText({
          type: '"new_terms"',
          new_terms_fields: '["source.ip", "destination.port"]',
          history_window_start: '"now-2h"',
        }),
      );
      expect(newTerms(loadRuleFile(path)).newTerms).to.deep.equal({
        fields: ["source.ip", "destination.port"],
        historyWindowMs: 120 * MINUTE,
      });
    });

    it("refuses a history window that does not start before the rule's window", () => {
      const path = tempRule(
        ruleText({
          type: '"new_terms"',
          new_terms_fields: '["source.ip"]',
          history_window_start: '"now-5m"',
        }),
      );
      const p = onlyProblem(() => loadRuleFile(path));
      expect(p).to.include({ path: "rule.new_terms", line: 1 });
      expect(p.message).to.include('history_window_start "now-5m" must be earlier than from ("now-9m")');
    });

    it("refuses more than three fields, as Kibana does", () => {
      const path = tempRule(
        ruleText({
          type: '"new_terms"',
          new_terms_fields: '["a", "b", "c", "d"]',
          history_window_start: '"now-1d"',
        }),
      );
      const p = onlyProblem(() => loadRuleFile(path));
      expect(p).to.include({ path: "rule.new_terms_fields" });
      expect(p.message).to.include("at most 3");
      expect(lineOf(path, p.line)).to.match(/^new_terms_fields = /);
    });

    it("refuses a new_terms rule without its fields", () => {
      const p = onlyProblem(() => loadRuleFile(tempRule(ruleText({ type: '"new_terms"' }))));
      expect(p.message).to.include("needs [rule.new_terms]");
    });
  });

  describe("Kibana's scheduling keys", () => {
    it("reads to as the end of the window and defaults from, interval and max_signals as Kibana does", () => {
      const rule = loaded(loadRuleFile(tempRule(ruleText({ from: undefined, to: '"now-1m"' }))));
      expect(rule).to.include({
        lookbackMs: 6 * MINUTE,
        endOffsetMs: MINUTE,
        intervalMs: 5 * MINUTE,
        maxSignals: 100,
      });
    });

    it("places events without a timestamp override by @timestamp unless the fallback is disabled", () => {
      const fallback = loaded(loadRuleFile(tempRule(ruleText({ timestamp_override: '"event.ingested"' }))));
      expect(fallback).to.include({ timestampField: "event.ingested", timestampFallback: true });
      const strict = loaded(
        loadRuleFile(
          tempRule(
            ruleText({
              timestamp_override: '"event.ingested"',
              timestamp_override_fallback_disabled: "true",
            }),
          ),
        ),
      );
      expect(strict).to.include({ timestampField: "event.ingested", timestampFallback: false });
      expect(loaded(loadRuleFile(tempRule(ruleText({})))).timestampFallback).to.equal(false);
    });

    it("refuses a window whose end is not after its start, pointing at from", () => {
      const path = tempRule(ruleText({ from: '"now-5m"', to: '"now-5m"' }));
      const p = onlyProblem(() => loadRuleFile(path));
      expect(p).to.include({ path: "rule.from" });
      expect(lineOf(path, p.line)).to.equal('from = "now-5m"');
    });

    it("refuses date math it does not understand, at its line", () => {
      const path = tempRule(ruleText({ from: '"yesterday"' }));
      const p = onlyProblem(() => loadRuleFile(path));
      expect(p).to.include({ path: "rule.from" });
      expect(p.message).to.include('Kibana date math such as "now-9m"');
      expect(lineOf(path, p.line)).to.equal('from = "yesterday"');
    });
  });

  describe("query languages and filters", () => {
    it("compiles lucene to query_string with analyze_wildcard, as Kibana does", () => {
      const path = tempRule(
        ruleText({ language: '"lucene"', query: '"destination.port:[1 TO 1024] AND source.ip:10.*"' }),
      );
      expect(loaded(loadRuleFile(path)).filter).to.deep.equal({
        query_string: { query: "destination.port:[1 TO 1024] AND source.ip:10.*", analyze_wildcard: true },
      });
    });

    it("matches everything for an empty query", () => {
      expect(loaded(loadRuleFile(tempRule(ruleText({ query: '""' })))).filter).to.deep.equal({
        match_all: {},
      });
    });

    it("adds enabled filters beside the query, negated ones as must_not, and drops disabled ones", () => {
      const path = tempRule(
        [
          ruleText({ query: '"event.category:network"' }),
          "[[rule.filters]]",
          "[rule.filters.meta]",
          "negate = true",
          "[rule.filters.query.match_phrase]",
          '"source.ip" = "10.0.0.5"',
          "",
          "[[rule.filters]]",
          "[rule.filters.exists]",
          'field = "destination.port"',
          "",
          "[[rule.filters]]",
          "[rule.filters.meta]",
          "disabled = true",
          "[rule.filters.query.match_phrase]",
          '"source.ip" = "10.0.0.6"',
          "",
        ].join("\n"),
      );
      expect(loaded(loadRuleFile(path)).filter).to.deep.equal({
        bool: {
          filter: [{ match: { "event.category": "network" } }, { exists: { field: "destination.port" } }],
          must_not: [{ match_phrase: { "source.ip": "10.0.0.5" } }],
        },
      });
    });
  });

  describe("rules scanproof cannot run, each with the precise reason", () => {
    const reasons: [string, Record<string, string | undefined>, string][] = [
      [
        "an EQL rule",
        { type: '"eql"', language: '"eql"' },
        'rule type "eql": EQL (event sequences) is not implemented',
      ],
      ["a machine learning rule", { type: '"machine_learning"' }, "anomaly detection jobs"],
      ["an indicator match rule", { type: '"threat_match"' }, "threat-intelligence indicator indices"],
      ["a saved query rule", { type: '"saved_query"' }, "saved in Kibana"],
      ["an unknown rule type", { type: '"magic"' }, 'rule type "magic": Kibana has no such rule type'],
      [
        "a query in another language",
        { language: '"eql"' },
        'query language "eql" is not supported for query rules',
      ],
      [
        "a rule with exception lists",
        { exceptions_list: '[{ id = "x", list_id = "y", type = "detection", namespace_type = "single" }]' },
        "rule.exceptions_list: its exception lists live in Kibana",
      ],
      [
        "a rule with alert suppression",
        { alert_suppression: '{ group_by = ["source.ip"] }' },
        "rule.alert_suppression: scanproof does not suppress alerts",
      ],
      [
        "a rule on a data view",
        { data_view_id: '"security-solution-default"' },
        "rule.data_view_id: it searches a Kibana data view",
      ],
      [
        "a rule with a key scanproof does not know",
        { shiny_new_option: "true" },
        "rule.shiny_new_option: an unknown key",
      ],
      ["a rule without an index", { index: undefined }, "names no index pattern"],
    ];
    for (const [what, keys, reason] of reasons) {
      it(`skips ${what}`, () => {
        const s = skipped(loadRuleFile(tempRule(ruleText(keys))));
        expect(s).to.include({ ruleId: "t-1", name: "Test Rule" });
        expect(s.reason).to.include(reason);
      });
    }

    it("skips a deprecated rule", () => {
      const path = tempRule(["[metadata]", 'maturity = "deprecated"', "", ruleText({})].join("\n"));
      expect(skipped(loadRuleFile(path)).reason).to.include("deprecated");
    });

    it("loads a rule whose empty exception list changes nothing", () => {
      expect(loaded(loadRuleFile(tempRule(ruleText({ exceptions_list: "[]" })))).ruleId).to.equal("t-1");
    });

    it("reports each file of a folder as loaded, pending or skipped, never silently dropped", () => {
      const set = loadRules([rules("unsupported")]);
      expect(set.rules).to.deep.equal([]);
      expect(set.esql.map((r) => r.ruleId)).to.deep.equal(["c1a2b3d4-0002-4000-8000-000000000002"]);
      expect(set.skipped.map((s) => s.ruleId)).to.deep.equal(["c1a2b3d4-0001-4000-8000-000000000001"]);
    });
  });

  describe("malformed files", () => {
    it("reports a TOML syntax error at its line and column", () => {
      const path = rules("invalid", "toml_syntax_error.toml");
      const p = onlyProblem(() => loadRuleFile(path));
      expect(lineOf(path, 6)).to.equal("risk_score = = 21");
      expect(p).to.include({ file: shownAs(path), line: 6, column: 14, path: "" });
      expect(p.message).to.match(/^TOML: /);
    });

    it("points a KQL error on the second line of a ''' query at the bad token in the TOML file", () => {
      const path = rules("invalid", "kql_error_multiline.toml");
      const p = onlyProblem(() => loadRuleFile(path));
      // query = ''' is line 18, so the query's second line is line 20; "and" starts at column 25.
      expect(lineOf(path, 18)).to.equal("query = '''");
      expect(lineOf(path, 20).slice(24)).to.match(/^and source\.ip/);
      expect(p).to.include({ file: shownAs(path), line: 20, column: 25, path: "rule.query" });
      expect(p.message).to.match(/^KQL: expected a value after "network\.packets >"/);
    });

    it("points a KQL error in a one-line query past the opening quote", () => {
      const path = rules("invalid", "kql_error_single_line.toml");
      const p = onlyProblem(() => loadRuleFile(path));
      // query = "event.action : (network_flow or" — the query ends at the closing quote, column 41.
      expect(lineOf(path, 8).charAt(40)).to.equal('"');
      expect(p).to.include({ line: 8, column: 41, path: "rule.query" });
    });

    it("points a KQL error into [rule] even when a [[transform.osquery]] query comes first", () => {
      const path = rules("invalid", "kql_error_after_transform_query.toml");
      const p = onlyProblem(() => loadRuleFile(path));
      expect(lineOf(path, 24)).to.equal("query = '''");
      expect(lineOf(path, 26).slice(24)).to.match(/^and source\.ip/);
      expect(p).to.include({ line: 26, column: 25, path: "rule.query" });
    });

    it("points a KQL error at the right line in a file with CRLF line endings", () => {
      const lf = rules("invalid", "kql_error_multiline.toml");
      const path = tempRule(readFileSync(lf, "utf8").replace(/\n/g, "\r\n"));
      const p = onlyProblem(() => loadRuleFile(path));
      expect(p).to.include({ line: 20, column: 25, path: "rule.query" });
    });

    it("refuses a threshold rule without a [rule.threshold] table", () => {
      const path = rules("invalid", "threshold_without_table.toml");
      const p = onlyProblem(() => loadRuleFile(path));
      expect(p).to.include({ file: shownAs(path), path: "rule.threshold" });
      expect(p.message).to.include("[rule.threshold]");
    });

    it("reports a missing required key and a bad severity with their paths", () => {
      const path = tempRule(
        [
          "[rule]",
          'name = "No Id"',
          'type = "query"',
          'severity = "urgent"',
          "risk_score = 21",
          'query = "a:b"',
          "",
        ].join("\n"),
      );
      const { problems } = inputErrorOf(() => loadRuleFile(path));
      expect(problems.map((p) => p.path)).to.have.members(["rule.rule_id", "rule.severity"]);
    });
  });
});

describe("loadRules", () => {
  it("refuses two files with one rule_id, naming both files", () => {
    const first = rules("duplicate-id", "first.toml");
    const second = rules("duplicate-id", "second.toml");
    const { problems } = inputErrorOf(() => loadRules([rules("duplicate-id")]));
    expect(problems).to.have.lengthOf(1);
    expect(problems[0]).to.include({ file: shownAs(second), path: "rule.rule_id" });
    expect(problems[0]?.message)
      .to.include("c1a2b3d4-0009-4000-8000-000000000009")
      .and.to.include(shownAs(first));
  });

  it("collects the problems of every broken file together", () => {
    const { problems } = inputErrorOf(() =>
      loadRules([
        rules("invalid", "toml_syntax_error.toml"),
        rules("invalid", "threshold_without_table.toml"),
      ]),
    );
    expect(problems.map((p) => p.file)).to.deep.equal([
      shownAs(rules("invalid", "toml_syntax_error.toml")),
      shownAs(rules("invalid", "threshold_without_table.toml")),
    ]);
  });

  it("accepts files and folders side by side", () => {
    const set = loadRules([join(assertionsDir, "rules"), rules("unsupported", "eql_sequence.toml")]);
    expect(set.rules.map((r) => r.ruleId)).to.include("5b7c1f0e-2a59-4e53-9d1a-0f3f7c9f6a01");
    expect(set.skipped.map((s) => s.ruleId)).to.deep.equal(["c1a2b3d4-0001-4000-8000-000000000001"]);
  });
});
