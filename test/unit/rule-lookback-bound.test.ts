import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { loadRuleFile, MAX_LOOKBACK_DAYS } from "../../harness/detection/rules/rule-loader.js";
import type { Rule } from "../../harness/detection/rules/rule.js";
import { fixture, inputErrorOf, lineOf, shownAs } from "./fixture-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "scanproof-lookback-"));
const THRESHOLD = fixture("rule-tests", "passing", "reconnaissance_port_probes_firewall.toml");
const NEW_TERMS = fixture("rules", "new-terms", "new_terms_first_source.toml");
const DAY = 86_400_000;

let files = 0;
/** A copy of a fixture rule with the line `original` replaced by `replacement`. */
function ruleWith(source: string, original: string, replacement: string): string {
  const text = readFileSync(source, "utf8");
  expect(text).to.include(original);
  const path = join(dir, `rule-${files++}.toml`);
  writeFileSync(path, text.replace(original, replacement));
  return path;
}
const withFrom = (from: string) => ruleWith(THRESHOLD, 'from = "now-9m"', `from = "${from}"`);
const withInterval = (interval: string) =>
  ruleWith(THRESHOLD, 'from = "now-9m"', `from = "now-9m"\ninterval = "${interval}"`);

/** Each problem of loading `path` as path: message, and the text of the line it points at. */
function located(path: string): { problems: string[]; lines: string[] } {
  const { problems } = inputErrorOf(() => loadRuleFile(path));
  for (const p of problems) expect(p.file).to.equal(shownAs(path));
  return {
    problems: problems.map((p) => `${p.path}: ${p.message}`),
    lines: problems.map((p) => lineOf(path, p.line)),
  };
}

function loaded(path: string): Rule {
  const result = loadRuleFile(path);
  if (!result.ok || !("rule" in result)) return expect.fail("expected the rule to load");
  return result.rule;
}

describe("rule look-backs and intervals beyond a century", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a from whose window would start outside the dates JavaScript can represent, at its line", () => {
    expect(located(withFrom("now-1000000000d"))).to.deep.equal({
      problems: [
        `rule.from: "now-1000000000d" looks back further than a century; expected at most "now-${MAX_LOOKBACK_DAYS}d"`,
      ],
      lines: ['from = "now-1000000000d"'],
    });
  });

  it("refuses an interval longer than a century, at its line", () => {
    expect(located(withInterval("1000000000d"))).to.deep.equal({
      problems: [
        `rule.interval: "1000000000d" is longer than a century; expected at most "${MAX_LOOKBACK_DAYS}d"`,
      ],
      lines: ['interval = "1000000000d"'],
    });
  });

  it("refuses a new_terms history window longer than a century, at its table", () => {
    const path = ruleWith(NEW_TERMS, 'value = "now-7d"', 'value = "now-5219w"');
    expect(located(path)).to.deep.equal({
      problems: [
        `rule.new_terms.history_window_start[0].value: "now-5219w" looks back further than a century; expected at most "now-${MAX_LOOKBACK_DAYS}d"`,
      ],
      lines: ["[rule.new_terms]"],
    });
  });

  it("refuses a look-back just over a century in every unit, and one whose digits overflow a number", () => {
    for (const from of [
      "now-3155760001s",
      "now-52596001m",
      "now-876601h",
      "now-36526d",
      "now-5218w",
      `now-${"9".repeat(400)}s`,
    ]) {
      expect(located(withFrom(from)).problems, from).to.deep.equal([
        `rule.from: "${from}" looks back further than a century; expected at most "now-${MAX_LOOKBACK_DAYS}d"`,
      ]);
    }
  });

  it("accepts a century exactly", () => {
    expect(loaded(withFrom(`now-${MAX_LOOKBACK_DAYS}d`)).lookbackMs).to.equal(MAX_LOOKBACK_DAYS * DAY);
    expect(loaded(withInterval(`${MAX_LOOKBACK_DAYS}d`)).intervalMs).to.equal(MAX_LOOKBACK_DAYS * DAY);
  });

  it("reports date math it does not understand once, not also as too long", () => {
    expect(located(withFrom("1000000000d")).problems).to.deep.equal([
      'rule.from: Kibana date math such as "now-9m"',
    ]);
  });
});
