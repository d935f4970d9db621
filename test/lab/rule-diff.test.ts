import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { assertionsDir, projectRoot, scenariosDir } from "../../harness/core/paths.js";
import { runCommand } from "../../harness/core/process.js";
import { loadRules } from "../../harness/detection/rules/rule-loader.js";
import { diffRuns, type RunDiff } from "../../harness/report/diff.js";
import { readRunResult } from "../../harness/report/write-reports.js";
import { loadInputs } from "../../harness/run/inputs.js";
import { compareRuleSets, type RuleComparison } from "../../harness/run/run-scenarios.js";
import { sharedBackend } from "./shared-backend.js";

const HORIZONTAL = "reconnaissance_horizontal_port_sweep_firewall.toml";
const HORIZONTAL_CARDINALITY =
  /(\[\[rule\.threshold\.cardinality\]\]\nfield = "destination\.ip"\nvalue = )(\d+)/;

/**
 * Both sweeps probe port 443 of 10.20.0.12-35: 24 hosts, above the horizontal sweep rule's 20
 * distinct hosts. Asking for one more host than they probe makes the rule miss both sweeps; the
 * browsing scenario never met the rule and must not move.
 */
const SWEPT_HOSTS = 24;
const SCENARIOS = {
  "external-sweep-never-seen": "198.18.0.35",
  "internal-sweep-l1": "10.30.0.130",
  "benign-web-browsing": undefined,
} as const;

/** A copy of the pack whose horizontal sweep rule asks for one host more than the sweeps probe. */
function packAskingForMoreHosts(): string {
  const dir = mkdtempSync(join(tmpdir(), "scanproof-changed-rules-"));
  cpSync(join(assertionsDir, "rules"), dir, { recursive: true });
  const file = join(dir, HORIZONTAL);
  const text = readFileSync(file, "utf8");
  const threshold = Number(HORIZONTAL_CARDINALITY.exec(text)?.[2]);
  expect(threshold, "the rule's distinct-host threshold").to.be.lessThan(SWEPT_HOSTS);
  writeFileSync(file, text.replace(HORIZONTAL_CARDINALITY, `$1${SWEPT_HOSTS + 1}`));
  return dir;
}

describe("scanproof diff of two rule sets over the same lab events (real labs and Elasticsearch)", function () {
  let rulesDir: string;
  let comparison: RuleComparison;
  let diff: RunDiff;

  before(async function () {
    rulesDir = packAskingForMoreHosts();
    comparison = await compareRuleSets({
      inputs: loadInputs({
        scenarioFiles: Object.keys(SCENARIOS).map((id) => join(scenariosDir, `${id}.yaml`)),
        rulePaths: [join(assertionsDir, "rules")],
        contextFile: join(assertionsDir, "context", "default.yaml"),
      }),
      changedRules: loadRules([rulesDir]),
      backend: await sharedBackend(),
    });
    diff = diffRuns(
      { label: "baseline", run: readRunResult(join(comparison.baseline.resultsDir, "results.json")) },
      { label: "changed", run: readRunResult(join(comparison.changed.resultsDir, "results.json")) },
    );
  });

  after(() => rmSync(rulesDir, { recursive: true, force: true }));

  it("passes every scenario with the rule pack as it is", function () {
    expect(comparison.baseline.scenarios.map((s) => [s.id, s.verdict, s.reason ?? ""])).to.have.deep.members(
      Object.keys(SCENARIOS).map((id) => [id, "pass", ""]),
    );
  });

  it("judged both rule sets on the same lab's events: one ground truth and one accounting per scenario", function () {
    for (const s of comparison.baseline.scenarios) {
      const changed = comparison.changed.scenarios.find((c) => c.id === s.id);
      expect(changed?.groundTruth, s.id).to.deep.equal(s.groundTruth);
      expect(changed?.logs, s.id).to.deep.equal(s.logs);
    }
  });

  it("reports exactly the two sweeps as moved, and nothing else", function () {
    const moved = Object.entries(SCENARIOS).filter(([, source]) => source !== undefined);
    expect(diff.scenarios.map((s) => s.id)).to.deep.equal(moved.map(([id]) => id));
    expect(diff.rules).to.deep.equal({ added: [], removed: [] });
    expect(diff.counts).to.include({
      compared: 3,
      moved: 2,
      verdicts: 2,
      alertsAdded: 0,
      alertsChanged: 0,
      logs: 0,
    });
  });

  it("names the horizontal sweep alert each sweep lost, from its source, and the verdict it turned", function () {
    for (const s of diff.scenarios) {
      expect(s.verdict, s.id).to.deep.equal({ before: "pass", after: "fail" });
      expect(
        s.alerts.map((a) => [a.change, a.ruleName, a.source, a.before?.count]),
        s.id,
      ).to.deep.equal([
        [
          "removed",
          "Horizontal Port Sweep Seen by the Firewall",
          SCENARIOS[s.id as keyof typeof SCENARIOS],
          1,
        ],
      ]);
      expect(s.logs, s.id).to.deep.equal([]);
      expect(
        s.expectations.every((e) => e.before?.passed === true && e.after?.passed !== true),
        `${s.id}: only expectations that held before and not after`,
      ).to.equal(true);
      expect(s.expectations.map((e) => e.description).join("\n"), s.id).to.include(
        "Horizontal Port Sweep Seen by the Firewall",
      );
    }
  });
});

describe("scanproof diff of two rule sets for a scenario with contain steps (real labs and Elasticsearch)", function () {
  const ID = "contain-and-rescan";
  let comparison: RuleComparison;

  before(async function () {
    const rules = join(assertionsDir, "rules");
    comparison = await compareRuleSets({
      inputs: loadInputs({
        scenarioFiles: [join(scenariosDir, `${ID}.yaml`)],
        rulePaths: [rules],
        contextFile: join(assertionsDir, "context", "default.yaml"),
      }),
      changedRules: loadRules([rules]),
      backend: await sharedBackend(),
    });
  });

  it("runs it in a second lab with the changed rules, which decide its block themselves", function () {
    const [baseline] = comparison.baseline.scenarios;
    const [changed] = comparison.changed.scenarios;
    expect([baseline?.verdict, changed?.verdict]).to.deep.equal(["pass", "pass"]);
    const artifacts = (s: typeof baseline) => (s?.groundTruth ?? []).flatMap((g) => g.artifact ?? []);
    expect(artifacts(baseline)).to.not.be.empty;
    expect(artifacts(changed)).to.not.be.empty;
    for (const a of artifacts(changed)) expect(a).to.include(join(comparison.changed.resultsDir, ID));
    for (const a of artifacts(baseline)) expect(a).to.not.include(comparison.changed.resultsDir);
    expect(changed?.containment?.map((c) => c.blocked)).to.deep.equal([true]);
    expect(changed?.containment?.[0]?.verification?.deniedAfter).to.be.greaterThan(0);
  });

  it("finds the same verdict, alerts, tiers and reasons with the same rules", function () {
    const diff = diffRuns(
      { label: "baseline", run: comparison.baseline },
      { label: "changed", run: comparison.changed },
    );
    const moved = diff.scenarios.find((s) => s.id === ID);
    expect(moved?.verdict).to.equal(undefined);
    expect(moved?.alerts ?? []).to.deep.equal([]);
  });
});

describe("scanproof diff --rules-baseline --rules-changed, the command (real labs, its own Elasticsearch)", function () {
  let dir: string;
  let rulesDir: string;
  let run: { code: number; stdout: string; stderr: string };

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), "scanproof-diff-command-"));
    rulesDir = packAskingForMoreHosts();
    run = await runCommand(
      process.execPath,
      [
        join(projectRoot, "bin", "scanproof.js"),
        "diff",
        "--rules-baseline",
        join(assertionsDir, "rules"),
        "--rules-changed",
        rulesDir,
        "--no-setup",
        "--markdown",
        join(dir, "comment.md"),
        "--json",
        join(dir, "diff.json"),
        join(scenariosDir, "internal-sweep-l1.yaml"),
        join(scenariosDir, "benign-web-browsing.yaml"),
      ],
      {
        cwd: projectRoot,
        env: { ...process.env, SCANPROOF_RESULTS_DIR: join(dir, "results") },
      },
    );
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(rulesDir, { recursive: true, force: true });
  });

  it("exits 1 and prints that the sweep moved and the browsing did not", function () {
    expect(run.code, run.stderr).to.equal(1);
    expect(run.stdout).to.include("scanproof diff: 1 of 2 scenarios moved");
    expect(run.stdout).to.match(/internal-sweep-l1\s+PASS\s+FAIL/);
  });

  it("writes the Markdown comment and the JSON asked for, and both beside the two sets' results", function () {
    expect(readFileSync(join(dir, "comment.md"), "utf8")).to.include("| internal-sweep-l1 | PASS | FAIL |");
    const diff = JSON.parse(readFileSync(join(dir, "diff.json"), "utf8")) as RunDiff;
    expect(diff.scenarios.map((s) => s.id)).to.deep.equal(["internal-sweep-l1"]);
    const [runDir] = readdirSync(join(dir, "results")).map((r) => join(dir, "results", r));
    for (const file of ["diff.md", "diff.json", "baseline/results.json", "changed/results.json"])
      expect(existsSync(join(runDir ?? "", file)), file).to.equal(true);
    expect(readFileSync(join(runDir ?? "", "diff.json"), "utf8")).to.equal(
      readFileSync(join(dir, "diff.json"), "utf8"),
    );
  });
});
