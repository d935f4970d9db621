import type { ExpectationResult, RunResult, ScenarioResult } from "../result.js";
import { printableText } from "../core/printable.js";

type Attributes = Readonly<Record<string, string | number>>;

interface XmlElement {
  readonly name: string;
  readonly attributes: Attributes;
  readonly children?: readonly XmlElement[];
  readonly text?: string;
}

const XML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

type Outcome = "failure" | "error";

function escapeXmlText(text: string): string {
  return printableText(text).replace(/[&<>"']/g, (char) => XML_ESCAPES[char] ?? char);
}

/** One line: CI systems show attributes as a summary, and the element's text keeps the line breaks. */
function escapeXmlAttribute(text: string): string {
  return escapeXmlText(text.replace(/\s*[\t\n\r]\s*/g, " "));
}

function renderAttributes(attributes: Attributes): string {
  return Object.entries(attributes)
    .map(([name, value]) => ` ${name}="${escapeXmlAttribute(String(value))}"`)
    .join("");
}

function serialize(element: XmlElement, indent = ""): string {
  const open = `${indent}<${element.name}${renderAttributes(element.attributes)}`;
  if (element.text !== undefined) return `${open}>${escapeXmlText(element.text)}</${element.name}>`;
  if (!element.children?.length) return `${open}/>`;
  return [
    `${open}>`,
    ...element.children.map((child) => serialize(child, `${indent}  `)),
    `${indent}</${element.name}>`,
  ].join("\n");
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** JUnit's timestamp: ISO 8601 in UTC without a zone designator, as its schema requires. */
function junitTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19);
}

/** Scenarios run one after another, so each starts when the ones before it have taken their time. */
function withStartTimes(run: RunResult): { scenario: ScenarioResult; startedAt: number }[] {
  let next = Date.parse(run.startedAt);
  return run.scenarios.map((scenario) => {
    const startedAt = next;
    next += scenario.durationMs;
    return { scenario, startedAt };
  });
}

function property(name: string, value: string): XmlElement {
  return { name: "property", attributes: { name, value } };
}

function properties(run: RunResult, scenario: ScenarioResult): XmlElement {
  return {
    name: "properties",
    attributes: {},
    children: [
      property("run.id", run.runId),
      property("backend", run.backend),
      property("technique", scenario.technique),
      property("title", scenario.title),
      property("file", scenario.file),
    ],
  };
}

function expectationCase(scenario: ScenarioResult, e: ExpectationResult): XmlElement {
  const failure: XmlElement = {
    name: "failure",
    attributes: { message: `expected ${e.expected}, observed ${e.observed}`, type: "expectation" },
    text: `${e.description}\nexpected: ${e.expected}\nobserved: ${e.observed}`,
  };
  return {
    name: "testcase",
    attributes: { classname: scenario.id, name: `${e.id}: ${e.description}` },
    ...(e.passed ? {} : { children: [failure] }),
  };
}

function outcomeCase(scenario: ScenarioResult, outcome: Exclude<Outcome, "failure">): XmlElement {
  const reason = scenario.reason ?? `scenario verdict: ${scenario.verdict}`;
  return {
    name: "testcase",
    attributes: { classname: scenario.id, name: scenario.title, time: seconds(scenario.durationMs) },
    children: [{ name: outcome, attributes: { message: reason, type: scenario.verdict }, text: reason }],
  };
}

function testcases(scenario: ScenarioResult): XmlElement[] {
  if (scenario.verdict === "error") return [outcomeCase(scenario, "error")];
  return scenario.expectations.map((e) => expectationCase(scenario, e));
}

function countOutcome(cases: readonly XmlElement[], outcome: Outcome): number {
  return cases.filter((c) => c.children?.some((child) => child.name === outcome)).length;
}

function testsuite(run: RunResult, scenario: ScenarioResult, startedAt: number): XmlElement {
  const cases = testcases(scenario);
  return {
    name: "testsuite",
    attributes: {
      name: scenario.id,
      tests: cases.length,
      failures: countOutcome(cases, "failure"),
      errors: countOutcome(cases, "error"),
      time: seconds(scenario.durationMs),
      timestamp: junitTimestamp(startedAt),
      file: scenario.file,
    },
    children: [properties(run, scenario), ...cases],
  };
}

function sumAttribute(suites: readonly XmlElement[], name: string): number {
  return suites.reduce((sum, suite) => sum + Number(suite.attributes[name] ?? 0), 0);
}

/** JUnit XML for CI: a testsuite per scenario, a testcase per expectation, one erroring testcase per broken scenario. */
export function renderJunit(run: RunResult): string {
  const suites = withStartTimes(run).map(({ scenario, startedAt }) => testsuite(run, scenario, startedAt));
  const root: XmlElement = {
    name: "testsuites",
    attributes: {
      name: `scanproof ${run.runId}`,
      tests: sumAttribute(suites, "tests"),
      failures: sumAttribute(suites, "failures"),
      errors: sumAttribute(suites, "errors"),
      time: seconds(Date.parse(run.endedAt) - Date.parse(run.startedAt)),
      timestamp: junitTimestamp(Date.parse(run.startedAt)),
    },
    children: suites,
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${serialize(root)}\n`;
}
