import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { main } from "../../harness/cli.js";
import { assertionsDir } from "../../harness/core/paths.js";
import { loadRules } from "../../harness/detection/rules/rule-loader.js";
import { DEFAULT_LIMITS } from "../../harness/envelope/dimensions.js";
import { runEnvelope } from "../../harness/envelope/envelope-run.js";
import { pointWindow, windowsOverlap } from "../../harness/envelope/point-window.js";
import { diffEnvelopes, envelopeOfOrigins } from "../../harness/report/envelope-diff.js";
import type { EnvelopeBoundary, EnvelopeResult } from "../../harness/report/envelope-model.js";
import { writeEnvelopeReports } from "../../harness/report/envelope-files.js";
import { sharedBackend } from "./shared-backend.js";

const RULE_FILE = join(assertionsDir, "rules", "reconnaissance_vertical_port_scan_firewall.toml");
const PORT_CARDINALITY = /(\[\[rule\.threshold\.cardinality\]\]\nfield = "destination\.port"\nvalue = )(\d+)/;

/** The distinct-port threshold the rule file documents, read through the loader. */
function portThreshold(file: string): number {
  const rule = loadRules([file]).rules[0];
  if (rule?.type !== "threshold") throw new Error(`${file}: not a threshold rule`);
  const cardinality = rule.threshold.cardinality.find((c) => c.field === "destination.port");
  if (!cardinality) throw new Error(`${file}: no distinct-port cardinality`);
  return cardinality.value;
}

/** A copy of the rule asking for `ports` distinct ports instead. */
function ruleAskingFor(ports: number): string {
  const file = join(mkdtempSync(join(tmpdir(), "scanproof-envelope-rule-")), "vertical.toml");
  const text = readFileSync(RULE_FILE, "utf8");
  expect(PORT_CARDINALITY.test(text), "the rule file's cardinality block").to.equal(true);
  writeFileSync(file, text.replace(PORT_CARDINALITY, `$1${ports}`));
  return file;
}

function boundaryOf(result: EnvelopeResult, origin: string): EnvelopeBoundary {
  const contender =
    result.contenders.find((c) => c.origin === origin) ?? expect.fail(`no ${origin} contender`);
  return (
    result.dimensions[0]?.boundaries.find((b) => b.contender === contender.id) ??
    expect.fail(`no boundary for ${contender.id}`)
  );
}

describe("Detection envelope with real nmap scans (one rule, ports per target)", function () {
  this.timeout(900_000);

  it("finds the vertical scan rule's boundary at its documented threshold, and a changed threshold moves exactly that boundary", async function () {
    const threshold = portThreshold(RULE_FILE);
    const changedThreshold = Math.floor(threshold / 2);
    const changedFile = ruleAskingFor(changedThreshold);
    expect(portThreshold(changedFile)).to.equal(changedThreshold);
    const { result } = await runEnvelope({
      ruleSets: [
        { origin: "baseline", set: loadRules([RULE_FILE]) },
        { origin: "changed", set: loadRules([changedFile]) },
      ],
      detectors: [],
      dimensions: ["vertical"],
      limits: { ...DEFAULT_LIMITS, maxPorts: threshold + changedThreshold },
      backend: await sharedBackend(),
    });

    const [vertical] = result.dimensions;
    if (!vertical) return expect.fail("no vertical dimension measured");
    for (const [origin, t] of [
      ["baseline", threshold],
      ["changed", changedThreshold],
    ] as const) {
      const b = boundaryOf(result, origin);
      expect(b.monotone, origin).to.equal(true);
      expect(b.lastDetected, `${origin}: fewest ports detected`).to.be.at.least(t);
      expect(b.firstMissed, `${origin}: most ports missed`).to.be.below(t);
      expect((b.lastDetected ?? 0) - (b.firstMissed ?? 0), `${origin}: neighbouring points`).to.equal(1);
    }

    // Every point is recorded with both contenders' outcomes, each scan apart from the others.
    const values = vertical.points.map((p) => p.value);
    expect(new Set(values).size).to.equal(values.length);
    for (const p of vertical.points) {
      expect(Object.keys(p.detected)).to.have.lengthOf(2);
      expect(p.command).to.include(`-p 1-${p.value}`);
    }
    const windows = vertical.points.map((p) => pointWindow(p.startedAt, p.endedAt));
    windows.forEach((w, i) =>
      windows.slice(i + 1).forEach((o) => expect(windowsOverlap(w, o)).to.equal(false)),
    );
    // Each point's outcome is what the threshold says of that scan alone: no earlier point counted.
    for (const p of vertical.points) {
      const [baseline, changed] = result.contenders.map((c) => p.detected[c.id]);
      expect(baseline, `baseline at ${p.value}`).to.equal(p.value >= threshold);
      expect(changed, `changed at ${p.value}`).to.equal(p.value >= changedThreshold);
    }

    const before = envelopeOfOrigins(result, ["baseline"]);
    const after = envelopeOfOrigins(result, ["changed"]);
    const diff = diffEnvelopes({ label: "baseline", result: before }, { label: "changed", result: after });
    const baseline = boundaryOf(result, "baseline");
    const changed = boundaryOf(result, "changed");
    expect(diff.moves).to.have.lengthOf(1);
    expect(diff.moves[0]).to.deep.include({
      dimension: "vertical",
      before: { lastDetected: baseline.lastDetected, firstMissed: baseline.firstMissed },
      after: { lastDetected: changed.lastDetected, firstMissed: changed.firstMissed },
      by: (changed.lastDetected ?? 0) - (baseline.lastDetected ?? 0),
    });

    // The same through the command line, from the two envelopes written as files.
    const dir = mkdtempSync(join(tmpdir(), "scanproof-envelope-diff-"));
    writeEnvelopeReports(before, join(dir, "before"));
    writeEnvelopeReports(after, join(dir, "after"));
    let out = "";
    const code = await main(["node", "scanproof", "diff", join(dir, "before"), join(dir, "after")], {
      out: (t) => (out += t),
      err: (t) => (out += t),
    });
    expect(code, out).to.equal(1);
    expect(out)
      .to.include("1 envelope boundary moved")
      .and.to.include("Vertical Port Scan Seen by the Firewall");
    expect(
      await main(["node", "scanproof", "diff", join(dir, "before"), join(dir, "before")], {
        out: () => undefined,
        err: () => undefined,
      }),
    ).to.equal(0);
  });
});
