import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EnvelopeDimension, EnvelopeResult } from "../../harness/report/envelope-model.js";
import { readEnvelopeResult, writeEnvelopeReports } from "../../harness/report/envelope-files.js";
import { envelopeChart, logarithmic, logTicks, ticks } from "../../harness/report/envelope-svg.js";
import { boundaryCell, envelopeTable, renderEnvelopeText } from "../../harness/report/envelope-table.js";
import { InputError } from "../../harness/core/problems.js";

function point(value: number, detected: Record<string, boolean>) {
  return {
    value,
    startedAt: "2026-12-06T10:00:00.000Z",
    endedAt: "2026-12-06T10:00:02.000Z",
    command: `nmap -p 1-${value}`,
    detected,
  };
}

/** Recorded points of a vertical search: the rule fires from 100 ports, psad from 3, the sweep never. */
const vertical: EnvelopeDimension = {
  name: "vertical",
  title: "Ports per target (vertical)",
  unit: "ports",
  evasive: "down",
  range: [300, 1],
  fixed: "one target",
  points: [300, 1, 150, 75, 112, 93, 102, 97, 99, 100, 2, 3].map((v) =>
    point(v, { "scanproof/vertical": v >= 100, psad: v >= 3, "scanproof/sweep": false }),
  ),
  boundaries: [
    { contender: "scanproof/vertical", lastDetected: 100, firstMissed: 99, monotone: true },
    { contender: "psad", lastDetected: 3, firstMissed: 2, monotone: true },
    { contender: "scanproof/sweep", firstMissed: 300, monotone: true },
  ],
  durationMs: 60_000,
};

const pace: EnvelopeDimension = {
  name: "pace",
  title: "Delay between probes (pace)",
  unit: "ms",
  evasive: "up",
  range: [0, 1500],
  fixed: "120 ports",
  points: [0, 1500].map((v) =>
    point(v, { "scanproof/vertical": true, psad: true, "scanproof/sweep": false }),
  ),
  boundaries: [
    { contender: "scanproof/vertical", lastDetected: 1500, monotone: true },
    { contender: "psad", lastDetected: 1500, monotone: true },
    { contender: "scanproof/sweep", firstMissed: 0, monotone: true },
  ],
  durationMs: 200_000,
};

const result: EnvelopeResult = {
  kind: "scanproof-envelope",
  runId: "envelope-test",
  startedAt: "2026-12-06T10:00:00.000Z",
  durationMs: 300_000,
  isolation: "each point its own",
  source: "the outside attacker (198.18.0.10)",
  contenders: [
    { id: "scanproof/vertical", name: "Vertical Port Scan", kind: "rule", origin: "scanproof" },
    { id: "psad", name: "psad", kind: "detector", origin: "psad" },
    { id: "scanproof/sweep", name: "Horizontal Sweep", kind: "rule", origin: "scanproof" },
  ],
  dimensions: [vertical, pace],
};

describe("envelope table", function () {
  it("gives each detecting contender the bracketing points per dimension, and lists the silent ones", function () {
    const table = envelopeTable(result);
    expect(table.header).to.deep.equal([
      "Contender",
      "Origin",
      "Fewest ports detected (ports)",
      "Slowest pace detected (ms)",
    ]);
    expect(table.rows).to.deep.equal([
      ["Vertical Port Scan", "scanproof", "100 (missed at 99)", "≥ 1500 ms (never missed)"],
      ["psad", "psad", "3 (missed at 2)", "≥ 1500 ms (never missed)"],
    ]);
    expect(table.silent.map((c) => c.id)).to.deep.equal(["scanproof/sweep"]);
    expect(renderEnvelopeText(result)).to.include("Detected at no point: Horizontal Sweep (scanproof)");
  });

  it("writes the cell for each kind of bracket", function () {
    expect(boundaryCell(vertical, { contender: "x", lastDetected: 1, monotone: true })).to.equal(
      "≤ 1 (never missed)",
    );
    expect(boundaryCell(vertical, { contender: "x", firstMissed: 300, monotone: true })).to.equal(
      "never (missed at 300)",
    );
    expect(
      boundaryCell(pace, { contender: "x", lastDetected: 200, firstMissed: 250, monotone: false }),
    ).to.equal("200 ms (missed at 250 ms) *");
  });
});

describe("envelope chart", function () {
  it("draws every recorded point of every contender, filled where detected, at its value's place", function () {
    const svg = envelopeChart(vertical, result.contenders).html;
    const circles = [
      ...svg.matchAll(/<circle\s+class="(detected|missed)"\s+data-value="(\d+)"\s+cx="([\d.]+)"/g),
    ];
    expect(circles).to.have.lengthOf(vertical.points.length * result.contenders.length);
    const detected = circles.filter((c) => c[1] === "detected").length;
    const expected = vertical.points.reduce(
      (n, p) => n + Object.values(p.detected).filter(Boolean).length,
      0,
    );
    expect(detected).to.equal(expected);
    const x = (value: number) => Number(circles.find((c) => Number(c[2]) === value)?.[3]);
    expect(x(1)).to.be.below(x(100));
    expect(x(100)).to.be.below(x(300));
    expect(svg.match(/<line\s+class="boundary"/g)).to.have.lengthOf(2);
    expect(svg).to.include("<title>Ports per target (vertical): detection against ports</title>");
  });

  it("escapes contender names", function () {
    const hostile = [{ id: "x", name: "<script>alert(1)</script>", kind: "rule" as const, origin: "o" }];
    const svg = envelopeChart(vertical, hostile).html;
    expect(svg).not.to.include("<script>");
    expect(svg).to.include("&lt;script&gt;");
  });

  it("puts round ticks across the range", function () {
    expect(ticks(1, 300)).to.deep.equal([100, 200, 300]);
    expect(ticks(1, 150)).to.deep.equal([50, 100, 150]);
    expect(ticks(0, 1500)).to.deep.equal([0, 500, 1000, 1500]);
    expect(ticks(5, 5)).to.deep.equal([5]);
    expect(logTicks(1, 300)).to.deep.equal([1, 2, 5, 10, 20, 50, 100, 200]);
    expect(logarithmic(1, 300)).to.equal(true);
    expect(logarithmic(0, 1500)).to.equal(false);
  });
});

describe("envelope files", function () {
  it("writes JSON, HTML with one chart per dimension, Markdown and SVG files, and reads the JSON back", function () {
    const dir = mkdtempSync(join(tmpdir(), "scanproof-envelope-"));
    const files = writeEnvelopeReports(result, dir);
    expect(readEnvelopeResult(files.json)).to.deep.equal(result);
    const page = readFileSync(files.html, "utf8");
    expect(page.match(/<svg\s/g)).to.have.lengthOf(2);
    expect(files.charts.map((f) => f.slice(dir.length + 1))).to.deep.equal([
      "envelope-vertical.svg",
      "envelope-pace.svg",
    ]);
    for (const chart of files.charts) expect(readFileSync(chart, "utf8")).to.match(/^<\?xml[^>]*>\n<svg\s/);
    expect(readFileSync(files.markdown, "utf8")).to.include(
      "| Vertical Port Scan | scanproof | 100 (missed at 99) |",
    );
  });

  it("refuses a file that is not an envelope, naming the file and the place", function () {
    const file = join(mkdtempSync(join(tmpdir(), "scanproof-envelope-")), "bad.json");
    writeFileSync(
      file,
      JSON.stringify({ ...result, dimensions: [{ ...vertical, evasive: "sideways" }] }, null, 2),
    );
    try {
      readEnvelopeResult(file);
      expect.fail("a bad envelope was read");
    } catch (error) {
      expect(error).to.be.instanceOf(InputError);
      expect((error as Error).message)
        .to.include(file)
        .and.to.include("dimensions[0].evasive");
    }
  });
});
