import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { inChild } from "./in-child.js";
import fc from "fast-check";
import { evaluateRuleInMemory } from "../../harness/detection/fixtures/fixture-engine.js";
import { type FixtureEvent } from "../../harness/detection/fixtures/memory-index.js";
import { wildcardMatcher } from "../../harness/detection/rules/field-values.js";
import { loadRuleTests } from "../../harness/detection/fixtures/rule-fixtures.js";
import { MAX_CASE_EVENTS } from "../../harness/detection/fixtures/fixture-events.js";
import { loadRuleFile } from "../../harness/detection/rules/rule-loader.js";
import type { Rule } from "../../harness/detection/rules/rule.js";
import { MAX_INPUT_BYTES, parseYamlInput } from "../../harness/core/input-files.js";
import { projectRoot } from "../../harness/core/paths.js";
import { dotPath, type Problem } from "../../harness/core/problems.js";
import { fixture, inputErrorOf, shownAs } from "./fixture-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "scanproof-safety-"));
const RULE_STEM = "reconnaissance_port_probes_firewall";
const RULE_FILE = fixture("rule-tests", "passing", `${RULE_STEM}.toml`);

function ruleFrom(path: string): Rule {
  const loaded = loadRuleFile(path);
  if (!loaded.ok) throw new Error(loaded.skipped.reason);
  if (!("rule" in loaded)) throw new Error("an ES|QL rule");
  return loaded.rule;
}

let folders = 0;
/** A rules folder with the fixture rule and the fixture file. */
function fixtureFolder(yaml: string): { rule: Rule; tests: string; folder: string } {
  const folder = join(dir, `rules-${folders++}`);
  mkdirSync(join(folder, "tests"), { recursive: true });
  const ruleFile = join(folder, `${RULE_STEM}.toml`);
  const toml = readFileSync(RULE_FILE, "utf8").replace(/0001"/, `${String(folders).padStart(4, "0")}"`);
  writeFileSync(ruleFile, toml);
  const tests = join(folder, "tests", `${RULE_STEM}.yaml`);
  writeFileSync(tests, yaml);
  return { rule: ruleFrom(ruleFile), tests, folder };
}

const located = (problems: readonly Problem[]): string[] =>
  problems.map((p) => `${p.file}:${p.line}: ${p.path}: ${p.message}`);

const PROBE = [
  '"@timestamp": 2026-11-28T12:00:00Z',
  "event: { dataset: scanproof.firewall, action: connection_attempted }",
  "source: { ip: 198.18.0.66 }",
  "destination: { ip: 10.20.0.10, port: 1 }",
];

/** A fixture file of one case whose one event source is the template plus `extra` lines. */
function oneCase(
  extra: readonly string[],
  event: readonly string[] = PROBE,
  caseLines: string[] = [],
): string {
  return [
    "cases:",
    "  - name: one case",
    ...caseLines.map((l) => `    ${l}`),
    "    events:",
    "      - event:",
    ...event.map((l) => `          ${l}`),
    ...extra.map((l) => `        ${l}`),
    "    expect: none",
    "",
  ].join("\n");
}

/** Loads in a child process, so that a load blocking forever fails the test instead of hanging it. */
function loadInChild(call: string): { status: number | null; output: string } {
  return inChild({
    imports: {
      InputError: "core/problems.js",
      loadScenario: "scenario/load.js",
      loadRuleFile: "detection/rules/rule-loader.js",
      loadRuleTests: "detection/fixtures/rule-fixtures.js",
      loadContext: "context/context.js",
    },
    call,
    done: "loaded",
    errorClass: "InputError",
    report: "error.problems",
  });
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

  describe("a FIFO given as an input file", function () {
    this.timeout(30_000);
    const fifo = (name: string): string => {
      const path = join(dir, name);
      execFileSync("mkfifo", [path]);
      return path;
    };
    const refusedAt = (path: string) =>
      JSON.stringify([
        { file: shownAs(path), line: 1, column: 1, path: "", message: "is not a regular file" },
      ]);

    it("is refused at once as a scenario, a rule or an escalation context", function () {
      const scenario = fifo("scenario.yaml");
      const rule = fifo("rule.toml");
      const context = fifo("context.yaml");
      for (const [call, path] of [
        [`loadScenario(${JSON.stringify(scenario)})`, scenario],
        [`loadRuleFile(${JSON.stringify(rule)})`, rule],
        [`loadContext(${JSON.stringify(context)})`, context],
      ] as const) {
        const run = loadInChild(call);
        expect(run.status, `${call} did not return: ${run.output}`).to.equal(0);
        expect(run.output.trim()).to.equal(refusedAt(path));
      }
    });

    it("is refused at once as a rule fixture file and as the recorded events it names", function () {
      const { folder } = fixtureFolder("");
      const tests = join(folder, "tests", `${RULE_STEM}.yaml`);
      rmSync(tests);
      execFileSync("mkfifo", [tests]);
      const load = (path: string) =>
        loadInChild(
          `loadRuleTests(${JSON.stringify(path)}, loadRuleFile(${JSON.stringify(RULE_FILE)}).rule)`,
        );
      const asFixture = load(tests);
      expect(asFixture.status, asFixture.output).to.equal(0);
      expect(asFixture.output.trim()).to.equal(refusedAt(tests));

      const recorded = fixtureFolder(
        [
          "cases:",
          "  - name: recorded",
          "    events:",
          "      - jsonl: recorded.jsonl",
          "    expect: none",
        ].join("\n"),
      );
      const jsonl = join(recorded.folder, "tests", "recorded.jsonl");
      execFileSync("mkfifo", [jsonl]);
      const asRecorded = load(recorded.tests);
      expect(asRecorded.status, asRecorded.output).to.equal(0);
      expect(asRecorded.output.trim()).to.equal(refusedAt(jsonl));
    });
  });

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

  describe("generated fixture events", function () {
    this.timeout(5000);

    it("refuses variations whose product exceeds the events a case may hold, before generating any", function () {
      const { rule, tests } = fixtureFolder(
        oneCase(["vary: { destination.port: 1-60000, source.port: 1-60000 }", "every: 1s"]),
      );
      expect(located(inputErrorOf(() => loadRuleTests(tests, rule)).problems)).to.deep.equal([
        `${shownAs(tests)}:9: cases[0].events[0].vary: 60,000 destination.port × 60,000 source.port make 3,600,000,000 events; expected at most ${MAX_CASE_EVENTS.toLocaleString("en-US")} events per case`,
      ]);
    });

    it("counts the events of every source of a case against the cap", function () {
      const source = (ports: string) => [
        "      - event: *probe",
        `        vary: { destination.port: ${ports} }`,
      ];
      const { rule, tests } = fixtureFolder(
        [
          "cases:",
          "  - name: two sources",
          "    events:",
          "      - event: &probe",
          ...PROBE.map((l) => `          ${l}`),
          "        vary: { destination.port: 1-40000 }",
          ...source("1-65000"),
          "    expect: none",
        ].join("\n"),
      );
      expect(located(inputErrorOf(() => loadRuleTests(tests, rule)).problems)).to.deep.equal([
        `${shownAs(tests)}:11: cases[0].events[1].vary: 65,000 destination.port make 65,000 events after the 40,000 events before it; expected at most 100,000 events per case`,
      ]);
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

  describe("fixture files that expand or overflow", function () {
    it("refuses an alias bomb as a problem of the fixture file", function () {
      const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
      for (let i = 1; i < 9; i++) {
        const name = String.fromCharCode(97 + i);
        levels.push(
          `${name}: &${name} [${Array(9)
            .fill(`*${String.fromCharCode(96 + i)}`)
            .join(", ")}]`,
        );
      }
      const { rule, tests } = fixtureFolder([...levels, "cases: []"].join("\n"));
      const [p, ...rest] = inputErrorOf(() => loadRuleTests(tests, rule)).problems;
      expect(rest).to.deep.equal([]);
      expect(p).to.include({ file: shownAs(tests), line: 1, column: 1 });
      expect(p?.message).to.match(/^YAML: the document cannot be expanded .*at most 100 alias uses/);
    });

    it("refuses a step that carries timestamps past the last date JavaScript can represent", function () {
      const { rule, tests } = fixtureFolder(
        oneCase(["vary: { destination.port: 1-3 }", "every: 99999999999h"]),
      );
      expect(located(inputErrorOf(() => loadRuleTests(tests, rule)).problems)).to.deep.equal([
        `${shownAs(tests)}:10: cases[0].events[0].every: stepping 3 events by this duration from 2026-11-28T12:00:00.000Z passes the last date JavaScript can represent; expected a step that keeps every timestamp within -271821-04-20T00:00:00.000Z to +275760-09-13T00:00:00.000Z`,
      ]);
    });

    const RANGE = "-271821-04-20T00:00:00.000Z to +275760-09-13T00:00:00.000Z";
    const outside = (value: string) =>
      `${value} is outside the dates JavaScript can represent; expected a date-time such as "2026-11-28T12:00:00Z" or epoch milliseconds within ${RANGE}`;

    it("refuses epoch milliseconds beyond the date range in a template, a variation and a recording", function () {
      const far = "99999999999999999";
      const template = fixtureFolder(oneCase([], [`"@timestamp": ${far}`, ...PROBE.slice(1)]));
      expect(
        located(inputErrorOf(() => loadRuleTests(template.tests, template.rule)).problems),
      ).to.deep.equal([
        `${shownAs(template.tests)}:5: cases[0].events[0].event.@timestamp: ${outside("100000000000000000")}`,
      ]);

      const varied = fixtureFolder(oneCase([`vary: { "@timestamp": [1, "-${far}"] }`]));
      expect(located(inputErrorOf(() => loadRuleTests(varied.tests, varied.rule)).problems)).to.deep.equal([
        `${shownAs(varied.tests)}:9: cases[0].events[0].vary.@timestamp: ${outside(`"-${far}"`)}`,
      ]);

      const recorded = fixtureFolder(
        ["cases:", "  - name: recorded", "    events:", "      - jsonl: far.jsonl", "    expect: none"].join(
          "\n",
        ),
      );
      const jsonl = join(recorded.folder, "tests", "far.jsonl");
      const line = (stamp: unknown) =>
        JSON.stringify({
          "@timestamp": stamp,
          event: { dataset: "scanproof.firewall" },
          source: { ip: "198.18.0.66" },
        });
      writeFileSync(jsonl, [line("2026-11-28T12:00:00Z"), line([1, Number(far)])].join("\n"));
      expect(
        located(inputErrorOf(() => loadRuleTests(recorded.tests, recorded.rule)).problems),
      ).to.deep.equal([`${shownAs(jsonl)}:2: @timestamp: ${outside("100000000000000000")}`]);
    });

    it("make `rules test` exit 3 naming the file and line, never 2 with a stack trace", function () {
      this.timeout(20_000);
      const bomb = fixtureFolder(
        [
          "a: &a [x, x, x, x, x, x, x, x, x]",
          ...Array.from(
            { length: 5 },
            (_, i) =>
              `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
                .fill(`*${String.fromCharCode(97 + i)}`)
                .join(", ")}]`,
          ),
          "cases: []",
        ].join("\n"),
      );
      const far = fixtureFolder(oneCase(["vary: { destination.port: 1-3 }", "every: 99999999999h"]));
      const run = spawnSync(
        process.execPath,
        [join(projectRoot, "bin", "scanproof.js"), "rules", "test", bomb.folder, far.folder],
        { encoding: "utf8", timeout: 15_000, killSignal: "SIGKILL" },
      );
      expect(run.status, run.stderr).to.equal(3);
      expect(run.stderr).to.include(`${shownAs(bomb.tests)}:1:1: YAML: the document cannot be expanded`);
      expect(run.stderr).to.include(
        `${shownAs(far.tests)}:10:16: cases[0].events[0].every: stepping 3 events`,
      );
      expect(run.stderr).not.to.match(/\n\s+at /);
    });

    it("refuses a rule window that would start before the first date JavaScript can represent", function () {
      const beyondRange = (rule: Rule): Rule => ({ ...rule, lookbackMs: 1_000_000_000 * 86_400_000 });
      const given = fixtureFolder(oneCase([], PROBE, ["now: 2026-11-28T12:00:00Z"]));
      expect(
        located(inputErrorOf(() => loadRuleTests(given.tests, beyondRange(given.rule))).problems),
      ).to.deep.equal([
        `${shownAs(given.tests)}:3: cases[0].now: the rule's window (from: now-1000000000d) would start before the earliest date JavaScript can represent when "now" is 2026-11-28T12:00:00.000Z; expected a "now" and a look-back that keep the window within ${RANGE}`,
      ]);
      const latest = fixtureFolder(oneCase([]));
      expect(
        located(inputErrorOf(() => loadRuleTests(latest.tests, beyondRange(latest.rule))).problems),
      ).to.deep.equal([
        `${shownAs(latest.tests)}:4: cases[0].events: the rule's window (from: now-1000000000d) would start before the earliest date JavaScript can represent when "now" is 2026-11-28T12:00:00.000Z; expected a "now" and a look-back that keep the window within ${RANGE}`,
      ]);
    });
  });
});
