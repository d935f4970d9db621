import { existsSync } from "node:fs";
import type { Asset } from "../context/inventory.js";
import { InputError, type Problem } from "../core/problems.js";
import { evaluateRuleInMemory, type FixtureDetection } from "./fixture-engine.js";
import { FixtureEngineError } from "./memory-index.js";
import { inventoryFilters } from "./inventory-filter.js";
import { KqlSyntaxError } from "./kql.js";
import {
  fixtureFileOf,
  loadRuleTests,
  type ExpectedDetection,
  type RuleTestCase,
  type RuleTests,
} from "./rule-fixtures.js";
import { loadRules } from "./rule-loader.js";
import type { Rule, SkippedRule } from "./rule.js";

export interface CaseResult {
  readonly name: string;
  readonly passed: boolean;
  /** What did not hold, each as expected vs observed; empty when the case passed. */
  readonly failures: readonly string[];
  readonly detections: readonly FixtureDetection[];
}

export interface RuleTestReport {
  readonly rule: Rule;
  /** The fixture file, or undefined when the rule has none. */
  readonly fixtureFile?: string;
  readonly cases: readonly CaseResult[];
}

export interface RuleTestRun {
  readonly reports: readonly RuleTestReport[];
  readonly skipped: readonly SkippedRule[];
}

/** Loads the rules and every fixture file beside them; all problems of all files at once. */
export function loadRuleTestSuite(paths: readonly string[]): {
  rules: readonly Rule[];
  skipped: readonly SkippedRule[];
  tests: Map<Rule, RuleTests>;
} {
  const set = loadRules(paths);
  const { rules } = set;
  const skipped = [
    ...set.skipped,
    ...set.esql.map((r) => ({
      file: r.file,
      ruleId: r.ruleId,
      name: r.name,
      reason: "ES|QL rules are not evaluated in memory",
    })),
  ];
  const tests = new Map<Rule, RuleTests>();
  const problems: Problem[] = [];
  for (const rule of rules) {
    const file = fixtureFileOf(rule.file);
    if (!existsSync(file)) continue;
    try {
      tests.set(rule, loadRuleTests(file, rule));
    } catch (error) {
      if (error instanceof InputError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return { rules, skipped, tests };
}

/** Runs every fixture case of every rule below the paths, in memory. */
export function runRuleTests(paths: readonly string[]): RuleTestRun {
  const { rules, skipped, tests } = loadRuleTestSuite(paths);
  const reports = rules.map((rule): RuleTestReport => {
    const suite = tests.get(rule);
    if (!suite) return { rule, cases: [] };
    return {
      rule,
      fixtureFile: suite.file,
      cases: suite.cases.map((c) => runCase(rule, c, suite.inventory)),
    };
  });
  return { reports, skipped };
}

export function runCase(rule: Rule, testCase: RuleTestCase, inventory: readonly Asset[]): CaseResult {
  let detections: FixtureDetection[];
  try {
    detections = evaluateRuleInMemory(rule, testCase.events, {
      now: testCase.now,
      filters: inventoryFilters(rule, inventory),
    });
  } catch (error) {
    if (!(error instanceof FixtureEngineError || error instanceof KqlSyntaxError)) throw error;
    return {
      name: testCase.name,
      passed: false,
      failures: [`cannot evaluate: ${error.message}`],
      detections: [],
    };
  }
  const failures = compareDetections(testCase.expect, detections);
  return { name: testCase.name, passed: failures.length === 0, failures, detections };
}

function matchesGroup(expected: ExpectedDetection, detection: FixtureDetection): boolean {
  return Object.entries(expected.group).every(([field, value]) => detection.group[field] === value);
}

/** Every expected group fired as often as expected with the expected evidence, and nothing else fired. */
export function compareDetections(
  expected: readonly ExpectedDetection[],
  detections: readonly FixtureDetection[],
): string[] {
  const failures: string[] = [];
  if (expected.length === 0 && detections.length > 0) {
    return [
      `expected no detection, observed ${detections.length}: ${detections.map(describeDetection).join("; ")}`,
    ];
  }
  for (const want of expected) {
    const found = detections.filter((d) => matchesGroup(want, d));
    const group = describeGroup(want.group);
    if (found.length !== want.count) {
      failures.push(
        `${group}: expected ${want.count} detection${want.count === 1 ? "" : "s"}, observed ${found.length}`,
      );
      continue;
    }
    for (const d of found) {
      if (want.events !== undefined && d.evidence.events !== want.events) {
        failures.push(`${group}: expected ${want.events} events, observed ${d.evidence.events}`);
      }
      for (const [field, values] of Object.entries(want.distinct ?? {})) {
        const seen = d.evidence.distinct.find((x) => x.field === field)?.values ?? 0;
        if (seen !== values)
          failures.push(`${group}: expected ${values} distinct ${field}, observed ${seen}`);
      }
    }
  }
  const unexpected = detections.filter((d) => !expected.some((want) => matchesGroup(want, d)));
  if (unexpected.length > 0) {
    failures.push(
      `unexpected detection${unexpected.length === 1 ? "" : "s"}: ${unexpected.map(describeDetection).join("; ")}`,
    );
  }
  return failures;
}

function describeGroup(group: Readonly<Record<string, string>>): string {
  const parts = Object.entries(group).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(" ") : "(all events)";
}

export function describeDetection(d: FixtureDetection): string {
  const distinct = d.evidence.distinct.map((x) => `, ${x.values} distinct ${x.field}`).join("");
  return `${describeGroup(d.group)} (${d.evidence.events} event${d.evidence.events === 1 ? "" : "s"}${distinct})`;
}

/** The terminal account of a test run: one line per case, the failures beneath, a summary last. */
export function renderRuleTests(run: RuleTestRun): string {
  const lines: string[] = [];
  let passed = 0;
  let failed = 0;
  const untested: string[] = [];
  for (const report of run.reports) {
    if (!report.fixtureFile) {
      untested.push(report.rule.file);
      continue;
    }
    lines.push(`${report.rule.file} — ${report.rule.name}`);
    for (const c of report.cases) {
      lines.push(`  ${c.passed ? "✔" : "✖"} ${c.name}`);
      for (const f of c.failures) lines.push(`      ${f}`);
      if (c.passed) passed++;
      else failed++;
    }
  }
  for (const s of run.skipped) lines.push(`rule skipped: ${s.file}: ${s.reason}`);
  if (untested.length > 0)
    lines.push(`no fixture tests (tests/<rule file stem>.yaml): ${untested.join(", ")}`);
  const rules = run.reports.length - untested.length;
  lines.push(
    `${failed === 0 ? "PASS" : "FAIL"}: ${passed} passed, ${failed} failed · ${rules} rule${rules === 1 ? "" : "s"} with fixture tests`,
  );
  return lines.join("\n");
}

export function allPassed(run: RuleTestRun): boolean {
  return run.reports.every((r) => r.cases.every((c) => c.passed));
}
