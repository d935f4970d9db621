import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { loadRuleFile } from "../../harness/detection/rules/rule-loader.js";
import { checkLuceneSyntax, LuceneSyntaxError } from "../../harness/detection/rules/lucene.js";
import { intervalProblem, nextStart } from "../../harness/detection/rules/schedule.js";
import { formatProblem } from "../../harness/core/problems.js";
import { fixture, onlyProblem, shownAs } from "./fixture-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "scanproof-rule-checks-"));
let written = 0;

function ruleFile(lines: readonly string[]): string {
  const path = join(dir, `rule-${written++}.toml`);
  writeFileSync(
    path,
    [
      "[rule]",
      'name = "Test Rule"',
      'rule_id = "t-1"',
      'type = "query"',
      'severity = "low"',
      "risk_score = 21",
      'from = "now-9m"',
      'index = ["logs-*"]',
      ...lines,
      "",
    ].join("\n"),
  );
  return path;
}

function luceneError(query: string): LuceneSyntaxError {
  try {
    checkLuceneSyntax(query);
  } catch (error) {
    if (error instanceof LuceneSyntaxError) return error;
    throw error;
  }
  return expect.fail(`accepted ${JSON.stringify(query)}`);
}

describe("rule intervals", () => {
  it("refuses an interval of zero, at its line", () => {
    const path = ruleFile(['query = "event.category:network"', 'interval = "0s"']);
    expect(formatProblem(onlyProblem(() => loadRuleFile(path)))).to.equal(
      `${shownAs(path)}:10:1: rule.interval: "0s": a rule must run at an interval longer than zero; expected one such as "5m"`,
    );
  });

  for (const zero of ['"0m"', '"00h"', '"0d"'])
    it(`refuses interval = ${zero}`, () => {
      const p = onlyProblem(() => loadRuleFile(ruleFile(['query = "a:b"', `interval = ${zero}`])));
      expect(p.path).to.equal("rule.interval");
    });

  it("accepts a positive interval", () => {
    const loaded = loadRuleFile(ruleFile(['query = "a:b"', 'interval = "1s"']));
    expect(loaded.ok && "rule" in loaded ? loaded.rule.intervalMs : 0).to.equal(1000);
  });

  it("says why zero cannot schedule: the next execution would always be due at once", () => {
    const at = new Date("2026-11-28T10:00:00Z");
    expect(nextStart(0, at, at).getTime()).to.equal(at.getTime());
    expect(intervalProblem(0)).to.include("longer than zero");
    expect(intervalProblem(-1)).to.include("longer than zero");
    expect(intervalProblem(1)).to.equal(undefined);
  });
});

describe("Lucene query syntax", () => {
  const valid = [
    "event.action:network_flow AND destination.port:[20 TO 25]",
    "destination.port:[1 TO 1024] AND source.ip:10.*",
    "event.category:network AND network.transport:tcp AND destination.port:(22 or 3389)",
    'process.name:("cmd.exe" OR powershell.exe) AND NOT user.name:SYSTEM',
    "file.path:C\\:\\\\Windows\\\\*",
    "url.original:*\\/admin*",
    "url.path:/ad.*min/",
    "destination.port:{1000 TO *] || destination.port:[* TO 10}",
    "@timestamp:[2026-01-01T00:00:00 TO now-1d]",
    '"quick brown"~2^3 OR fox~ OR fo?x* OR +required -excluded !negated',
    "_exists_:source.ip && -source.ip:127.0.0.1",
    "age:>=10 AND age:<20",
    "a-b+c:d-e",
    "(a OR (b AND c))^2",
    'title:"with \\" escaped quote"',
    "NOT a",
    "*",
    "a\nAND\nb",
  ];
  for (const query of valid)
    it(`accepts ${JSON.stringify(query)}`, () => {
      expect(() => checkLuceneSyntax(query)).to.not.throw();
    });

  const invalid: readonly (readonly [string, string, number, number])[] = [
    ["destination.port:(22 OR 3389", 'a "(" that is never closed', 1, 18],
    ["destination.port:22)", '")" closes a group that was never opened', 1, 20],
    ['user.name:"root', "a quote that is never closed", 1, 11],
    ["destination.port:[1 TO 1024", 'a "[" that opens a range never closed', 1, 18],
    ["destination.port:[1 1024]", 'a range needs "lower TO upper"', 1, 18],
    ["destination.port:1]", '"]" closes a range that was never opened', 1, 19],
    ["url.path:/admin", 'a "/" that starts a regular expression never closed', 1, 10],
    ["a AND", "AND needs a clause after it", 1, 3],
    ["OR a", "OR needs a clause before it", 1, 1],
    ["a AND OR b", "OR needs a clause before it", 1, 7],
    ["a AND NOT", "NOT needs a clause after it", 1, 7],
    ["source.ip:", 'the field source.ip needs a value after ":"', 1, 11],
    ["source.ip: AND b", 'the field source.ip needs a value after ":"', 1, 12],
    [":value", '":" with no field name before it', 1, 1],
    ["a:b:c", 'a second ":" after a:b', 1, 4],
    ["()", 'an empty group "()"', 1, 1],
    ["a^", '"^" needs a boost number', 1, 2],
    ["trailing\\", 'a "\\" with nothing after it', 1, 9],
    ["a AND\n(b OR c", 'a "(" that is never closed', 2, 1],
  ];
  for (const [query, message, line, column] of invalid)
    it(`refuses ${JSON.stringify(query)}: ${message}`, () => {
      const error = luceneError(query);
      expect(error.message).to.include(message);
      expect([error.line, error.column]).to.deep.equal([line, column]);
    });

  it("throws nothing but LuceneSyntaxError on arbitrary text (fast-check)", () => {
    const pieces = fc.constantFrom(
      ...'a b:c ( ) [ ] { } TO AND OR NOT && || + - ! " / \\ ^ ~ ^2 ~1 * ? : > <= \n'.split(" "),
      " ",
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.array(pieces, { maxLength: 30 }).map((p) => p.join("")),
        ),
        (query) => {
          try {
            checkLuceneSyntax(query);
          } catch (error) {
            if (!(error instanceof LuceneSyntaxError)) throw error;
            expect(error.line).to.be.at.least(1);
            expect(error.column).to.be.at.least(1);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("refuses an unbalanced lucene rule at load, at the place in the rule file", () => {
    const path = ruleFile([
      'language = "lucene"',
      "query = '''",
      "event.category:network AND",
      "  (destination.port:22 OR 3389",
      "'''",
    ]);
    const p = onlyProblem(() => loadRuleFile(path));
    expect(readFileSync(path, "utf8").split("\n")[(p.line || 1) - 1]).to.equal(
      "  (destination.port:22 OR 3389",
    );
    expect(formatProblem(p)).to.equal(
      `${shownAs(path)}:12:3: rule.query: Lucene: a "(" that is never closed at line 2, column 3`,
    );
  });

  it("still loads the lucene rule of the engine fixtures", () => {
    const loaded = loadRuleFile(fixture("rules", "engine", "lucene_low_ports.toml"));
    expect(loaded.ok).to.equal(true);
  });
});
