import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { evaluateRuleInMemory, type FixtureEvent } from "../../harness/detection/fixture-engine.js";
import { wildcardMatcher } from "../../harness/detection/field-values.js";
import { loadRuleFile } from "../../harness/detection/rule-loader.js";
import type { Rule } from "../../harness/detection/rule.js";
import { MAX_INPUT_BYTES, parseYamlInput } from "../../harness/input-files.js";
import { dotPath } from "../../harness/scenario/problems.js";
import { inputErrorOf } from "./fixture-helpers.js";

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

  describe("duplicate YAML keys", function () {
    this.timeout(10_000);
    const hosts = (n: number) => [
      "inventory:",
      ...Array.from({ length: n }, (_, i) => `  h${String(i).padStart(5, "0")}: ${1_000_000 + i * 7919}`),
    ];

    it("are looked for in one pass: a megabyte of 50,000 distinct keys parses in seconds", function () {
      const text = hosts(50_000).join("\n");
      expect(text.length).to.be.within(900_000, MAX_INPUT_BYTES);
      const { value } = parseYamlInput("big.yaml", text);
      expect(Object.keys((value as { inventory: object }).inventory)).to.have.lengthOf(50_000);
    });

    it("are reported at their second occurrence, with the map's path, in a large file", function () {
      const lines = hosts(50_000);
      lines.push("  h00007: 1");
      expect(inputErrorOf(() => parseYamlInput("big.yaml", lines.join("\n"))).problems).to.deep.equal([
        {
          file: "big.yaml",
          line: 50_002,
          column: 3,
          path: "inventory",
          message: 'YAML: map keys must be unique; "h00007" is already a key of this map at line 9',
        },
      ]);
    });

    it("are reported in any map at any depth, at the line of the repeated key", function () {
      type Value = number | Value[] | { [key: string]: Value };
      const { value } = fc.letrec<{ value: Value }>((tie) => ({
        value: fc.oneof(
          { depthSize: "small", withCrossShrink: true },
          fc.integer(),
          fc.array(tie("value"), { maxLength: 3 }),
          fc.dictionary(fc.stringMatching(/^[a-z]{1,3}$/), tie("value"), { maxKeys: 3 }),
        ),
      }));
      fc.assert(
        fc.property(
          fc.dictionary(fc.stringMatching(/^[a-z]{1,3}$/), value, { minKeys: 1, maxKeys: 3 }),
          fc.nat(),
          (document, pick) => {
            let maps = 0;
            let target: readonly PropertyKey[] = [];
            const count = (v: Value, path: readonly PropertyKey[]): void => {
              if (Array.isArray(v)) v.forEach((item, i) => count(item, [...path, i]));
              else if (typeof v === "object") {
                if (Object.keys(v).length > 0 && maps++ === pick % 50) target = path;
                for (const [k, item] of Object.entries(v)) count(item, [...path, k]);
              }
            };
            count(document, []);
            if (pick % 50 >= maps) target = [];
            const lines: string[] = [];
            const emit = (v: Value, indent: string, path: readonly PropertyKey[]): void => {
              if (Array.isArray(v)) {
                v.forEach((item, i) => {
                  if (typeof item === "number" || Object.keys(item).length === 0)
                    lines.push(`${indent}- ${JSON.stringify(item)}`);
                  else {
                    lines.push(`${indent}-`);
                    emit(item, `${indent}  `, [...path, i]);
                  }
                });
                return;
              }
              if (typeof v === "number") return;
              const entries = Object.entries(v);
              for (const [k, item] of entries) {
                if (typeof item === "number" || Object.keys(item).length === 0)
                  lines.push(`${indent}${k}: ${JSON.stringify(item)}`);
                else {
                  lines.push(`${indent}${k}:`);
                  emit(item, `${indent}  `, [...path, k]);
                }
              }
              if (dotPath(path) === dotPath(target) && entries.length > 0)
                lines.push(`${indent}${entries[0]?.[0] ?? ""}: 0 # repeated`);
            };
            emit(document, "", []);
            const problems = inputErrorOf(() => parseYamlInput("f.yaml", lines.join("\n"))).problems;
            const line = lines.findIndex((l) => l.endsWith("# repeated")) + 1;
            expect(problems, lines.join("\n")).to.have.lengthOf(1);
            expect(problems[0]).to.include({
              line,
              column: (lines[line - 1]?.search(/\S/) ?? 0) + 1,
              path: dotPath(target),
            });
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
