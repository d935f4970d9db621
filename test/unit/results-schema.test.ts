import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { renderJson } from "../../harness/report/json.js";
import { mergeRunResults } from "../../harness/report/merge.js";
import { readRunResult } from "../../harness/report/write-reports.js";
import { RunResultSchema } from "../../harness/result.js";
import { formatProblem, InputError } from "../../harness/core/problems.js";
import { fixture, inputErrorOf } from "./fixture-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "scanproof-results-schema-"));
let written = 0;

function resultsFile(text: string): string {
  const path = join(dir, `results-${written++}.json`);
  writeFileSync(path, text);
  return path;
}

const fixtures = readdirSync(fixture("results")).filter((f) => f.endsWith(".json"));
const escalated = (): Record<string, unknown> =>
  JSON.parse(readFileSync(fixture("results", "escalated-run.json"), "utf8")) as Record<string, unknown>;

/** The fixture with one value changed at a dot path such as scenarios.0.alerts.1.tier. */
function withValue(path: string, value: unknown): string {
  const document = escalated();
  const keys = path.split(".");
  let at: Record<string, unknown> = document;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[keys.at(-1) ?? ""] = value;
  return JSON.stringify(document, null, 2);
}

describe("readRunResult: the whole results file is checked", () => {
  for (const name of fixtures) {
    it(`loads test/fixtures/results/${name} unchanged, older files with their defaults`, () => {
      const raw = JSON.parse(readFileSync(fixture("results", name), "utf8")) as Record<string, unknown>;
      const { schemaVersion: _version, summary: _summary, ...run } = raw;
      for (const s of run.scenarios as { logs: Record<string, unknown>[] }[])
        for (const log of s.logs) log.signatures ??= {};
      expect(readRunResult(fixture("results", name))).to.deep.equal(run);
    });
  }

  it("reads a results file written before other services' logins were decoded: its SSH sessions become SSH logins", () => {
    const path = fixture("results-legacy", "ssh-sessions-run.json");
    const raw = JSON.parse(readFileSync(path, "utf8")) as {
      scenarios: { groundTruth: { wire?: { ssh: object[] } }[] }[];
    };
    const sessions = raw.scenarios[0]?.groundTruth.flatMap((g) => g.wire?.ssh ?? []) ?? [];
    expect(sessions).to.not.be.empty;
    const logins = readRunResult(path).scenarios[0]?.groundTruth.flatMap((g) => g.wire?.logins ?? []);
    expect(logins).to.deep.equal(sessions.map((s) => ({ service: "ssh", ...s })));
  });

  it("reads back what renderJson writes", () => {
    const run = readRunResult(fixture("results", "escalated-run.json"));
    expect(readRunResult(resultsFile(renderJson(run)))).to.deep.equal(run);
  });

  it("names the file, the line, the dot path and what was expected for a wrong type deep inside", () => {
    const path = resultsFile(withValue("scenarios.0.alerts.0.riskScore", "high"));
    const { problems } = inputErrorOf(() => readRunResult(path));
    expect(problems).to.have.lengthOf(1);
    const line = readFileSync(path, "utf8").split("\n")[(problems[0]?.line ?? 0) - 1] ?? "";
    expect(line.trim()).to.equal('"riskScore": "high",');
    expect(formatProblem(problems[0] as never)).to.match(
      /:\d+:\d+: scenarios\[0\]\.alerts\[0\]\.riskScore: expected number, received string$/,
    );
    expect(problems[0]?.file).to.equal(path);
  });

  for (const [path, value, message] of [
    ["scenarios.0.verdict", "passed", 'expected one of "pass"|"fail"|"error"'],
    ["scenarios.0.alerts.0.tier", "tier3", 'expected one of "suppressed"|"l1"|"tier2"'],
    ["scenarios.0.alerts.0.reasons", [{ code: "made-up", message: "x" }], "expected one of"],
    ["scenarios.0.alerts.0.reasons", [{ markup: "<script>alert(1)</script>" }], "expected one of"],
    [
      "scenarios.0.alerts.0.ruleName",
      { markup: "<script>alert(1)</script>" },
      "expected string, received object",
    ],
    ["scenarios.0.groundTruth.0.command", "rm -rf /", "expected array, received string"],
    ["scenarios.0.logs.0.sensorRecords", -1, "expected number to be >=0"],
    ["scenarios.0.alerts.0.enrichment.history.ports", [70_000], "expected number to be <=65535"],
    ["rules.skipped", [{ file: "x.toml" }], "expected string, received undefined"],
    ["runId", 7, "expected string, received number"],
  ] as const) {
    it(`refuses ${path} = ${JSON.stringify(value)}`, () => {
      const { problems } = inputErrorOf(() => readRunResult(resultsFile(withValue(path, value))));
      expect(problems[0]?.path.replace(/\[(\d+)\]/g, ".$1").replace(/\.(?=\.)|^\./, "")).to.match(
        new RegExp(`^${path.replaceAll(".", "\\.")}`),
      );
      expect(problems[0]?.message).to.include(message);
      expect(problems[0]?.line).to.be.greaterThan(1);
    });
  }

  it("refuses keys the results format does not have, at their line", () => {
    const path = resultsFile(withValue("scenarios.0.alerts.0.markup", "<script>alert(1)</script>"));
    const { problems } = inputErrorOf(() => readRunResult(path));
    const line = readFileSync(path, "utf8").split("\n")[(problems[0]?.line ?? 0) - 1] ?? "";
    expect(line.trim()).to.equal('"markup": "<script>alert(1)</script>"');
    expect(problems[0]?.column).to.equal(line.indexOf('"markup"') + 1);
    expect(problems.map((p) => [p.path, p.message])).to.deep.equal([
      ["scenarios[0].alerts[0]", 'unknown key "markup"'],
    ]);
  });

  it('refuses "__proto__" as a key of a map', () => {
    const text = withValue("scenarios.0.timings", { labStartMs: 1 }).replace(
      '"labStartMs": 1',
      '"__proto__": 1, "labStartMs": 1',
    );
    const { problems } = inputErrorOf(() => readRunResult(resultsFile(text)));
    expect(problems.map((p) => p.path)).to.deep.equal(["scenarios[0].timings.__proto__"]);
  });

  it("refuses a file of another schema version or shape", () => {
    for (const text of [
      "[]",
      "null",
      '"results"',
      "{}",
      JSON.stringify({ ...escalated(), schemaVersion: 2 }),
    ]) {
      const { problems } = inputErrorOf(() => readRunResult(resultsFile(text)));
      expect(problems[0]?.message).to.match(/schemaVersion 1/);
    }
  });

  it("refuses what is not a regular file", () => {
    mkdirSync(join(dir, "folder.json"));
    expect(inputErrorOf(() => readRunResult(join(dir, "folder.json"))).problems[0]?.message).to.include(
      "not a regular file",
    );
    expect(inputErrorOf(() => readRunResult(join(dir, "missing.json"))).problems[0]?.message).to.include(
      "not a readable JSON file",
    );
  });

  it("lists at most 20 problems of a file wrong everywhere, and says how many more", () => {
    const run = escalated();
    const scenarios = (run.scenarios as Record<string, unknown>[]).map((s) => ({ ...s, durationMs: "long" }));
    const many = Array.from({ length: 15 }, () => scenarios).flat();
    const { problems } = inputErrorOf(() =>
      readRunResult(resultsFile(JSON.stringify({ ...run, scenarios: many }))),
    );
    expect(problems).to.have.lengthOf(21);
    expect(problems.at(-1)?.message).to.match(/^and \d+ more problems$/);
  });

  it("refuses a scenario of a merged shard that is malformed, naming that shard's file", () => {
    const good = resultsFile(readFileSync(fixture("results", "coverage-run.json"), "utf8"));
    const bad = resultsFile(withValue("scenarios.0.expectations", [{ id: "x" }]));
    const { problems } = inputErrorOf(() => mergeRunResults([good, bad], dir));
    expect(problems.every((p) => p.file === bad)).to.equal(true);
  });

  it("never returns a value that breaks the schema (fast-check: a value of any kind anywhere)", function () {
    this.timeout(60_000);
    const paths = [
      "runId",
      "scenarios.0.title",
      "scenarios.0.tags",
      "scenarios.0.alerts.0.source",
      "scenarios.0.alerts.0.enrichment.reputation",
      "scenarios.0.alerts.0.analysis.volume.ratio",
      "scenarios.0.groundTruth.0.probes",
      "scenarios.0.logs.0.signatures",
      "scenarios.0.containment",
      "rules.loaded",
    ];
    const base = readRunResult(fixture("results", "escalated-run.json"));
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 3 }), (path, value) => {
        try {
          const run = readRunResult(resultsFile(withValue(path, value)));
          expect(RunResultSchema.safeParse(run).success).to.equal(true);
          expect(run.scenarios.length).to.equal(base.scenarios.length);
        } catch (error) {
          if (!(error instanceof InputError)) throw error;
          for (const p of error.problems) expect(p.line).to.be.at.least(1);
        }
      }),
      { numRuns: 60 },
    );
  });
});
