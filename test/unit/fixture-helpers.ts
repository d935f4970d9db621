import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { projectRoot } from "../../harness/core/paths.js";
import { readRunResult } from "../../harness/report/write-reports.js";
import type { RunResult } from "../../harness/result.js";
import { InputError, type Problem } from "../../harness/core/problems.js";
import { ScopeGuard } from "../../harness/lab/scope-guard.js";
import { DMZ, OUTSIDE } from "../../harness/lab/segments.js";
import type { QueryRule } from "../../harness/detection/rules/rule.js";

/** The scope guard of a lab with the outside and the DMZ, and targets web (.10) and ssh (.11). */
export function labGuard(): ScopeGuard {
  return new ScopeGuard(
    [OUTSIDE.subnet, DMZ.subnet],
    new Map([
      ["web", "10.20.0.10"],
      ["ssh", "10.20.0.11"],
    ]),
  );
}

/** An absolute path below test/fixtures/. */
export function fixture(...parts: string[]): string {
  return join(projectRoot, "test", "fixtures", ...parts);
}

/** A results file under test/fixtures/results/, read the way `scanproof report` reads one. */
export function loadRunFixture(name: string): RunResult {
  return readRunResult(fixture("results", name));
}

/** How the loaders name a file in problems: relative to the working directory. */
export function shownAs(path: string): string {
  return relative(process.cwd(), path) || path;
}

/** The text of one 1-based line of a file, to show that an expected position is where it should be. */
export function lineOf(path: string, line: number): string {
  return readFileSync(path, "utf8").split(/\r?\n/)[line - 1] ?? "";
}

/** Runs `load` and returns the InputError it throws; fails the test when it throws nothing or something else. */
export function inputErrorOf(load: () => unknown): InputError {
  try {
    load();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  return expect.fail("expected an InputError");
}

/** The only problem of an InputError. */
export function onlyProblem(load: () => unknown): Problem {
  const { problems } = inputErrorOf(load);
  expect(problems, JSON.stringify(problems)).to.have.lengthOf(1);
  return problems[0] as Problem;
}

/** The error `work` throws; fails the test when it throws nothing. */
export function thrownBy(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  return expect.fail("expected an error");
}

/** A custom query rule over the firewall's network events, as unit tests of the engine use it. */
export function queryRuleFixture(overrides: Partial<QueryRule> = {}): QueryRule {
  return {
    file: "rule.toml",
    ruleId: "r-query",
    name: "Probe",
    description: "",
    severity: "low",
    riskScore: 21,
    index: ["scanproof-firewall*"],
    language: "kuery",
    query: "event.category:network",
    filter: { match: { "event.category": "network" } },
    lookbackMs: 540_000,
    endOffsetMs: 0,
    intervalMs: 300_000,
    maxSignals: 2,
    timestampField: "@timestamp",
    timestampFallback: false,
    threat: [],
    type: "query",
    ...overrides,
  };
}
