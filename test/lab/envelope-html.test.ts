import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { projectRoot } from "../../harness/core/paths.js";
import { readEnvelopeResult, writeEnvelopeReports } from "../../harness/report/envelope-files.js";

/** Debian's Chromium, headless, with the flags this sandboxed machine needs. */
function chromium(args: readonly string[]): { stdout: string; status: number | null; stderr: string } {
  const result = spawnSync(
    "chromium",
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      `--user-data-dir=${mkdtempSync(join(tmpdir(), "scanproof-chromium-"))}`,
      ...args,
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  if (result.error) throw new Error(`Chromium could not run (${result.error.message})`);
  return { stdout: result.stdout, status: result.status, stderr: result.stderr };
}

interface Row {
  readonly contender: string;
  readonly detected: readonly { value: number; x: number }[];
  readonly missed: readonly { value: number; x: number }[];
  readonly boundary?: { left: number; right: number };
}

/** Runs in Chromium: where the layout engine put every mark of every envelope chart. */
const MEASURE = `
const charts = [...document.querySelectorAll("figure svg")].map((svg) => ({
  title: svg.querySelector("title").textContent,
  width: svg.getBoundingClientRect().width,
  rows: [...svg.querySelectorAll("g.contender")].map((g) => {
    const centre = (c) => { const b = c.getBoundingClientRect(); return { value: Number(c.dataset.value), x: b.left + b.width / 2 }; };
    const line = g.querySelector("line.boundary");
    const box = line && line.getBoundingClientRect();
    return {
      contender: g.dataset.contender,
      detected: [...g.querySelectorAll("circle.detected")].map(centre),
      missed: [...g.querySelectorAll("circle.missed")].map(centre),
      ...(box ? { boundary: { left: box.left, right: box.right } } : {}),
    };
  }),
}));
const out = document.createElement("pre");
out.id = "chart-check";
out.textContent = JSON.stringify(charts);
document.body.append(out);
`;

describe("Envelope page in real headless Chromium", function () {
  this.timeout(120_000);

  it("draws each contender's recorded points on one chart, detections and misses on either side of its boundary", function () {
    const result = readEnvelopeResult(
      join(projectRoot, "test", "fixtures", "envelope", "vertical-one-rule-psad-scanlogd.json"),
    );
    const files = writeEnvelopeReports(result, mkdtempSync(join(tmpdir(), "scanproof-envelope-page-")));
    const measured = join(mkdtempSync(join(tmpdir(), "scanproof-envelope-measured-")), "envelope.html");
    writeFileSync(
      measured,
      readFileSync(files.html, "utf8").replace("</body>", `<script>${MEASURE}</script></body>`),
    );
    const dom = chromium(["--dump-dom", `file://${measured}`]);
    expect(dom.status, dom.stderr).to.equal(0);
    const json =
      /<pre id="chart-check">([^<]*)<\/pre>/.exec(dom.stdout)?.[1] ??
      expect.fail("the measuring script did not run");
    const charts = JSON.parse(json.replace(/&quot;/g, '"').replace(/&amp;/g, "&")) as {
      title: string;
      width: number;
      rows: Row[];
    }[];
    expect(charts).to.have.lengthOf(result.dimensions.length);
    const [chart] = charts;
    const [dimension] = result.dimensions;
    if (!chart || !dimension) return expect.fail("no chart");
    expect(chart.width).to.be.greaterThan(400);
    expect(chart.rows.map((r) => r.contender)).to.deep.equal(result.contenders.map((c) => c.id));
    for (const row of chart.rows) {
      const recorded = dimension.points.map((p) => p.detected[row.contender]);
      expect(row.detected.length + row.missed.length, row.contender).to.equal(dimension.points.length);
      expect(row.detected.length, row.contender).to.equal(recorded.filter(Boolean).length);
      // Fewer ports is more evasive and drawn to the left: every miss left of every detection.
      const rightmostMiss = Math.max(...row.missed.map((m) => m.x));
      const leftmostHit = Math.min(...row.detected.map((d) => d.x));
      expect(rightmostMiss, row.contender).to.be.below(leftmostHit);
      const boundary = row.boundary ?? expect.fail(`${row.contender}: no boundary drawn`);
      expect(boundary.left, row.contender).to.be.closeTo(rightmostMiss, 6);
      expect(boundary.right, row.contender).to.be.closeTo(leftmostHit, 6);
    }
  });
});
