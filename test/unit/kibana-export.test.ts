import { expect } from "chai";
import fc from "fast-check";
import { InputError } from "../../harness/core/problems.js";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertionsDir } from "../../harness/core/paths.js";
import { evaluateRuleInMemory } from "../../harness/detection/fixtures/fixture-engine.js";
import type { FixtureEvent } from "../../harness/detection/fixtures/memory-index.js";
import { exportRules } from "../../harness/detection/rules/export-files.js";
import { loadRules } from "../../harness/detection/rules/rule-loader.js";
import type { EsqlRule, Rule, RuleSet } from "../../harness/detection/rules/rule.js";
import { fixture, inputErrorOf } from "./fixture-helpers.js";

const EXPORT = fixture("rules", "kibana", "soc-export.ndjson");
const UNRESOLVABLE = fixture("rules", "kibana", "soc-unresolvable-exceptions.ndjson");
const PACK = join(assertionsDir, "rules");

function temp(name: string, text?: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "scanproof-export-")), name);
  if (text !== undefined) writeFileSync(path, text);
  return path;
}

function byId(set: RuleSet, id: string): Rule {
  return set.rules.find((r) => r.ruleId === id) ?? expect.fail(`no rule ${id}`);
}

/** What decides which events alert: everything but where the rule was read from. */
function meaning(rule: Rule | EsqlRule): Record<string, unknown> {
  const { file: _file, document: _document, ...rest } = rule;
  if (!("filterClauses" in rest)) return rest;
  const { filterClauses: _clauses, description: _description, ...kept } = rest;
  return kept;
}

describe("Kibana's detection engine export (NDJSON)", () => {
  const set = loadRules([EXPORT]);

  it("loads each rule of the export, holds the ES|QL one for the backend, and reads past lists and the summary", () => {
    expect(set.rules.map((r) => [r.ruleId, r.type])).to.deep.equal([
      ["soc-vertical-scan", "threshold"],
      ["soc-telnet-probe", "query"],
      ["soc-new-source", "new_terms"],
    ]);
    expect(set.esql.map((r) => r.ruleId)).to.deep.equal(["soc-esql-ports"]);
    expect(set.skipped).to.deep.equal([]);
  });

  it("reads the API's field names: threshold, new_terms_fields and history_window_start, filters", () => {
    const scan = byId(set, "soc-vertical-scan");
    expect(scan).to.deep.include({
      threshold: {
        fields: ["source.ip", "destination.ip"],
        value: 1,
        cardinality: [{ field: "destination.port", value: 5 }],
      },
    });
    expect(byId(set, "soc-new-source")).to.deep.include({
      newTerms: { fields: ["source.ip"], historyWindowMs: 7 * 86_400_000 },
    });
    expect(byId(set, "soc-telnet-probe").filter).to.deep.equal({
      bool: {
        filter: [{ match: { "destination.port": "23" } }],
        must_not: [{ match_phrase: { "source.ip": "198.18.0.30" } }],
      },
    });
  });

  describe("exception lists, applied as Kibana applies them", () => {
    const now = new Date("2026-12-06T08:10:00Z");
    const probes = (source: string): FixtureEvent[] =>
      Array.from({ length: 6 }, (_, i) => ({
        id: `${source}-${i}`,
        index: "scanproof-firewall",
        source: {
          "@timestamp": "2026-12-06T08:05:00Z",
          event: { action: "connection_attempted" },
          source: { ip: source },
          destination: { ip: "10.20.0.10", port: 20 + i },
        },
      }));

    it("does not alert on a source an unexpired item excludes, and alerts on others, an expired item's included", () => {
      const events = ["198.18.0.10", "198.18.0.20", "198.18.0.21", "198.18.0.40"].flatMap(probes);
      const found = evaluateRuleInMemory(byId(set, "soc-vertical-scan"), events, { now });
      expect(found.map((d) => d.group["source.ip"]).sort()).to.deep.equal(["198.18.0.10", "198.18.0.40"]);
    });

    it("skips a rule whose exceptions use a value list or a list the export does not hold, saying which", () => {
      const unresolved = loadRules([UNRESOLVABLE]);
      expect(unresolved.rules).to.deep.equal([]);
      expect(unresolved.skipped.map((s) => [s.ruleId, s.reason])).to.deep.equal([
        [
          "soc-value-list",
          "rule.exceptions_list: the exception item by-list matches a value list, which Kibana's export does not carry",
        ],
        [
          "soc-missing-list",
          "rule.exceptions_list: the exception list soc-not-exported is not in the export, so the rule would alert on what it excludes",
        ],
      ]);
    });
  });

  describe("malformed exports are refused at their line", () => {
    const lines = readFileSync(EXPORT, "utf8").trimEnd().split("\n");

    it("a line that is not JSON", () => {
      const path = temp("broken.ndjson", [lines[0], "{not json", ...lines.slice(1)].join("\n"));
      const problems = inputErrorOf(() => loadRules([path])).problems;
      expect(problems.map((p) => [p.line, p.message.split(":")[0]])).to.deep.equal([[2, "JSON"]]);
    });

    it("an export cut short: the summary counts more rules than the file holds", () => {
      const path = temp("cut.ndjson", [lines[0], ...lines.slice(4)].join("\n"));
      const problems = inputErrorOf(() => loadRules([path])).problems;
      expect(problems.map((p) => [p.line, p.message])).to.deep.equal([
        [5, "the export summary counts 4 rules, the file holds 1: it is incomplete"],
      ]);
    });

    it("an object of no kind Kibana exports, and an item of a list the export lacks", () => {
      const path = temp("odd.ndjson", [lines[0], '{"hello":1}', lines[5]].join("\n"));
      const problems = inputErrorOf(() => loadRules([path])).problems;
      expect(problems.map((p) => p.line)).to.deep.equal([2, 3]);
      expect(problems[0]?.message).to.match(/^expected a rule, an exception list/);
      expect(problems[1]?.message).to.include("soc-authorised-scanners, which the export does not hold");
    });

    it("any mutation of the export's lines either loads or is refused with located problems, never anything else", () => {
      const dir = mkdtempSync(join(tmpdir(), "scanproof-export-fuzz-"));
      const line = fc.oneof(
        fc.constantFrom(...lines),
        fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
        fc.constantFrom(...lines).chain((l) => fc.nat({ max: l.length }).map((cut) => l.slice(0, cut))),
        fc.constantFrom(...lines).map((l) => {
          const o = JSON.parse(l) as Record<string, unknown>;
          return JSON.stringify({ ...o, severity: 7, threshold: "x", entries: [{ type: "match" }] });
        }),
      );
      let n = 0;
      fc.assert(
        fc.property(fc.array(line, { maxLength: 10 }), (chosen) => {
          const path = join(dir, `${n++}.ndjson`);
          writeFileSync(path, chosen.join("\n"));
          try {
            loadRules([path]);
          } catch (error) {
            expect(error).to.be.instanceOf(InputError);
            for (const p of (error as InputError).problems) expect(p.line).to.be.at.least(1);
          }
        }),
        { numRuns: 150 },
      );
    });

    it("a rule that breaks the rule schema, at its line and key", () => {
      const bad = JSON.parse(lines[1] ?? "") as Record<string, unknown>;
      const path = temp("bad.ndjson", JSON.stringify({ ...bad, severity: "urgent" }));
      const problem = inputErrorOf(() => loadRules([path])).problems[0];
      expect(problem).to.include({ line: 1, path: "rule.severity" });
    });
  });
});

describe("scanproof rules export", () => {
  it("writes the pack as NDJSON Kibana imports, which loads back to the same rules, leaving out what Kibana cannot honour", () => {
    const ndjson = temp("pack.ndjson");
    const { lines } = exportRules([PACK], { ndjson });
    const pack = loadRules([PACK]);
    const back = loadRules([ndjson]);
    const inventoryFiltered = pack.rules.filter((r) => r.inventoryFilter !== undefined);
    expect(inventoryFiltered).to.have.length.greaterThan(0);
    expect(back.rules.map(meaning)).to.deep.equal(
      pack.rules.filter((r) => r.inventoryFilter === undefined).map(meaning),
    );
    for (const r of inventoryFiltered)
      expect(lines.join("\n")).to.include(`not exported: ${r.name} (${r.ruleId})`);
    const written = readFileSync(ndjson, "utf8").trimEnd().split("\n");
    const summary = JSON.parse(written.at(-1) ?? "") as Record<string, unknown>;
    expect(summary).to.include({
      exported_count: written.length - 1,
      exported_rules_count: written.length - 1,
    });
    for (const line of written.slice(0, -1)) {
      const rule = JSON.parse(line) as Record<string, unknown>;
      expect(rule).to.not.have.any.keys("new_terms", "immutable", "id");
      if (rule.type === "new_terms") expect(rule).to.include.keys("new_terms_fields", "history_window_start");
    }
  });

  it("writes the pack as detection-rules TOML that loads back to the same rules, the inventory filter kept", () => {
    const dir = temp("toml");
    exportRules([PACK], { toml: dir });
    const pack = loadRules([PACK]);
    const back = loadRules([dir]);
    expect(readdirSync(dir)).to.have.lengthOf(pack.rules.length + pack.esql.length);
    const sorted = (rules: readonly Rule[]) =>
      [...rules].sort((a, b) => a.ruleId.localeCompare(b.ruleId)).map(meaning);
    expect(sorted(back.rules)).to.deep.equal(sorted(pack.rules));
  });

  it("round-trips a Kibana export through NDJSON and TOML: its exception lists kept as the filters they amount to", () => {
    const ndjson = temp("again.ndjson");
    const dir = temp("again-toml");
    exportRules([EXPORT], { ndjson, toml: dir });
    const original = loadRules([EXPORT]);
    const byRuleId = <T extends { ruleId: string }>(rules: readonly T[]): T[] =>
      [...rules].sort((a, b) => a.ruleId.localeCompare(b.ruleId));
    for (const back of [loadRules([ndjson]), loadRules([dir])]) {
      expect(byRuleId(back.rules).map((r) => [r.ruleId, r.filter])).to.deep.equal(
        byRuleId(original.rules).map((r) => [r.ruleId, r.filter]),
      );
      expect(byRuleId(back.rules).map(meaning)).to.deep.equal(byRuleId(original.rules).map(meaning));
      expect(back.esql.map((r) => [r.ruleId, r.query])).to.deep.equal(
        original.esql.map((r) => [r.ruleId, r.query]),
      );
    }
  });
});
