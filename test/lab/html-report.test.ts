import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { projectRoot } from "../../harness/paths.js";
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
