import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRuleFile, loadRules, type LoadedRule } from "../../harness/detection/rule-loader.js";
import type { Rule, SkippedRule, ThresholdRule } from "../../harness/detection/rule.js";
import { assertionsDir } from "../../harness/paths.js";
import { fixture, inputErrorOf, lineOf, onlyProblem, shownAs } from "./fixture-helpers.js";

const rules = (...parts: string[]): string => fixture("rules", ...parts);
const MINUTE = 60_000;

function loaded(result: LoadedRule): Rule {
  if (!result.ok) return expect.fail(`expected the rule to load, it was skipped: ${result.skipped.reason}`);
  return result.rule;
}

function threshold(result: LoadedRule): ThresholdRule {
  const rule = loaded(result);
  if (rule.type !== "threshold") return expect.fail(`expected a threshold rule, got ${rule.type}`);
  return rule;
}

function skipped(result: LoadedRule): SkippedRule {
  if (result.ok) return expect.fail(`expected ${result.rule.ruleId} to be skipped`);
  return result.skipped;
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

  describe("Elastic detection-rules format", () => {
    it('loads "Potential SYN-Based Port Scan Detected" with its threshold', () => {
      const rule = threshold(loadRuleFile(rules("elastic-style", "discovery_potential_syn_port_scan.toml")));
      expect(rule).to.include({
        name: "Potential SYN-Based Port Scan Detected",
        severity: "low",
        riskScore: 21,
        lookbackMs: 9 * MINUTE,
      });
      expect(rule.threshold).to.deep.equal({
        fields: ["destination.ip", "source.ip"],
        value: 1,
        cardinality: [{ field: "destination.port", value: 250 }],
      });
    });

    it("compiles the SYN port scan query to flows of at most two packets from private sources", () => {
      const rule = loaded(loadRuleFile(rules("elastic-style", "discovery_potential_syn_port_scan.toml")));
      expect(rule.filter).to.deep.equal({
        bool: {
          filter: [
            { exists: { field: "destination.port" } },
            {
              bool: {
                should: [
                  { match_phrase: { "event.action": "network_flow" } },
                  { match_phrase: { "event.action": "flow_started" } },
                ],
                minimum_should_match: 1,
              },
            },
            { bool: { must_not: [{ range: { "network.packets": { gt: "2" } } }] } },
            PRIVATE_SOURCES,
          ],
        },
      });
    });

    it("honours timestamp_override, max_signals and both threat entries", () => {
      const rule = loaded(loadRuleFile(rules("elastic-style", "discovery_potential_syn_port_scan.toml")));
      expect(rule.timestampField).to.equal("event.ingested");
      expect(rule.maxSignals).to.equal(5);
      expect(rule.threat.map((t) => t.tactic.id)).to.deep.equal(["TA0007", "TA0043"]);
      expect(rule.threat[1]?.techniques[0]?.subtechniques.map((s) => s.id)).to.deep.equal(["T1595.001"]);
    });

    it('loads "Potential Network Sweep Detected" with its threshold', () => {
      const rule = threshold(loadRuleFile(rules("elastic-style", "discovery_potential_network_sweep.toml")));
      expect(rule).to.include({
        name: "Potential Network Sweep Detected",
        severity: "low",
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
      const rule = loaded(loadRuleFile(rules("elastic-style", "discovery_potential_network_sweep.toml")));
      const ports = ["21", "22", "23", "25", "139", "445", "3389", "5985", "5986"];
      expect(rule.filter).to.deep.equal({
        bool: {
          filter: [
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

    it("loads the whole folder through loadRules with nothing skipped", () => {
      const set = loadRules([rules("elastic-style")]);
      expect(set.rules.map((r) => r.name)).to.have.members([
        "Potential SYN-Based Port Scan Detected",
        "Potential Network Sweep Detected",
      ]);
      expect(set.skipped).to.deep.equal([]);
    });
  });

  describe("rules scanproof cannot run", () => {
    it("skips an EQL rule, naming its type", () => {
      const path = rules("unsupported", "eql_sequence.toml");
      const s = skipped(loadRuleFile(path));
      expect(s).to.include({
        file: shownAs(path),
        ruleId: "c1a2b3d4-0001-4000-8000-000000000001",
        name: "Telnet Then SSH From One Source",
      });
      expect(s.reason).to.include('"eql"');
    });

    it("skips an ES|QL rule, naming esql", () => {
      const s = skipped(loadRuleFile(rules("unsupported", "esql_port_count.toml")));
      expect(s.reason).to.include('"esql"');
    });

    it("skips a new_terms rule, naming its type", () => {
      const s = skipped(loadRuleFile(rules("unsupported", "new_terms_first_source.toml")));
      expect(s.reason).to.include('"new_terms"');
    });

    it("skips a query rule in a language other than kuery or lucene, naming the language", () => {
      const path = tempRule(
        [
          "[rule]",
          'name = "EQL Language"',
          'rule_id = "t-1"',
          'type = "query"',
          'language = "eql"',
          'severity = "low"',
          "risk_score = 21",
          'index = ["logs-*"]',
          'query = "network where true"',
          "",
        ].join("\n"),
      );
      expect(skipped(loadRuleFile(path)).reason).to.include('query language "eql"');
    });

    it("reports skipped rules from loadRules without failing", () => {
      const set = loadRules([rules("unsupported")]);
      expect(set.rules).to.deep.equal([]);
      expect(set.skipped.map((s) => s.ruleId)).to.have.members([
        "c1a2b3d4-0001-4000-8000-000000000001",
        "c1a2b3d4-0002-4000-8000-000000000002",
        "c1a2b3d4-0003-4000-8000-000000000003",
      ]);
    });

    it("translates a lucene query to query_string", () => {
      const path = tempRule(
        [
          "[rule]",
          'name = "Lucene"',
          'rule_id = "t-2"',
          'type = "query"',
          'language = "lucene"',
          'severity = "low"',
          "risk_score = 21",
          'index = ["logs-*"]',
          'query = "destination.port:[1 TO 1024]"',
          "",
        ].join("\n"),
      );
      expect(loaded(loadRuleFile(path)).filter).to.deep.equal({
        query_string: { query: "destination.port:[1 TO 1024]" },
      });
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
