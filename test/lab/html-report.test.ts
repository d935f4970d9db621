import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { projectRoot } from "../../harness/core/paths.js";
import { readRunResult, writeReports } from "../../harness/report/write-reports.js";

/** Debian's Chromium, headless, with the flags this sandboxed machine needs and JavaScript on. */
function chromium(args: readonly string[]): { stdout: string; status: number | null; stderr: string } {
  const result = spawnSync(
    "chromium",
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${mkdtempSync(join(tmpdir(), "scanproof-chromium-"))}`,
      ...args,
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  if (result.error)
    throw new Error(
      `Chromium could not run (${result.error.message}): npm test installs Debian's chromium package.`,
    );
  return { stdout: result.stdout, status: result.status, stderr: result.stderr };
}

interface Chart {
  readonly title: string;
  readonly width: number;
  readonly bars: readonly { readonly right: number; readonly width: number }[];
  readonly circles: readonly { readonly x: number }[];
  readonly diamonds: readonly { readonly x: number; readonly tier: string }[];
  readonly stepsEnded: number;
  readonly ticks: number;
}

/** Runs in Chromium: the rendered position of every mark of every timeline, from the layout engine. */
const MEASURE_CHARTS = `
const charts = [...document.querySelectorAll("figure svg")].map((svg) => {
  const box = (e) => e.getBoundingClientRect();
  const diamonds = [...svg.querySelectorAll("path")].map((p) => ({
    x: box(p).left + box(p).width / 2,
    tier: p.nextElementSibling ? p.nextElementSibling.textContent : "",
  }));
  const dashed = svg.querySelector("line[stroke-dasharray]");
  return {
    title: svg.querySelector("title").textContent,
    width: box(svg).width,
    bars: [...svg.querySelectorAll("rect")].map((r) => ({ right: box(r).right, width: box(r).width })),
    circles: [...svg.querySelectorAll("circle")].map((c) => ({ x: box(c).left + box(c).width / 2 })),
    diamonds,
    stepsEnded: box(dashed).left,
    ticks: [...svg.querySelectorAll("text[text-anchor=middle]")].length - 1,
  };
});
const out = document.createElement("pre");
out.id = "chart-check";
out.textContent = JSON.stringify(charts);
document.body.append(out);
`;

describe("HTML report in real headless Chromium", function () {
  const reports = (fixture: string) => {
    const run = readRunResult(join(projectRoot, "test", "fixtures", "results", fixture));
    return { run, files: writeReports(run, mkdtempSync(join(tmpdir(), "scanproof-report-"))) };
  };

  it("renders every scenario with its verdict and a timeline", function () {
    const { run, files } = reports("real-run.json");
    const dom = chromium(["--dump-dom", `file://${files.html}`]);
    expect(dom.status).to.equal(0);
    for (const s of run.scenarios) expect(dom.stdout).to.include(s.id);
    expect(dom.stdout).to.match(/<svg[^>]*>/);
    expect(dom.stdout).to.include(run.runId);
  });

  it("draws each scenario's timeline in order: probes sent, then each source searchable, then the alert and its tier", function () {
    const { run, files } = reports("real-run.json");
    // The report has no scripts; a copy gets one that measures the laid-out chart and writes what it found.
    const measured = join(mkdtempSync(join(tmpdir(), "scanproof-measured-")), "report.html");
    writeFileSync(
      measured,
      readFileSync(files.html, "utf8").replace("</body>", `<script>${MEASURE_CHARTS}</script></body>`),
    );
    const dom = chromium(["--dump-dom", `file://${measured}`]);
    expect(dom.status, dom.stderr).to.equal(0);
    const json =
      /<pre id="chart-check">([^<]*)<\/pre>/.exec(dom.stdout)?.[1] ??
      expect.fail("the measuring script did not run");
    const charts = JSON.parse(json.replace(/&quot;/g, '"').replace(/&amp;/g, "&")) as Chart[];
    const withSteps = run.scenarios.filter((s) => s.groundTruth.length > 0);
    expect(charts.map((c) => c.title)).to.deep.equal(withSteps.map((s) => `Timeline of ${s.id}`));
    for (const [i, chart] of charts.entries()) {
      const scenario = withSteps[i] ?? expect.fail("more charts than scenarios with steps");
      expect(chart.width, chart.title).to.be.greaterThan(400);
      expect(chart.bars, chart.title).to.have.lengthOf(scenario.groundTruth.length);
      expect(chart.circles, chart.title).to.have.lengthOf(scenario.logs.length);
      expect(
        chart.diamonds.map((d) => d.tier),
        chart.title,
      ).to.deep.equal(scenario.alerts.map((a) => a.tier));
      const barsEnd = Math.max(...chart.bars.map((b) => b.right));
      for (const bar of chart.bars) expect(bar.width, chart.title).to.be.greaterThan(0);
      for (const circle of chart.circles) expect(circle.x, chart.title).to.be.at.least(barsEnd - 1);
      for (const diamond of chart.diamonds) expect(diamond.x, chart.title).to.be.at.least(barsEnd - 1);
      expect(chart.stepsEnded, chart.title).to.be.closeTo(barsEnd, 1);
      expect(chart.ticks, chart.title).to.be.at.least(2);
    }
    const alerted = charts.find((c) => c.diamonds.length > 0) ?? expect.fail("no alert in any chart");
    expect(alerted.diamonds[0]?.tier).to.equal("tier2");
  });

  it("shows attacker-controlled strings as text: no injected script runs", function () {
    const { files } = reports("hostile-run.json");
    const html = readFileSync(files.html, "utf8");
    const dom = chromium(["--dump-dom", `file://${files.html}`]);
    expect(dom.status).to.equal(0);
    const title = /<title>([^<]*)<\/title>/.exec(dom.stdout)?.[1];
    expect(title).to.equal(/<title>([^<]*)<\/title>/.exec(html)?.[1]);
    expect(dom.stdout).to.include("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(dom.stdout).not.to.match(/<script>alert/);
  });

  it("produces a screenshot a person can look at", function () {
    const { files } = reports("real-run.json");
    const png = join(mkdtempSync(join(tmpdir(), "scanproof-shot-")), "report.png");
    const shot = chromium(["--window-size=1280,2000", `--screenshot=${png}`, `file://${files.html}`]);
    expect(shot.status).to.equal(0);
    expect(statSync(png).size).to.be.greaterThan(20_000);
  });
});
