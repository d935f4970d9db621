import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { renderHtml } from "../../harness/report/html.js";
import { renderJson } from "../../harness/report/json.js";
import { renderJunit } from "../../harness/report/junit.js";
import { renderNavigatorLayer } from "../../harness/report/navigator.js";
import { writeReports } from "../../harness/report/write-reports.js";
import type { RunResult } from "../../harness/result.js";
import { fixture } from "./fixture-helpers.js";

describe("writeReports", () => {
  const run = JSON.parse(readFileSync(fixture("results", "coverage-run.json"), "utf8")) as RunResult;
  let parent: string;

  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), "scanproof-reports-"));
  });

  afterEach(() => {
    rmSync(parent, { recursive: true, force: true });
  });

  it("creates the folder and writes the four reports into it", () => {
    const dir = join(parent, "run");
    const { results, junit, navigatorLayer, html } = writeReports(run, dir);
    const paths = [results, junit, navigatorLayer, html];
    expect(paths.map((f) => basename(f))).to.deep.equal([
      "results.json",
      "junit.xml",
      "navigator-layer.json",
      "report.html",
    ]);
    for (const file of paths) expect(readFileSync(join(dir, basename(file)), "utf8")).not.to.equal("");
  });

  it("writes exactly what each renderer returns", () => {
    const files = writeReports(run, parent);
    expect(readFileSync(files.results, "utf8")).to.equal(renderJson(run));
    expect(readFileSync(files.junit, "utf8")).to.equal(renderJunit(run));
    expect(readFileSync(files.navigatorLayer, "utf8")).to.equal(renderNavigatorLayer(run));
    expect(readFileSync(files.html, "utf8")).to.equal(renderHtml(run));
  });
});
