import { expect } from "chai";
import type { estypes } from "@elastic/elasticsearch";
import { evaluateRuleInMemory } from "../../harness/detection/fixtures/fixture-engine.js";
import type { FixtureEvent } from "../../harness/detection/fixtures/memory-index.js";
import { expandFieldPatterns, ruleFieldPatterns } from "../../harness/detection/rules/field-patterns.js";
import { assessFieldCaps } from "../../harness/detection/live/field-check.js";
import {
  fieldPatternMatches,
  KqlSyntaxError,
  kqlToQueryDsl,
  parseKql,
} from "../../harness/detection/rules/kql.js";
import { loadRules } from "../../harness/detection/rules/rule-loader.js";
import type { Rule } from "../../harness/detection/rules/rule.js";
import { ESQL_PENDING, skipReasonCounts } from "../../harness/detection/rules/skip-summary.js";
import { fixture } from "./fixture-helpers.js";

const SHAPES = fixture("rules", "repository-shapes");
const HASH_FIELDS = ["file.hash.md5", "file.hash.sha1", "file.hash.sha256"];

function shape(name: string): Rule {
  const found = loadRules([SHAPES]).rules.find((r) => r.name === name);
  return found ?? expect.fail(`no rule named ${name} in ${SHAPES}`);
}

function caps(fields: Record<string, string>): estypes.FieldCapsResponse {
  return {
    indices: ["scanproof-hashes"],
    fields: Object.fromEntries(
      Object.entries(fields).map(([name, type]) => [
        name,
        { [type]: { type, metadata_field: false, searchable: true, aggregatable: type !== "object" } },
      ]),
    ),
  };
}

describe("KQL field patterns, expanded against the mappings as Kibana expands them", () => {
  describe("parsing", () => {
    it("reads a field name with * as a pattern for match, exists and range clauses", () => {
      expect(parseKql("file.hash.*:abc")).to.deep.include({ kind: "match", field: "file.hash.*" });
      expect(parseKql("a.*.name:*")).to.deep.equal({ kind: "exists", field: "a.*.name" });
      expect(parseKql("*.bytes >= 10")).to.deep.equal({
        kind: "range",
        field: "*.bytes",
        op: "gte",
        value: "10",
      });
    });

    it("refuses a nested path with a wildcard and a field name with an escaped *", () => {
      expect(() => parseKql("a.*:{ b:1 }")).to.throw(
        KqlSyntaxError,
        'expected a nested path without wildcards, found "a.*"',
      );
      expect(() => parseKql(String.raw`a\*b:1`)).to.throw(KqlSyntaxError, "without a literal");
    });

    it("matches * across dots, as Kibana tests a data view's field names", () => {
      const p = "azure.auditlogs.properties.target_resources.*.display_name";
      expect(fieldPatternMatches(p, "azure.auditlogs.properties.target_resources.0.display_name")).to.equal(
        true,
      );
      expect(fieldPatternMatches(p, "azure.auditlogs.properties.target_resources.a.b.display_name")).to.equal(
        true,
      );
      expect(fieldPatternMatches(p, "azure.auditlogs.properties.target_resources.0.display_names")).to.equal(
        false,
      );
      expect(fieldPatternMatches("file.hash.*", "file.hashes.md5")).to.equal(false);
      expect(fieldPatternMatches("a+b.*", "a+b.c")).to.equal(true);
      expect(fieldPatternMatches("a+b.*", "aab.c")).to.equal(false);
    });
  });

  describe("compiling", () => {
    const all = (): readonly string[] => HASH_FIELDS;

    it("lets any of the matching fields match, each with the clause the value calls for", () => {
      expect(kqlToQueryDsl(parseKql('file.hash.*:"ab c"'), all)).to.deep.equal({
        bool: {
          should: HASH_FIELDS.map((f) => ({ match_phrase: { [f]: "ab c" } })),
          minimum_should_match: 1,
        },
      });
      expect(kqlToQueryDsl(parseKql("file.hash.*:ab*"), all)).to.deep.equal({
        bool: {
          should: HASH_FIELDS.map((f) => ({ wildcard: { [f]: { value: "ab*", case_insensitive: false } } })),
          minimum_should_match: 1,
        },
      });
      expect(kqlToQueryDsl(parseKql("file.hash.* < 5"), all)).to.deep.equal({
        bool: { should: HASH_FIELDS.map((f) => ({ range: { [f]: { lt: "5" } } })), minimum_should_match: 1 },
      });
    });

    it("uses the one field a pattern matches directly", () => {
      expect(kqlToQueryDsl(parseKql("file.hash.*:*"), () => ["file.hash.sha1"])).to.deep.equal({
        exists: { field: "file.hash.sha1" },
      });
    });

    it("sends a pattern no field matches as written, as Kibana does (so it matches nothing)", () => {
      expect(kqlToQueryDsl(parseKql("file.hash.*:abc"))).to.deep.equal({ match: { "file.hash.*": "abc" } });
    });

    it("expands a pattern inside a nested query by its full path", () => {
      const seen: string[] = [];
      const dsl = kqlToQueryDsl(parseKql("user:{ *.name:x }"), (p) => {
        seen.push(p);
        return ["user.first.name"];
      });
      expect(seen).to.deep.equal(["user.*.name"]);
      expect(dsl).to.deep.equal({
        nested: { path: "user", query: { match: { "user.first.name": "x" } }, score_mode: "none" },
      });
    });
  });

  describe("a rule's expansion", () => {
    it("expands every pattern of the query and keeps the rule's Kibana filters", () => {
      const rule: Rule = {
        ...shape("File Hash In Known-Bad List"),
        filterClauses: [{ negate: true, clause: { term: { "host.name": "build-01" } } }],
      };
      expect(ruleFieldPatterns(rule)).to.deep.equal(["file.hash.*"]);
      const { rule: expanded, expansions } = expandFieldPatterns(rule, [
        ...HASH_FIELDS,
        "file.path",
        "event.category",
      ]);
      expect(expansions).to.deep.equal([{ pattern: "file.hash.*", fields: HASH_FIELDS }]);
      const hashes = ["3f786850e387550fdab836ed7e6dc881de23001b", "89e6c98d92887913cadf06b2adb97f26cde4849b"];
      expect(expanded.filter).to.deep.equal({
        bool: {
          filter: [
            {
              bool: {
                filter: [
                  { match: { "event.category": "file" } },
                  {
                    bool: {
                      should: hashes.map((h) => ({
                        bool: {
                          should: HASH_FIELDS.map((f) => ({ match_phrase: { [f]: h } })),
                          minimum_should_match: 1,
                        },
                      })),
                      minimum_should_match: 1,
                    },
                  },
                ],
              },
            },
          ],
          must_not: [{ term: { "host.name": "build-01" } }],
        },
      });
    });

    it("leaves rules without patterns, and Lucene rules, exactly as loaded", () => {
      const lucene = shape("Lucene Hash Pattern");
      expect(expandFieldPatterns(lucene, HASH_FIELDS).rule).to.equal(lucene);
    });
  });

  describe("the field check against _field_caps", () => {
    it("lists the mapped leaf fields, objects aside, and counts a pattern as mapped when a field matches it", () => {
      const rule = shape("File Hash In Known-Bad List");
      const check = assessFieldCaps(
        rule,
        caps({
          "@timestamp": "date",
          "event.category": "keyword",
          file: "object",
          "file.hash.sha1": "keyword",
        }),
      );
      expect(check.mappedFields).to.deep.equal(["@timestamp", "event.category", "file.hash.sha1"]);
      expect(check.warnings).to.deep.equal([]);
    });

    it("warns when no mapped field matches a pattern", () => {
      const check = assessFieldCaps(
        shape("File Hash In Known-Bad List"),
        caps({ "@timestamp": "date", "event.category": "keyword" }),
      );
      expect(check.warnings).to.deep.equal([
        "the query names fields not mapped in scanproof-hashes, whose clauses match nothing: file.hash.*",
      ]);
    });
  });

  describe("the in-memory engine (rule fixtures)", () => {
    const at = "2026-12-06T08:00:00Z";
    const now = new Date("2026-12-06T08:01:00Z");
    const event = (id: string, source: Record<string, unknown>): FixtureEvent => ({
      id,
      index: "scanproof-hashes",
      source: { "@timestamp": at, "event.category": "file", ...source },
    });

    it("fires on whichever hash field holds a listed hash, and not on other hashes", () => {
      const events = [
        event("sha1-bad", { file: { hash: { sha1: "3f786850e387550fdab836ed7e6dc881de23001b" } } }),
        event("md5-bad", { file: { hash: { md5: "89e6c98d92887913cadf06b2adb97f26cde4849b" } } }),
        event("good", { file: { hash: { sha256: "00" } } }),
        event("no-hash", { file: { path: "/tmp/x" } }),
      ];
      const found = evaluateRuleInMemory(shape("File Hash In Known-Bad List"), events, { now });
      expect(found.map((d) => d.group["event.id"])).to.have.members(["sha1-bad", "md5-bad"]);
    });

    it("runs a threshold rule whose negated clause names a pattern", () => {
      const host = (id: string, sha1: string): FixtureEvent =>
        event(id, { host: { name: "h1" }, file: { hash: { sha1 } } });
      const events = [
        host("a", "11"),
        host("b", "22"),
        host("c", "3f786850e387550fdab836ed7e6dc881de23001b"),
      ];
      const found = evaluateRuleInMemory(shape("Many Hashes From One Host"), events, { now });
      expect(found.map((d) => [d.group, d.evidence.events])).to.deep.equal([[{ "host.name": "h1" }, 2]]);
    });
  });
});

describe("a whole repository of rules is valid input", () => {
  it("loads every runnable shape, wildcard field names included, and skips each other rule with its reason", () => {
    const set = loadRules([SHAPES]);
    expect(set.rules.map((r) => r.name).sort()).to.deep.equal([
      "Any Hash Field Present",
      "Azure Role Assigned To Guest",
      "File Hash In Known-Bad List",
      "Lucene Hash Pattern",
      "Many Hashes From One Host",
      "New Azure Target Name",
    ]);
    expect(set.esql.map((r) => r.name)).to.deep.equal(["Many Ports From One Source"]);
    expect(skipReasonCounts(set).map(({ reason, count }) => [reason.split(":")[0], count])).to.deep.equal([
      [ESQL_PENDING.split(":")[0], 1],
      ['rule type "eql"', 1],
      ['rule type "machine_learning"', 1],
      ['rule type "threat_match"', 1],
      ["the rule is deprecated (metadata.maturity), as Kibana no longer installs it", 1],
    ]);
  });

  it("counts skipped files per reason, most frequent first", () => {
    const skippedAs = (reason: string) => ({ file: "f", reason });
    expect(
      skipReasonCounts({
        rules: [],
        esql: [],
        skipped: [skippedAs("b"), skippedAs("a"), skippedAs("b"), skippedAs("c")],
      }),
    ).to.deep.equal([
      { reason: "b", count: 2 },
      { reason: "a", count: 1 },
      { reason: "c", count: 1 },
    ]);
  });
});
