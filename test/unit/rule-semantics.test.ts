import { expect } from "chai";
import {
  distinctCounts,
  meetsThreshold,
  newTermsHistory,
} from "../../harness/detection/rules/rule-semantics.js";
import type { NewTermsRule, ThresholdRule } from "../../harness/detection/rules/rule.js";

describe("rule semantics both engines share", () => {
  const rule = (value: number, cardinality: { field: string; value: number }[]) =>
    ({ threshold: { fields: ["source.ip"], value, cardinality } }) as unknown as ThresholdRule;

  it("alerts a group at exactly the count and every distinct-value clause, and not one below either", () => {
    const r = rule(3, [
      { field: "destination.port", value: 10 },
      { field: "destination.ip", value: 2 },
    ]);
    const counts = (ports: number, hosts: number) =>
      distinctCounts(r, (f) => (f === "destination.port" ? ports : hosts));
    expect(counts(10, 2)).to.deep.equal([
      { field: "destination.port", values: 10 },
      { field: "destination.ip", values: 2 },
    ]);
    expect(meetsThreshold(r, 3, counts(10, 2))).to.equal(true);
    expect(meetsThreshold(r, 2, counts(10, 2))).to.equal(false);
    expect(meetsThreshold(r, 3, counts(9, 2))).to.equal(false);
    expect(meetsThreshold(r, 3, counts(10, 1))).to.equal(false);
    expect(meetsThreshold(rule(1, []), 1, [])).to.equal(true);
  });

  it("compares new terms with the history from history_window_start before the window's end to its start", () => {
    const r = {
      newTerms: { fields: ["source.ip"], historyWindowMs: 7 * 86_400_000 },
    } as unknown as NewTermsRule;
    const window = { gte: new Date("2026-11-28T12:51:00Z"), lte: new Date("2026-11-28T13:00:00Z") };
    expect(newTermsHistory(r, window)).to.deep.equal({
      from: new Date("2026-11-21T13:00:00Z"),
      before: new Date("2026-11-28T12:51:00Z"),
    });
  });
});
