import { expect } from "chai";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { renderJunit } from "../../harness/report/junit.js";
import type { RunResult } from "../../harness/result.js";
import { loadRunFixture } from "./fixture-helpers.js";

interface Outcome {
  readonly message: string;
  readonly type: string;
  readonly "#text": string;
}

interface TestCase {
  readonly classname: string;
  readonly name: string;
  readonly time?: string;
  readonly failure?: Outcome;
  readonly error?: Outcome;
}

interface TestSuite {
  readonly name: string;
  readonly tests: string;
  readonly failures: string;
  readonly errors: string;
  readonly time: string;
  readonly timestamp: string;
  readonly properties: { readonly property: readonly { readonly name: string; readonly value: string }[] };
  readonly testcase?: readonly TestCase[];
}

interface JunitDocument {
  readonly testsuites: {
    readonly tests: string;
    readonly failures: string;
    readonly errors: string;
    readonly testsuite: readonly TestSuite[];
  };
}

const HOSTILE_REASON = '\u0000\u001b[31m<b>"&';

function isWellFormed(xml: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- its successor, fast-xml-validator, is not a dependency
  return XMLValidator.validate(xml) === true;
}

function parse(xml: string): JunitDocument {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseAttributeValue: false,
    isArray: (name) => ["testsuite", "testcase", "property"].includes(name),
  });
  return parser.parse(xml) as JunitDocument;
}

function suite(document: JunitDocument, name: string): TestSuite {
  const found = document.testsuites.testsuite.find((s) => s.name === name);
  if (!found) return expect.fail(`no testsuite ${name}`);
  return found;
}

function onlyCase(s: TestSuite): TestCase {
  expect(s.testcase).to.have.lengthOf(1);
  return s.testcase?.[0] ?? expect.fail("no testcase");
}

function charactersInvalidInXml(text: string): string[] {
  return Array.from(text).filter((char) => {
    const c = char.codePointAt(0) ?? 0;
    const valid =
      c === 0x9 ||
      c === 0xa ||
      c === 0xd ||
      (c >= 0x20 && c <= 0xd7ff) ||
      (c >= 0xe000 && c <= 0xfffd) ||
      c >= 0x10000;
    return !valid;
  });
}

describe("JUnit report", () => {
  const real = loadRunFixture("real-run.json");
  const coverage = loadRunFixture("coverage-run.json");

  it("is well-formed XML", () => {
    for (const run of [real, coverage, loadRunFixture("hostile-run.json")]) {
      expect(isWellFormed(renderJunit(run))).to.equal(true);
    }
  });

  it("has one testsuite per scenario, named by its id, with its counts, time and timestamp", () => {
    const document = parse(renderJunit(real));
    expect(document.testsuites.testsuite.map((s) => s.name)).to.deep.equal([
      "nmap-syn-top1000",
      "benign-web-browsing",
      "out-of-scope-target",
    ]);
    const nmap = suite(document, "nmap-syn-top1000");
    expect([nmap.tests, nmap.failures, nmap.errors]).to.deep.equal(["6", "0", "0"]);
    expect(nmap.time).to.equal("25.566");
    expect(nmap.timestamp).to.equal("2026-11-28T13:36:47");
    expect(suite(document, "benign-web-browsing").timestamp).to.equal("2026-11-28T13:37:13");
  });

  it("names each testcase by expectation id and description, with the scenario id as classname", () => {
    const nmap = suite(parse(renderJunit(real)), "nmap-syn-top1000");
    expect(nmap.testcase?.[0]).to.include({
      classname: "nmap-syn-top1000",
      name: "logs.firewall.shipped: every firewall record reached Elasticsearch as ECS",
    });
  });

  it("carries the run id, backend and technique as properties", () => {
    const nmap = suite(parse(renderJunit(real)), "nmap-syn-top1000");
    const properties = Object.fromEntries(nmap.properties.property.map((p) => [p.name, p.value]));
    expect(properties).to.include({
      "run.id": "20261128-133647-e5cb",
      backend: real.backend,
      technique: "T1595.001",
    });
  });

  it("reports an errored scenario as one testcase whose <error> carries the reason", () => {
    const errored = suite(parse(renderJunit(real)), "out-of-scope-target");
    expect([errored.tests, errored.failures, errored.errors]).to.deep.equal(["1", "0", "1"]);
    const error = onlyCase(errored).error;
    expect(error?.message).to.include("refusing to probe 192.0.2.1");
    expect(error?.message).to.include("Nothing was sent. → scanproof only ever scans the lab it created");
    expect(error?.["#text"]).to.include(
      "Nothing was sent.\n  → scanproof only ever scans the lab it created",
    );
  });

  it("reports a failed expectation with expected versus observed", () => {
    const failing = suite(parse(renderJunit(coverage)), "syn-b");
    expect(failing.failures).to.equal("1");
    const failure = onlyCase(failing).failure;
    expect(failure).to.include({ message: "expected tier2, observed l1", type: "expectation" });
    expect(failure?.["#text"]).to.include("expected: tier2\nobserved: l1");
  });

  it("totals every suite on <testsuites>", () => {
    const totals = parse(renderJunit(coverage)).testsuites;
    expect([totals.tests, totals.failures, totals.errors]).to.deep.equal(["7", "2", "2"]);
  });

  it(`stays valid XML when a reason holds ${JSON.stringify(HOSTILE_REASON)}`, () => {
    const [first] = real.scenarios;
    if (!first) return expect.fail("fixture has no scenario");
    const run: RunResult = { ...real, scenarios: [{ ...first, verdict: "error", reason: HOSTILE_REASON }] };
    const xml = renderJunit(run);
    expect(isWellFormed(xml)).to.equal(true);
    expect(charactersInvalidInXml(xml)).to.deep.equal([]);
    const error = onlyCase(suite(parse(xml), first.id)).error;
    expect(error?.message).to.equal('\uFFFD<b>"&');
    expect(error?.["#text"]).to.equal('\uFFFD<b>"&');
  });

  it("keeps attacker-controlled markup, ANSI and control characters out of the hostile fixture's XML", () => {
    const xml = renderJunit(loadRunFixture("hostile-run.json"));
    expect(charactersInvalidInXml(xml)).to.deep.equal([]);
    expect(xml).not.to.include("<script>");
    expect(xml).not.to.include("\u001b");
    const error = onlyCase(suite(parse(xml), "hostile-error")).error;
    expect(error?.message).to.include("<script>alert(1)</script>");
    expect(error?.message).not.to.include("[31m");
  });
});
