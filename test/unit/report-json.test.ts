import { expect } from "chai";
import { renderJson } from "../../harness/report/json.js";
import type { RunResult } from "../../harness/result.js";
import { loadRunFixture } from "./fixture-helpers.js";

function withKeysReversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withKeysReversed);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, withKeysReversed(v)]),
  );
}

describe("JSON report", () => {
  const real = loadRunFixture("real-run.json");
  const coverage = loadRunFixture("coverage-run.json");

  it("round-trips the run", () => {
    const { schemaVersion, summary, ...rest } = JSON.parse(renderJson(real)) as Record<string, unknown>;
    expect(schemaVersion).to.equal(1);
    expect(summary).to.be.an("object");
    expect(rest).to.deep.equal(real);
  });

  it("puts schemaVersion and summary first", () => {
    const keys = Object.keys(JSON.parse(renderJson(real)) as object);
    expect(keys.slice(0, 2)).to.deep.equal(["schemaVersion", "summary"]);
  });

  it("counts scenarios per verdict and per technique", () => {
    const { summary } = JSON.parse(renderJson(coverage)) as { summary: unknown };
    expect(summary).to.deep.equal({
      overall: "error",
      scenarios: 7,
      byVerdict: { pass: 3, fail: 2, error: 2 },
      byTechnique: {
        T1595: { pass: 1, fail: 1, error: 0 },
        "T1595.001": { pass: 1, fail: 1, error: 0 },
        "T1595.002": { pass: 1, fail: 0, error: 0 },
        "T1595.003": { pass: 0, fail: 0, error: 2 },
      },
    });
  });

  it("writes the same text whatever order the run's keys were built in", () => {
    expect(renderJson(withKeysReversed(coverage) as RunResult)).to.equal(renderJson(coverage));
  });

  it("is pretty-printed and ends with a newline", () => {
    const text = renderJson(real);
    expect(text).to.match(/^\{\n {2}"schemaVersion": 1,\n/);
    expect(text.endsWith("}\n")).to.equal(true);
  });
});
