import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot, scenariosDir } from "../../harness/core/paths.js";
import { loadScenario } from "../../harness/scenario/load.js";

/**
 * The README's benchmark figures are copies of committed results: each must say what the results
 * file says, so an edited figure or a rerun left out of the README fails here.
 */

const README = readFileSync(join(projectRoot, "README.md"), "utf8");
const results = (file: string) => readFileSync(join(projectRoot, "bench", "results", file), "utf8");

/** The rows of every Markdown table whose header starts with `first`, in order, cells trimmed. */
function tables(markdown: string, first: string): string[][][] {
  const found: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of markdown.split("\n")) {
    const cells = line.startsWith("|")
      ? line
          .split("|")
          .slice(1, -1)
          .map((c) => c.trim())
      : undefined;
    if (cells?.[0] === first) found.push((current = []));
    else if (!cells) current = undefined;
    else if (current && !/^-+:?$/.test(cells[0] ?? "")) current.push(cells);
  }
  return found;
}

/** The README's text from a heading to the next heading of any level. */
function section(heading: string): string {
  const start = README.indexOf(heading);
  expect(start, heading).to.be.greaterThan(-1);
  const next = README.slice(start + heading.length).search(/\n#{2,4} /);
  return README.slice(start, next < 0 ? undefined : start + heading.length + next);
}

describe("README figures match the committed results", () => {
  it("states the detection matrix's summaries as bench/results/matrix.md has them", () => {
    const committed = tables(results("matrix.md"), "Contender");
    const written = tables(section("### Detection matrix"), "Contender");
    expect(committed).to.have.lengthOf(2);
    expect(written).to.deep.equal(committed);
  });

  it("states the Elastic rules' outcome counts as bench/results/elastic-rules.md has them", () => {
    const counts = /\*\*(\d+ rule files: \d+ fired, \d+ silent, \d+ cannot apply, \d+ skipped\.)\*\*/.exec(
      results("elastic-rules.md"),
    )?.[1];
    expect(counts, "the committed table's count line").to.be.a("string");
    expect(section("## Detection engine").replace(/\s+/g, " ")).to.include(counts);
    expect(section("## Bring your own rules").replace(/\s+/g, " ")).to.include(counts);
  });

  it("states the mutation scores per area as the committed run measured them", () => {
    const run = JSON.parse(results("mutation-2026-12-02.json")) as {
      areas: { area: string; score: number; coveredScore: number; survived: number; noCoverage: number }[];
      total: { score: number; coveredScore: number; mutants: number };
      goals: { goal: string; met: boolean; detail: string }[];
    };
    const text = section("### Mutation testing");
    const [rows] = tables(text, "Area");
    expect(rows).to.deep.equal(
      run.areas.map((a) => [
        a.area,
        `${a.score.toFixed(2)} %`,
        `${a.coveredScore.toFixed(2)} %`,
        String(a.survived),
        String(a.noCoverage),
      ]),
    );
    const oneLine = text.replace(/\s+/g, " ");
    expect(oneLine).to.include(
      `scored ${run.total.score.toFixed(2)} % over all ${run.total.mutants.toLocaleString("en")} mutants`,
    );
    expect(oneLine).to.include(`${run.total.coveredScore.toFixed(2)} % over those the unit tests reach`);
    const killed = (goal: string) => {
      const found = run.goals.find((g) => g.goal.startsWith(goal));
      const counts = /(\d+) of (\d+) killed/.exec(found?.detail ?? "");
      return `${found?.met ? "met" : "missed"} (${counts?.[1] ?? "?"} of ${counts?.[2] ?? "?"}`;
    };
    expect(oneLine).to.include(`history window was ${killed("new terms history window")}`);
    expect(oneLine).to.include(`Elasticsearch path ${killed("threshold comparison")}`);
  });
});

describe("README's escalation table names the scenarios that prove each row", () => {
  const [rows] = tables(section("## Escalation"), 'Condition (the playbook\'s "Decision for Escalation")');

  it("names at least one scenario for every row", () => {
    expect(rows).to.have.length.greaterThan(10);
    for (const row of rows ?? []) expect(row[5], row[0]).to.match(/`[a-z0-9-]+`/);
  });

  it("names only scenarios whose expectations give the row's reason (or, with none, L1)", () => {
    for (const row of rows ?? []) {
      const code = (row[4] ?? "").replaceAll("`", "");
      for (const [, id] of (row[5] ?? "").matchAll(/`([a-z0-9-]+)`/g)) {
        const scenario = loadScenario(join(scenariosDir, `${id ?? ""}.yaml`));
        const proves = scenario.expect.alerts.some((a) =>
          code === "—" ? a.tier === "l1" && a.reasons.length === 0 : a.reasons.includes(code),
        );
        expect(proves, `${id ?? ""} for ${row[0] ?? ""}`).to.equal(true);
      }
    }
  });
});
