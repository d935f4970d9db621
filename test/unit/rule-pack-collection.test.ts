import { expect } from "chai";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { fixtureFileOf, loadRuleTests } from "../../harness/detection/fixtures/rule-fixtures.js";
import { loadRuleFile } from "../../harness/detection/rules/rule-loader.js";
import type { Rule } from "../../harness/detection/rules/rule.js";
import { assertionsDir, scenariosDir } from "../../harness/core/paths.js";
import { InputError } from "../../harness/core/problems.js";
import { loadScenario } from "../../harness/scenario/load.js";

/**
 * Collection-level checks of the T1595 rule pack, in the manner of elastic/detection-rules'
 * tests/test_all_rules.py: each check lists every offending rule at once.
 */

const RULES_DIR = join(assertionsDir, "rules");
const FILES = readdirSync(RULES_DIR)
  .filter((f) => f.endsWith(".toml"))
  .sort()
  .map((f) => join(RULES_DIR, f));

/** The data source a file name ends with, and the index pattern the rule must then search. */
const SOURCES: Record<string, string> = {
  firewall: "scanproof-firewall*",
  netflow: "scanproof-flow*",
  ids: "scanproof-ids*",
  web: "scanproof-web*",
  dns: "scanproof-dns*",
};

/** Elastic's severity bands for risk scores. */
const RISK_BANDS = { low: [0, 21], medium: [22, 47], high: [48, 73], critical: [74, 100] } as const;

const SUBTECHNIQUES: Record<string, string> = {
  "T1595.001": "Scanning IP Blocks",
  "T1595.002": "Vulnerability Scanning",
  "T1595.003": "Wordlist Scanning",
};

interface Loaded {
  readonly file: string;
  readonly rule: Rule;
  readonly raw: { metadata?: Record<string, unknown>; rule: Record<string, unknown> };
}

const loaded: Loaded[] = [];
const loadProblems: string[] = [];
for (const path of FILES) {
  try {
    const result = loadRuleFile(path);
    if (!result.ok) loadProblems.push(`${basename(path)}: skipped: ${result.skipped.reason}`);
    else if (!("rule" in result))
      loadProblems.push(`${basename(path)}: an ES|QL rule, which the embedded backend cannot run`);
    else {
      const raw = parseToml(readFileSync(path, "utf8")) as unknown as Loaded["raw"];
      loaded.push({ file: basename(path), rule: result.rule, raw });
    }
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    loadProblems.push(error.message);
  }
}

function offenders(check: (l: Loaded) => string | undefined): string[] {
  return loaded.flatMap((l) => {
    const problem = check(l);
    return problem === undefined ? [] : [`${l.file}: ${problem}`];
  });
}

function duplicates(key: (l: Loaded) => string): string[] {
  const seen = new Map<string, string>();
  return loaded.flatMap((l) => {
    const value = key(l);
    const first = seen.get(value);
    seen.set(value, first ?? l.file);
    return first ? [`${l.file}: "${value}" is also used by ${first}`] : [];
  });
}

describe("the T1595 rule pack (assertions/rules/) as a collection", function () {
  it("has rules, and every file loads and runs", function () {
    expect(FILES).to.not.be.empty;
    expect(loadProblems).to.deep.equal([]);
  });

  it("has a unique rule_id and a unique name for every rule", function () {
    expect([...duplicates((l) => l.rule.ruleId), ...duplicates((l) => l.rule.name)]).to.deep.equal([]);
  });

  it("maps every rule to Reconnaissance / T1595 Active Scanning and at least one of its sub-techniques", function () {
    const problems = offenders(({ rule }) => {
      if (rule.threat.length === 0) return "no [[rule.threat]]";
      for (const t of rule.threat) {
        if (t.tactic.id !== "TA0043" || t.tactic.name !== "Reconnaissance") {
          return `tactic ${t.tactic.id} "${t.tactic.name}", expected TA0043 "Reconnaissance"`;
        }
        const other = t.techniques.find((tech) => tech.id !== "T1595" || tech.name !== "Active Scanning");
        if (other) return `technique ${other.id} "${other.name}", expected T1595 "Active Scanning"`;
        for (const s of t.techniques.flatMap((tech) => tech.subtechniques)) {
          if (SUBTECHNIQUES[s.id] !== s.name)
            return `sub-technique ${s.id} "${s.name}" is not one of T1595's`;
        }
      }
      const subs = rule.threat.flatMap((t) => t.techniques.flatMap((tech) => tech.subtechniques));
      return subs.length === 0 ? "no sub-technique (T1595.001, .002 or .003)" : undefined;
    });
    expect(problems).to.deep.equal([]);
  });

  it("gives every rule a risk score inside its severity's band", function () {
    const problems = offenders(({ rule }) => {
      const [low, high] = RISK_BANDS[rule.severity];
      return rule.riskScore < low || rule.riskScore > high
        ? `risk_score ${rule.riskScore} is outside ${rule.severity}'s ${low}–${high}`
        : undefined;
    });
    expect(problems).to.deep.equal([]);
  });

  it("names every file tactic_behaviour_source.toml, the source being the index the rule searches", function () {
    const problems = offenders(({ file, rule }) => {
      const tactic = rule.threat[0]?.tactic.name.toLowerCase() ?? "";
      const match = /^([a-z]+)_([a-z0-9]+(?:_[a-z0-9]+)*)_([a-z]+)\.toml$/.exec(file);
      if (!match) return "expected tactic_behaviour_source.toml in lower case with underscores";
      const [, prefix, , source = ""] = match;
      if (prefix !== tactic) return `starts with "${prefix}", expected the tactic "${tactic}"`;
      const index = SOURCES[source];
      if (!index) return `ends with "${source}", expected one of ${Object.keys(SOURCES).join(", ")}`;
      return rule.index.join(",") === index
        ? undefined
        : `searches ${rule.index.join(", ")}, expected ${index}`;
    });
    expect(problems).to.deep.equal([]);
  });

  it("documents every rule like Elastic's: dates, maturity, author, licence, description, false positives, tags", function () {
    const problems = offenders(({ raw, rule }) => {
      const missing = [
        ...["creation_date", "updated_date"].filter(
          (k) => !/^\d{4}\/\d{2}\/\d{2}$/.test(String(raw.metadata?.[k])),
        ),
        ...(raw.metadata?.maturity === "production" ? [] : ["maturity = production"]),
        ...["author", "false_positives", "tags"].filter(
          (k) => !Array.isArray(raw.rule[k]) || raw.rule[k].length === 0,
        ),
        ...(raw.rule.license === "Apache-2.0" ? [] : ["license"]),
        ...(rule.description.trim().length >= 80 ? [] : ["a description of at least 80 characters"]),
        ...((raw.rule.tags as unknown[] | undefined)?.includes("Tactic: Reconnaissance")
          ? []
          : ['tag "Tactic: Reconnaissance"']),
      ];
      return missing.length > 0 ? `missing ${missing.join(", ")}` : undefined;
    });
    expect(problems).to.deep.equal([]);
  });

  it("looks back at least one interval, so consecutive executions leave no gap", function () {
    const problems = offenders(({ rule }) =>
      rule.lookbackMs < rule.intervalMs
        ? `from covers ${rule.lookbackMs / 60_000} min but the interval is ${rule.intervalMs / 60_000} min`
        : undefined,
    );
    expect(problems).to.deep.equal([]);
  });

  it("has fixture cases for every rule, at least one where it fires and one where it must not", function () {
    const problems = offenders(({ rule }) => {
      const file = fixtureFileOf(rule.file);
      if (!existsSync(file)) return `no fixture file ${basename(file)} in tests/`;
      const cases = loadRuleTests(file, rule).cases;
      const positives = cases.filter((c) => c.expect.length > 0).length;
      const negatives = cases.length - positives;
      return positives > 0 && negatives > 0
        ? undefined
        : `${positives} case(s) where it fires and ${negatives} with expect: none; expected at least one of each`;
    });
    expect(problems).to.deep.equal([]);
  });

  it("is proven on live traffic by a scenario that expects every rule to fire", function () {
    const scenarios = readdirSync(scenariosDir)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => loadScenario(join(scenariosDir, f)));
    const problems = offenders(({ rule }) =>
      scenarios.some((s) => s.expect.alerts.some((a) => a.rule === rule.ruleId || a.rule === rule.name))
        ? undefined
        : "no scenario in scenarios/ lists it in expect.alerts",
    );
    expect(problems).to.deep.equal([]);
  });
});
