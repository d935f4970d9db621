import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { renderHtml } from "../../harness/report/html.js";
import { escalatedAlerts, incidentFiles, safeFileName } from "../../harness/report/incident.js";
import { writeReports } from "../../harness/report/write-reports.js";
import type { RunResult } from "../../harness/result.js";
import { loadRunFixture } from "./fixture-helpers.js";

const HOSTILE_IDS = [
  "../../x",
  "../../../../../../tmp/scanproof-escape",
  "/etc/passwd",
  "..",
  ".",
  "",
  "a\0b",
  "a/b\\c",
  "..\\..\\windows",
  "C:\\Windows\\evil",
  "CON",
  "nul.txt",
  ".hidden",
  "~",
  "x".repeat(5000),
  "é/../ü",
  "a\nb",
];

/** One copy of an escalated scenario per hostile id, its alerts named by the ids that follow. */
function withIds(ids: readonly string[]): RunResult {
  const run = loadRunFixture("escalated-run.json");
  const scenario = run.scenarios.find((s) => s.alerts.some((a) => a.tier === "tier2"));
  if (!scenario) return expect.fail("the fixture has no Tier 2 alert");
  return {
    ...run,
    scenarios: ids.map((id, i) => ({
      ...scenario,
      id,
      alerts: scenario.alerts.map((a, j) => ({ ...a, id: ids[(i + j + 1) % ids.length] ?? "" })),
    })),
  };
}

function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) =>
    statSync(join(dir, f)).isFile(),
  );
}

describe("incident report file names", () => {
  let parent: string;

  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), "scanproof-incident-paths-"));
  });

  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it("keeps a plain id as it is", () => {
    for (const id of ["8f58a44eab884bc2c27f7487191dc75c", "contain-and-rescan", "nmap_syn.top-1000", "A1"])
      expect(safeFileName(id)).to.equal(id);
  });

  it("gives a hostile id a name with no separator, no dot-dot and a bounded length", () => {
    for (const id of HOSTILE_IDS) {
      const name = safeFileName(id);
      expect(name, JSON.stringify(id)).to.match(/^[A-Za-z0-9][A-Za-z0-9._-]*(~[0-9a-f]{12})?$/);
      expect(name).to.not.include("..");
      expect(name.length).to.be.at.most(100);
      expect(name).to.not.equal(id);
    }
  });

  it("never gives two ids the same name, nor any id a path (fast-check)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), fc.string({ maxLength: 300 }), (a, b) => {
        for (const id of [a, b]) {
          const name = safeFileName(id);
          expect(name).to.match(/^[A-Za-z0-9._~-]{1,100}$/);
          expect(name).to.not.match(/^\.|\.\./);
        }
        if (a !== b) expect(safeFileName(a)).to.not.equal(safeFileName(b));
      }),
      { numRuns: 2000 },
    );
  });

  it("writes every incident report of hostile ids under the output folder, and nothing elsewhere", () => {
    const out = join(parent, "reports");
    const run = withIds(HOSTILE_IDS);
    const files = writeReports(run, out);
    expect(files.incidents).to.have.lengthOf(escalatedAlerts(run).length * 2);
    for (const file of [...files.incidents, files.html, files.results]) {
      const rel = relative(out, file);
      expect(rel.startsWith(`..${sep}`) || rel === "..", file).to.equal(false);
      expect(readFileSync(file, "utf8")).to.not.equal("");
    }
    expect(readdirSync(parent)).to.deep.equal(["reports"]);
    expect(
      filesBelow(out)
        .filter((f) => f.startsWith(`incidents${sep}`))
        .sort(),
    ).to.deep.equal(files.incidents.map((f) => relative(out, f)).sort());
  });

  it("links the HTML report to the files it writes", () => {
    const out = join(parent, "reports");
    const run = withIds(HOSTILE_IDS);
    writeReports(run, out);
    const page = renderHtml(run);
    for (const { scenario, alert } of escalatedAlerts(run)) {
      const { md, json } = incidentFiles(scenario.id, alert.id);
      expect(page).to.include(`<a href="${md}">Incident report</a> (<a href="${json}">JSON</a>)`);
      expect(statSync(join(out, md)).isFile()).to.equal(true);
    }
  });
});
