import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../harness/cli.js";
import { projectRoot } from "../../harness/core/paths.js";
import {
  diffEnvelopes,
  envelopeOfOrigins,
  renderEnvelopeDiffMarkdown,
  renderEnvelopeDiffSummary,
} from "../../harness/report/envelope-diff.js";
import { readEnvelopeResult, writeEnvelopeReports } from "../../harness/report/envelope-files.js";
import type { EnvelopeResult } from "../../harness/report/envelope-model.js";

const RULE_ID = "5b7c1f0e-2a59-4e53-9d1a-0f3f7c9f6a01";

/** The recorded envelope (one rule, psad, scanlogd), its rule given its rule_id. */
function recorded(): EnvelopeResult {
  const r = readEnvelopeResult(
    join(projectRoot, "test", "fixtures", "envelope", "vertical-one-rule-psad-scanlogd.json"),
  );
  return { ...r, contenders: r.contenders.map((c) => (c.kind === "rule" ? { ...c, ruleId: RULE_ID } : c)) };
}

/** The same envelope with the rule measured again under another origin, its boundary moved to `at`. */
function withRuleMovedTo(r: EnvelopeResult, at: number): EnvelopeResult {
  const rule = r.contenders.find((c) => c.kind === "rule") ?? expect.fail("no rule in the fixture");
  const moved = { ...rule, id: `changed/${RULE_ID}`, origin: "changed" };
  return {
    ...r,
    contenders: r.contenders.map((c) => (c.id === rule.id ? moved : c)),
    dimensions: r.dimensions.map((d) => ({
      ...d,
      boundaries: d.boundaries.map((b) =>
        b.contender === rule.id ? { ...b, contender: moved.id, lastDetected: at, firstMissed: at - 1 } : b,
      ),
    })),
  };
}

async function cli(args: readonly string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await main(["node", "scanproof", ...args], { out: (t) => (out += t), err: (t) => (out += t) });
  return { code, out };
}

describe("envelope diff", function () {
  it("reports exactly the boundary that moved, matching a rule across origins by its rule_id", function () {
    const before = recorded();
    const diff = diffEnvelopes(
      { label: "a", result: before },
      { label: "b", result: withRuleMovedTo(before, 50) },
    );
    expect(diff.moves).to.deep.equal([
      {
        dimension: "vertical",
        unit: "ports",
        contender: `rule:${RULE_ID}`,
        name: "Vertical Port Scan Seen by the Firewall",
        before: { lastDetected: 100, firstMissed: 99 },
        after: { lastDetected: 50, firstMissed: 49 },
        by: -50,
        beforeText: "100 (missed at 99)",
        afterText: "50 (missed at 49)",
      },
    ]);
    expect(renderEnvelopeDiffSummary(diff)).to.include(
      "vertical: Vertical Port Scan Seen by the Firewall: 100 (missed at 99) → 50 (missed at 49) (-50 ports)",
    );
    expect(renderEnvelopeDiffMarkdown(diff)).to.include(
      "| vertical | Vertical Port Scan Seen by the Firewall | 100 (missed at 99) | 50 (missed at 49) | -50 ports |",
    );
  });

  it("reports nothing between an envelope and itself, and a contender only one side measured", function () {
    const r = recorded();
    expect(diffEnvelopes({ label: "a", result: r }, { label: "a", result: r }).moves).to.deep.equal([]);
    const withoutPsad = envelopeOfOrigins(r, ["scanproof", "scanlogd"]);
    const moves = diffEnvelopes({ label: "a", result: r }, { label: "b", result: withoutPsad }).moves;
    expect(moves.map((m) => [m.contender, m.beforeText, m.afterText])).to.deep.equal([
      ["detector:psad", "5 (missed at 4)", "not measured"],
    ]);
  });

  it("keeps only one origin's contenders, points' outcomes and boundaries", function () {
    const only = envelopeOfOrigins(recorded(), ["psad"]);
    expect(only.contenders.map((c) => c.id)).to.deep.equal(["psad"]);
    for (const d of only.dimensions) {
      expect(d.boundaries.map((b) => b.contender)).to.deep.equal(["psad"]);
      for (const p of d.points) expect(Object.keys(p.detected)).to.deep.equal(["psad"]);
    }
  });

  it("is what scanproof diff does with two envelopes: exit 1 when a boundary moved, 0 when none", async function () {
    const dir = mkdtempSync(join(tmpdir(), "scanproof-envelope-diff-"));
    const before = recorded();
    writeEnvelopeReports(before, join(dir, "before"));
    const after = writeEnvelopeReports(withRuleMovedTo(before, 120), join(dir, "after"));
    const moved = await cli(["diff", join(dir, "before"), after.json, "--json", join(dir, "diff.json")]);
    expect(moved.code, moved.out).to.equal(1);
    expect(moved.out).to.include("1 envelope boundary moved").and.to.include("(+20 ports)");
    expect((await cli(["diff", join(dir, "before"), join(dir, "before")])).code).to.equal(0);
  });

  it("refuses to compare an envelope with a run's results, naming the file", async function () {
    const dir = mkdtempSync(join(tmpdir(), "scanproof-envelope-diff-"));
    const files = writeEnvelopeReports(recorded(), dir);
    const results = join(projectRoot, "test", "fixtures", "results", "real-run.json");
    const { code, out } = await cli(["diff", files.json, results]);
    expect(code).to.equal(3);
    expect(out).to.include(results).and.to.include("not an envelope");
  });
});
