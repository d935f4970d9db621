import { expect } from "chai";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mergeRunResults } from "../../harness/report/merge.js";
import { fixture, inputErrorOf, loadRunFixture } from "./fixture-helpers.js";

describe("mergeRunResults", () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "scanproof-merge-"));
    for (const [shard, file] of [
      ["shard-1", "coverage-run.json"],
      ["shard-2", "real-run.json"],
    ] as const) {
      mkdirSync(join(dir, shard));
      copyFileSync(fixture("results", file), join(dir, shard, "results.json"));
    }
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("makes one run of every shard's scenarios, in id order, from run folders or results files", () => {
    const merged = mergeRunResults(
      [join(dir, "shard-1"), join(dir, "shard-2", "results.json")],
      join(dir, "all"),
    );
    const coverage = loadRunFixture("coverage-run.json");
    const real = loadRunFixture("real-run.json");
    const ids = [...coverage.scenarios, ...real.scenarios].map((s) => s.id).sort();
    expect(merged.scenarios.map((s) => s.id)).to.deep.equal(ids);
    expect(merged.runId).to.equal(`${coverage.runId}+${real.runId}`);
    expect(merged.startedAt).to.equal([coverage.startedAt, real.startedAt].sort()[0]);
    expect(merged.endedAt).to.equal([coverage.endedAt, real.endedAt].sort()[1]);
    expect(merged.rules.loaded).to.deep.equal(
      [...new Set([...coverage.rules.loaded, ...real.rules.loaded])].sort(),
    );
    expect(merged.resultsDir).to.equal(join(dir, "all"));
  });

  it("keeps each scenario's result untouched", () => {
    const merged = mergeRunResults([join(dir, "shard-1"), join(dir, "shard-2")], dir);
    const real = loadRunFixture("real-run.json");
    for (const s of real.scenarios) expect(merged.scenarios.find((m) => m.id === s.id)).to.deep.equal(s);
  });

  it("refuses shards that ran the same scenario, naming both files", () => {
    const { problems } = inputErrorOf(() =>
      mergeRunResults([join(dir, "shard-2"), join(dir, "shard-2")], dir),
    );
    expect(problems.map((p) => p.message)).to.include(
      `scenario "nmap-syn-top1000" is also in ${join(dir, "shard-2", "results.json")}`,
    );
  });

  it("refuses a folder without results, like `scanproof report`", () => {
    const { problems } = inputErrorOf(() => mergeRunResults([dir], dir));
    expect(problems[0]?.file).to.equal(join(dir, "results.json"));
  });
});
