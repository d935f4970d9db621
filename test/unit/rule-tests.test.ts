import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { FixtureDetection } from "../../harness/detection/fixtures/fixture-engine.js";
import { loadRuleTests } from "../../harness/detection/fixtures/rule-fixtures.js";
import { loadRuleFile } from "../../harness/detection/rules/rule-loader.js";
import type { Rule } from "../../harness/detection/rules/rule.js";
import { compareDetections, runRuleTests } from "../../harness/detection/fixtures/rule-tests.js";
import { projectRoot } from "../../harness/core/paths.js";
import { fixture, inputErrorOf, lineOf, shownAs } from "./fixture-helpers.js";

const RULE_FILE = "reconnaissance_port_probes_firewall";
const folder = (name: string) => fixture("rule-tests", name);
const testsOf = (name: string) => join(folder(name), "tests", `${RULE_FILE}.yaml`);

function ruleIn(name: string): Rule {
  const loaded = loadRuleFile(join(folder(name), `${RULE_FILE}.toml`));
  if (!loaded.ok) throw new Error(loaded.skipped.reason);
  if (!("rule" in loaded)) throw new Error("an ES|QL rule");
  return loaded.rule;
}

function scanproof(...args: string[]): { code: number; output: string } {
  try {
    const output = execFileSync(process.execPath, [join(projectRoot, "bin", "scanproof.js"), ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { code: 0, output };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { code: failed.status, output: failed.stdout + failed.stderr };
  }
}

function detection(group: Record<string, string>, events: number, ports: number): FixtureDetection {
  return {
    rule: ruleIn("passing"),
    group,
    evidence: {
      events,
      distinct: [{ field: "destination.port", values: ports }],
      firstSeen: "2026-11-28T12:00:00.000Z",
      lastSeen: "2026-11-28T12:01:00.000Z",
    },
    window: { gte: "2026-11-28T11:52:00.000Z", lte: "2026-11-28T12:01:00.000Z" },
  };
}

describe("rule fixture tests", function () {
  describe("the fixture file", function () {
    it("generates events from a template, one per value, with timestamps stepped by `every`", function () {
      const tests = loadRuleTests(testsOf("passing"), ruleIn("passing"));
      const [generated, recorded] = tests.cases;
      expect(generated?.events.map((e) => e.source)).to.deep.equal(
        [1, 2, 3].map((port, i) => ({
          "@timestamp": `2026-11-28T12:0${i}:00.000Z`,
          event: { dataset: "scanproof.firewall", action: "connection_attempted" },
          source: { ip: "198.18.0.66" },
          destination: { ip: "10.20.0.10", port },
        })),
      );
      expect(generated?.events.map((e) => e.index)).to.deep.equal(Array(3).fill("scanproof-firewall"));
      expect(generated?.now.toISOString()).to.equal("2026-11-28T12:02:00.000Z");
      expect(recorded?.events.map((e) => e.id)).to.deep.equal(["two-ports.jsonl:1", "two-ports.jsonl:2"]);
    });

    it("refuses schema mistakes, each at its line with what was expected", function () {
      const file = shownAs(testsOf("invalid"));
      const problems = inputErrorOf(() => loadRuleTests(testsOf("invalid"), ruleIn("invalid"))).problems;
      expect(problems.map((p) => `${p.file}:${p.line}: ${p.path}: ${p.message}`)).to.deep.equal([
        `${file}:3: cases[0].now: an ISO 8601 date-time such as "2026-11-28T12:10:00Z"`,
        `${file}:5: cases[0].events[0]: either { jsonl: <file of recorded events> } or { event: {…}, vary?: {…}, every?: <duration> }`,
        `${file}:8: cases[0].expect[0]: unknown key "evnets"`,
        `${file}:10: cases[1].events: Too small: expected array to have >=1 items`,
        `${file}:11: cases[1].expect: "none", or a list of expected detections ({ group: {…}, count?, events?, distinct? })`,
      ]);
      expect(lineOf(testsOf("invalid"), 8)).to.include("evnets");
    });

    it("then refuses what only the rule and the files reveal, every problem at once", function () {
      const file = shownAs(testsOf("problems"));
      const jsonl = shownAs(join(folder("problems"), "tests", "broken.jsonl"));
      const problems = inputErrorOf(() => loadRuleTests(testsOf("problems"), ruleIn("problems"))).problems;
      expect(problems.map((p) => `${p.file}:${p.line}: ${p.path}: ${p.message}`)).to.deep.equal([
        `${file}:4: cases[0].events[0].event: expected event.dataset such as "scanproof.firewall" (it names the index), or an index: key`,
        `${file}:5: cases[0].events[1].jsonl: no such file ${shownAs(join(folder("problems"), "tests", "missing.jsonl"))}`,
        `${jsonl}:2: : expected one JSON object per line: Unexpected token 'o', "not json" is not valid JSON`,
        `${jsonl}:3: : expected one JSON object per line`,
        `${jsonl}:4: event.dataset: expected event.dataset such as "scanproof.firewall" (it names the index), or an index: key`,
        `${file}:8: cases[0].events[3].vary.destination.port: a range from low to high, or a CIDR block of at most 65,536 addresses`,
        `${file}:10: cases[0].expect[0].group.destination.port: the rule groups by source.ip, destination.ip, not destination.port`,
        `${file}:11: cases[0].expect[0].distinct.source.port: the rule counts distinct destination.port, not source.port`,
        `${file}:14: cases[1].events: no event has @timestamp, so "now" must be given`,
        `${file}:12: cases[1].name: the case name "every kind of mistake the schema cannot see" is used twice`,
      ]);
    });
  });

  describe("comparing detections with the expectation", function () {
    const group = { "source.ip": "198.18.0.66", "destination.ip": "10.20.0.10" };

    it("passes when every expected group fired as often as expected with the expected evidence", function () {
      expect(
        compareDetections(
          [
            {
              group: { "source.ip": "198.18.0.66" },
              count: 1,
              events: 5,
              distinct: { "destination.port": 4 },
            },
          ],
          [detection(group, 5, 4)],
        ),
      ).to.deep.equal([]);
    });

    it("names the group and what differed: count, events, distinct values", function () {
      expect(
        compareDetections(
          [{ group, count: 1, events: 6, distinct: { "destination.port": 3 } }],
          [detection(group, 5, 4)],
        ),
      ).to.deep.equal([
        "source.ip=198.18.0.66 destination.ip=10.20.0.10: expected 6 events, observed 5",
        "source.ip=198.18.0.66 destination.ip=10.20.0.10: expected 3 distinct destination.port, observed 4",
      ]);
      expect(compareDetections([{ group, count: 2 }], [detection(group, 5, 4)])).to.deep.equal([
        "source.ip=198.18.0.66 destination.ip=10.20.0.10: expected 2 detections, observed 1",
      ]);
    });

    it("fails on a detection nobody expected, and on any detection where none was expected", function () {
      const other = { "source.ip": "198.18.0.77", "destination.ip": "10.20.0.10" };
      expect(
        compareDetections([{ group, count: 1 }], [detection(group, 5, 4), detection(other, 3, 3)]),
      ).to.deep.equal([
        "unexpected detection: source.ip=198.18.0.77 destination.ip=10.20.0.10 (3 events, 3 distinct destination.port)",
      ]);
      expect(compareDetections([], [detection(other, 3, 3)])).to.deep.equal([
        "expected no detection, observed 1: source.ip=198.18.0.77 destination.ip=10.20.0.10 (3 events, 3 distinct destination.port)",
      ]);
    });
  });

  describe("runRuleTests", function () {
    it("runs every case of every rule below the paths and reports each", function () {
      const run = runRuleTests([folder("passing"), folder("failing")]);
      expect(run.reports.map((r) => r.cases.map((c) => [c.name, c.passed]))).to.deep.equal([
        [
          ["three ports fire", true],
          ["two ports do not", true],
        ],
        [
          ["expects the wrong destination", false],
          ["expects nothing from five ports", false],
        ],
      ]);
    });
  });

  describe("scanproof rules test (the CLI, no Docker)", function () {
    it("exits 0 and lists each passing case", function () {
      const { code, output } = scanproof("rules", "test", folder("passing"));
      expect(code).to.equal(0);
      expect(output).to.include("✔ three ports fire").and.include("PASS: 2 passed, 0 failed");
    });

    it("exits 1 with expected versus observed under each failing case", function () {
      const { code, output } = scanproof("rules", "test", folder("failing"));
      expect(code).to.equal(1);
      expect(output).to.include(
        "✖ expects nothing from five ports\n      expected no detection, observed 1: source.ip=198.18.0.66 destination.ip=10.20.0.10 (5 events, 5 distinct destination.port)",
      );
      expect(output).to.include("FAIL: 0 passed, 2 failed");
    });

    it("exits 3 on an invalid fixture file, naming file, line and path", function () {
      const { code, output } = scanproof("rules", "test", folder("invalid"));
      expect(code).to.equal(3);
      expect(output).to.include(
        `${shownAs(testsOf("invalid"))}:8:9: cases[0].expect[0]: unknown key "evnets"`,
      );
    });
  });
});
