import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { evaluateRuleInMemory, type FixtureEvent } from "../../harness/detection/fixture-engine.js";
import { wildcardMatcher } from "../../harness/detection/field-values.js";
import { loadRuleFile } from "../../harness/detection/rule-loader.js";
import type { Rule } from "../../harness/detection/rule.js";

const dir = mkdtempSync(join(tmpdir(), "scanproof-safety-"));

function ruleFrom(path: string): Rule {
  const loaded = loadRuleFile(path);
  if (!loaded.ok) throw new Error(loaded.skipped.reason);
  if (!("rule" in loaded)) throw new Error("an ES|QL rule");
  return loaded.rule;
}

/** The old matcher: a backtracking regular expression, the reference for short inputs. */
function referenceWildcard(pattern: string): RegExp {
  const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const chars = Array.from(pattern);
  let source = "";
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? "";
    if (c === "\\" && i + 1 < chars.length) source += escape(chars[++i] ?? "");
    else if (c === "*") source += "[\\s\\S]*";
    else if (c === "?") source += "[\\s\\S]";
    else source += escape(c);
  }
  return new RegExp(`^${source}$`, "u");
}

describe("input files that would hang, exhaust memory or crash the loaders", function () {
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("wildcard values in rules test", function () {
    this.timeout(2000);
    const ruleFile = join(dir, "wildcard.toml");
    writeFileSync(
      ruleFile,
      [
        "[rule]",
        'rule_id = "00000000-0000-4000-8000-000000000002"',
        'name = "Hostile wildcard"',
        'type = "query"',
        'language = "kuery"',
        'index = ["scanproof-web*"]',
        'severity = "low"',
        "risk_score = 21",
        'from = "now-9m"',
        "query = 'url.path:*a*a*a*a*a*a*b'",
      ].join("\n"),
    );
    const page = (id: string, path: string): FixtureEvent => ({
      id,
      index: "scanproof-web",
      source: { "@timestamp": "2026-11-28T12:05:00Z", url: { path } },
    });

    it("match a pattern with many wildcards against a long value without backtracking", function () {
      const long = page("long", `/${"a".repeat(80)}`);
      const withB = page("with-b", `/${"a".repeat(80)}b`);
      const now = new Date("2026-11-28T12:06:00Z");
      const found = evaluateRuleInMemory(ruleFrom(ruleFile), [long, withB], { now });
      expect(found.map((d) => d.group["event.id"])).to.deep.equal([withB.id]);
    });

    it("agree with a regular expression on short patterns and values, escapes and code points included", function () {
      const alphabet = ["a", "b", "*", "?", "\\", ".", "😀"];
      const text = (maxLength: number) =>
        fc.array(fc.constantFrom(...alphabet), { maxLength }).map((cs) => cs.join(""));
      fc.assert(
        fc.property(text(8), text(10), (pattern, value) => {
          expect(wildcardMatcher(pattern)(value), `${pattern} on ${value}`).to.equal(
            referenceWildcard(pattern).test(value),
          );
        }),
        { numRuns: 3000 },
      );
    });
  });
});
