import { expect } from "chai";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../harness/cli.js";
import { scenariosDir } from "../../harness/core/paths.js";
import { diffRuns, renderDiffJson, type RunDiff } from "../../harness/report/diff.js";
import { renderDiffMarkdown, renderDiffSummary } from "../../harness/report/diff-text.js";
import { renderJson } from "../../harness/report/json.js";
import type { AlertSummary, RunResult, ScenarioResult } from "../../harness/result.js";
import { fixture, loadRunFixture } from "./fixture-helpers.js";

/** The escalated fixture run with one scenario changed by `change`. */
function changed(run: RunResult, id: string, change: (s: ScenarioResult) => ScenarioResult): RunResult {
  return { ...run, scenarios: run.scenarios.map((s) => (s.id === id ? change(s) : s)) };
}

function firstAlert(s: ScenarioResult): AlertSummary {
  const alert = s.alerts[0];
  if (!alert) throw new Error(`fixture scenario ${s.id} has no alert`);
  return alert;
}

function diff(before: RunResult, after: RunResult): RunDiff {
  return diffRuns({ label: "before.json", run: before }, { label: "after.json", run: after });
}

async function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "scanproof", ...args], {
    out: (t) => (out += t),
    err: (t) => (err += t),
  });
  return { code, out, err };
}

describe("scanproof diff of two results", () => {
  const run = loadRunFixture("escalated-run.json");
  const SCAN = "scan-then-exploit";

  it("finds nothing moved between a run and itself", () => {
    const d = diff(run, run);
    expect(d.moved).to.equal(false);
    expect(d.scenarios).to.deep.equal([]);
    expect(d.counts.compared).to.equal(2);
    expect(renderDiffSummary(d)).to.match(/^scanproof diff: nothing moved: 2 scenarios compared/);
  });

  it("reports a tier and reasons that changed for the same alert, and nothing else", () => {
    const after = changed(run, SCAN, (s) => ({
      ...s,
      alerts: [
        {
          ...firstAlert(s),
          tier: "l1",
          reasons: firstAlert(s).reasons.filter((r) => r.code !== "exploit-attempt"),
        },
      ],
    }));
    const d = diff(run, after);
    expect(d.scenarios.map((s) => s.id)).to.deep.equal([SCAN]);
    const [move] = d.scenarios;
    expect(move?.verdict).to.equal(undefined);
    expect(move?.expectations).to.deep.equal([]);
    expect(move?.logs).to.deep.equal([]);
    expect(move?.alerts).to.deep.equal([
      {
        ruleId: firstAlert(run.scenarios[0] as ScenarioResult).ruleId,
        ruleName: "Vertical Port Scan Seen by the Firewall",
        source: "198.18.0.10",
        change: "changed",
        before: {
          count: 1,
          tiers: ["tier2"],
          reasons: ["exploit-attempt", "external-never-seen", "range-of-services"],
        },
        after: { count: 1, tiers: ["l1"], reasons: ["external-never-seen", "range-of-services"] },
      },
    ]);
    expect(d.counts).to.include({ moved: 1, tiers: 1, reasons: 1, alertsChanged: 1, verdicts: 0 });
    const text = renderDiffSummary(d);
    expect(text).to.include("Tiers changed (1)");
    expect(text).to.include("Escalation reasons changed (1)");
    expect(text).to.include("−exploit-attempt");
    expect(text).not.to.include("Verdicts changed");
    expect(text).not.to.include("Alert counts changed");
  });

  it("reports a removed alert with the verdict and the expectations it turned", () => {
    const after = changed(run, SCAN, (s) => ({
      ...s,
      verdict: "fail",
      alerts: [],
      expectations: s.expectations.map((e) =>
        e.id === "alerts[0].count" ? { ...e, passed: false, observed: "0" } : e,
      ),
    }));
    const d = diff(run, after);
    const [move] = d.scenarios;
    expect(move?.verdict).to.deep.equal({ before: "pass", after: "fail" });
    expect(move?.alerts.map((a) => [a.change, a.source, a.before?.count, a.after])).to.deep.equal([
      ["removed", "198.18.0.10", 1, undefined],
    ]);
    expect(
      move?.expectations.map((e) => [e.id, e.before?.passed, e.after?.passed, e.after?.observed]),
    ).to.deep.equal([["alerts[0].count", true, false, "0"]]);
    expect(d.counts).to.include({ verdicts: 1, alertsRemoved: 1, alertsAdded: 0, expectations: 1 });
    const text = renderDiffSummary(d);
    expect(text).to.match(/scan-then-exploit\s+PASS\s+FAIL/);
    expect(text).to.include("Alerts removed (1)");
  });

  it("tells alerts of the same rule apart by source, and counts them", () => {
    const after = changed(run, SCAN, (s) => ({
      ...s,
      alerts: [
        firstAlert(s),
        firstAlert(s),
        { ...firstAlert(s), id: "other", source: "198.18.0.20", reasons: [] },
      ],
    }));
    const d = diff(run, after);
    expect(
      d.scenarios[0]?.alerts.map((a) => [a.change, a.source, a.before?.count, a.after?.count]),
    ).to.deep.equal([
      ["changed", "198.18.0.10", 1, 2],
      ["added", "198.18.0.20", undefined, 1],
    ]);
    expect(d.counts).to.include({ alertsAdded: 1, alertsChanged: 1, tiers: 0, reasons: 0 });
    const text = renderDiffSummary(d);
    expect(text).to.include("Alert counts changed (1)");
    expect(text).not.to.include("Tiers changed");
  });

  it("calls the same alerts escalated to other tiers a tier change, even when the set of tiers is the same", () => {
    const three = (tiers: readonly ("l1" | "tier2")[]) =>
      changed(run, SCAN, (s) => ({
        ...s,
        alerts: tiers.map((tier, i) => ({ ...firstAlert(s), id: `a${i}`, tier })),
      }));
    const d = diff(three(["tier2", "tier2", "l1"]), three(["tier2", "l1", "l1"]));
    expect(d.scenarios[0]?.alerts.map((a) => [a.before?.tiers, a.after?.tiers])).to.deep.equal([
      [
        ["l1", "tier2", "tier2"],
        ["l1", "l1", "tier2"],
      ],
    ]);
    expect(d.counts).to.include({ tiers: 1, alertsChanged: 1 });
    expect(renderDiffSummary(d)).to.match(/Tiers changed \(1\)[\s\S]*l1, tier2 ×2\s+l1 ×2, tier2/);
  });

  it("says why a scenario that passed before errored after", () => {
    const after = changed(run, SCAN, (s) => ({
      ...s,
      verdict: "error",
      reason: "target web stopped during the steps",
      alerts: [],
      expectations: [],
    }));
    const d = diff(run, after);
    expect(d.scenarios[0]?.errorAfter).to.equal("target web stopped during the steps");
    expect(renderDiffSummary(d)).to.match(
      /scan-then-exploit\s+PASS\s+ERROR\s+target web stopped during the steps/,
    );
    expect(renderDiffMarkdown(d)).to.include(
      "| scan-then-exploit | PASS | ERROR | target web stopped during the steps |",
    );
  });

  it("reports each log source's accounting that changed, by count", () => {
    const after = changed(run, SCAN, (s) => ({
      ...s,
      logs: s.logs.map((l) =>
        l.source === "firewall" ? { ...l, indexed: l.indexed - 2, ingestWaitMs: 1 } : l,
      ),
    }));
    const d = diff(run, after);
    const [move] = d.scenarios;
    expect(move?.logs.map((l) => [l.source, l.before?.indexed, l.after?.indexed])).to.deep.equal([
      ["firewall", 1004, 1002],
    ]);
    expect(renderDiffSummary(d)).to.include("firewall  indexed 1004 → 1002");
  });

  it("does not compare timings: durations, ingest waits and times to alert", () => {
    const after = changed(run, SCAN, (s) => ({
      ...s,
      durationMs: s.durationMs + 5000,
      timings: {},
      timeToAlertMs: 1,
      logs: s.logs.map((l) => ({ ...l, ingestWaitMs: l.ingestWaitMs + 100 })),
      alerts: s.alerts.map((a) => ({ ...a, timeToAlertMs: 99 })),
    }));
    expect(diff(run, after).moved).to.equal(false);
  });

  it("names scenarios and rules found in one run only", () => {
    const after: RunResult = {
      ...run,
      rules: { ...run.rules, loaded: [...run.rules.loaded, "new-rule"] },
      scenarios: run.scenarios.filter((s) => s.id !== SCAN),
    };
    const d = diff(run, after);
    expect(d.scenarios.map((s) => [s.id, s.presence])).to.deep.equal([[SCAN, "before"]]);
    expect(d.rules).to.deep.equal({ added: ["new-rule"], removed: [] });
    expect(d.counts).to.include({ compared: 1, moved: 0, onlyBefore: 1 });
    expect(renderDiffSummary(d)).to.match(/new-rule\s+after only/);
  });

  it("shows text from the results as text in the Markdown comment and on the terminal", () => {
    const hostile = "a | b <img src=x onerror=alert(1)> **bold**\n# heading\u001b[2J";
    const after = changed(run, SCAN, (s) => ({
      ...s,
      alerts: [{ ...firstAlert(s), ruleName: hostile, tier: "l1" }],
    }));
    const d = diff(run, after);
    const markdown = renderDiffMarkdown(d);
    expect(markdown).to.include("a \\| b \\<img src=x onerror=alert(1)\\> \\*\\*bold\\*\\* # heading");
    expect(markdown).not.to.match(/[^\\]<img|\n# heading/);
    expect(renderDiffSummary(d)).not.to.include("\u001b");
  });
});

describe("scanproof diff (command)", () => {
  let dir: string;
  const run = loadRunFixture("escalated-run.json");

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "scanproof-diff-"));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, result: RunResult): string {
    mkdirSync(join(dir, name));
    const file = join(dir, name, "results.json");
    writeFileSync(file, renderJson(result));
    return file;
  }

  it("exits 0 when nothing moved, from run folders", async () => {
    write("a", run);
    write("b", run);
    const { code, out } = await cli(["diff", join(dir, "a"), join(dir, "b")]);
    expect(code).to.equal(0);
    expect(out).to.include("nothing moved");
  });

  it("exits 1 when something moved, and writes the Markdown comment and the JSON", async () => {
    const before = write("a", run);
    const after = write(
      "b",
      changed(run, "contain-and-rescan", (s) => ({ ...s, verdict: "fail" })),
    );
    const markdown = join(dir, "diff.md");
    const json = join(dir, "diff.json");
    const { code, out } = await cli(["diff", before, after, "--markdown", markdown, "--json", json]);
    expect(code).to.equal(1);
    expect(out).to.include("Verdicts changed (1)");
    const written = JSON.parse(readFileSync(json, "utf8")) as RunDiff;
    expect(written.diffVersion).to.equal(1);
    expect(written.scenarios.map((s) => [s.id, s.verdict])).to.deep.equal([
      ["contain-and-rescan", { before: "pass", after: "fail" }],
    ]);
    expect(readFileSync(json, "utf8")).to.equal(renderDiffJson(written));
    expect(readFileSync(markdown, "utf8")).to.include("| contain-and-rescan | PASS | FAIL |");
  });

  it("refuses a file that is not a results file, naming it and what was expected", async () => {
    const other = join(dir, "other.json");
    writeFileSync(other, JSON.stringify({ hello: "world" }));
    const { code, err } = await cli(["diff", other, fixture("results", "escalated-run.json")]);
    expect(code).to.equal(3);
    expect(err).to.include(`${other}:1:1`);
    expect(err).to.include("expected schemaVersion 1 with runId and scenarios");
  });

  it("refuses a folder without a results.json, naming the file it looked for", async () => {
    const { code, err } = await cli(["diff", dir, fixture("results", "escalated-run.json")]);
    expect(code).to.equal(3);
    expect(err).to.include(join(dir, "results.json"));
  });

  it("refuses a results file with a field of the wrong type, at its line", async () => {
    const file = write("a", run);
    writeFileSync(file, readFileSync(file, "utf8").replace('"verdict": "pass"', '"verdict": "passed"'));
    const { code, err } = await cli(["diff", file, fixture("results", "escalated-run.json")]);
    expect(code).to.equal(3);
    expect(err).to.include(`${file}:`);
    expect(err).to.match(/results\.json:\d+:\d+: scenarios\[0\]\.verdict: Invalid option/);
  });

  it("refuses both rule sets' problems at once, before anything starts", async () => {
    const changedRules = join(dir, "changed");
    mkdirSync(changedRules);
    writeFileSync(join(changedRules, "broken.toml"), "[rule\nname = 1\n");
    const missing = join(dir, "no-such-rules");
    const { code, err } = await cli([
      "diff",
      "--rules-baseline",
      missing,
      "--rules-changed",
      changedRules,
      "--no-setup",
      join(scenariosDir, "benign-web-browsing.yaml"),
    ]);
    expect(code).to.equal(3);
    expect(err).to.include("nothing was started");
    expect(err).to.include("no such rule file or folder");
    expect(err).to.include("broken.toml:1:");
  });

  it("needs exactly two results, and both rule sets together", async () => {
    const one = await cli(["diff", fixture("results", "escalated-run.json")]);
    expect(one.code).to.equal(3);
    expect(one.err).to.include("diff compares two results");
    const lone = await cli(["diff", "--rules-changed", dir]);
    expect(lone.code).to.equal(3);
    expect(lone.err).to.include("--rules-baseline and --rules-changed go together");
  });
});
