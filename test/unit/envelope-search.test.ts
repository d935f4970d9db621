import { expect } from "chai";
import { isMonotone, searchBoundaries } from "../../harness/envelope/bisect.js";
import { delays, dimensionPlan } from "../../harness/envelope/dimensions.js";
import {
  executionMoments,
  pointFilter,
  pointScopeKey,
  pointWindow,
  windowsOverlap,
} from "../../harness/envelope/point-window.js";

/** A search over `count` values whose outcome per contender is `outcome(contender, index)`, recording each call. */
async function search(
  count: number,
  outcomes: Record<string, (index: number) => boolean>,
  maxPoints?: number,
) {
  const calls: number[] = [];
  const result = await searchBoundaries({
    count,
    contenders: Object.keys(outcomes),
    ...(maxPoints === undefined ? {} : { maxPoints }),
    measure: (index) => {
      calls.push(index);
      const detected = Object.fromEntries(Object.entries(outcomes).map(([c, f]) => [c, f(index)]));
      return Promise.resolve({ point: { index }, detected });
    },
  });
  return { ...result, calls };
}

describe("envelope bisection", function () {
  it("brackets a monotone boundary with two neighbouring measured points, in about log2(n) points", async function () {
    for (const boundary of [1, 2, 57, 150, 298]) {
      const { brackets, measured } = await search(300, { rule: (i) => i < boundary });
      expect(brackets[0], `boundary ${boundary}`).to.deep.equal({
        contender: "rule",
        lastDetected: boundary - 1,
        firstMissed: boundary,
        monotone: true,
      });
      expect(measured.length, `boundary ${boundary}`).to.be.at.most(Math.ceil(Math.log2(300)) + 2);
    }
  });

  it("records every point it measured, each once, with every contender's outcome", async function () {
    const { measured, calls } = await search(100, { a: (i) => i < 30, b: (i) => i < 70 });
    expect(measured.map((m) => m.index)).to.deep.equal(calls);
    expect(new Set(calls).size).to.equal(calls.length);
    for (const m of measured) expect(Object.keys(m.detected)).to.have.members(["a", "b"]);
  });

  it("finds every contender's boundary from points shared between them", async function () {
    const { brackets } = await search(200, { a: (i) => i < 30, b: (i) => i < 170, c: (i) => i < 31 });
    expect(brackets.map((b) => [b.contender, b.lastDetected, b.firstMissed])).to.deep.equal([
      ["a", 29, 30],
      ["b", 169, 170],
      ["c", 30, 31],
    ]);
  });

  it("says so when a contender detects everywhere, or nowhere, after measuring only the two ends", async function () {
    const { brackets, measured } = await search(64, { always: () => true, never: () => false });
    expect(measured.map((m) => m.index)).to.deep.equal([0, 63]);
    expect(brackets).to.deep.equal([
      { contender: "always", lastDetected: 63, monotone: true },
      { contender: "never", firstMissed: 0, monotone: true },
    ]);
  });

  it("marks a bracket that measured points contradict as not monotone, and still ends on neighbours", async function () {
    // a misses 30..45 but detects again up to 79; b's search measures inside a's gap.
    const a = (i: number) => i < 80 && !(i >= 30 && i <= 45);
    const { brackets, measured } = await search(100, { a, b: (i) => i < 35 });
    const [bracketA, bracketB] = brackets;
    expect(measured.some((m) => m.index >= 30 && m.index <= 45)).to.equal(true);
    expect(bracketA?.monotone).to.equal(false);
    expect((bracketA?.firstMissed ?? 0) - (bracketA?.lastDetected ?? 0)).to.equal(1);
    expect(a(bracketA?.lastDetected ?? -1)).to.equal(true);
    expect(a(bracketA?.firstMissed ?? -1)).to.equal(false);
    expect(bracketB).to.deep.equal({ contender: "b", lastDetected: 34, firstMissed: 35, monotone: true });
  });

  it("stops at maxPoints with the bracket it has, wider than two neighbours", async function () {
    const { brackets, measured } = await search(1000, { rule: (i) => i < 500 }, 4);
    expect(measured).to.have.lengthOf(4);
    const [b] = brackets;
    expect((b?.firstMissed ?? 0) - (b?.lastDetected ?? 0)).to.be.greaterThan(1);
    expect(b?.lastDetected).to.be.below(500);
    expect(b?.firstMissed).to.be.at.least(500);
  });

  it("refuses fewer than two values and a point without every contender's outcome", async function () {
    await searchBoundaries({
      count: 1,
      contenders: ["a"],
      measure: () => Promise.reject(new Error("no")),
    }).then(
      () => expect.fail("a one-value search was accepted"),
      (e: unknown) => expect((e as Error).message).to.match(/at least two values/),
    );
    await searchBoundaries({
      count: 10,
      contenders: ["a", "b"],
      measure: () => Promise.resolve({ point: 0, detected: { a: true } }),
    }).then(
      () => expect.fail("a point without b's outcome was accepted"),
      (e: unknown) => expect((e as Error).message).to.match(/no outcome for b/),
    );
  });

  it("tells monotone outcome sequences from others", function () {
    expect(isMonotone([true, true, false, false])).to.equal(true);
    expect(isMonotone([false, false])).to.equal(true);
    expect(isMonotone([true, false, true])).to.equal(false);
    expect(isMonotone([false, true])).to.equal(false);
  });
});

describe("envelope point isolation", function () {
  const rule = { lookbackMs: 9 * 60_000, endOffsetMs: 0, intervalMs: 5 * 60_000 };

  it("confines a point to its scan's own time, with slack either side, and points apart never overlap", function () {
    const a = pointWindow("2026-12-06T10:00:00.000Z", "2026-12-06T10:00:05.000Z");
    const b = pointWindow("2026-12-06T10:00:09.000Z", "2026-12-06T10:00:12.000Z");
    expect(a.start.toISOString()).to.equal("2026-12-06T09:59:59.000Z");
    expect(a.end.toISOString()).to.equal("2026-12-06T10:00:06.000Z");
    expect(windowsOverlap(a, b)).to.equal(false);
    expect(windowsOverlap(a, pointWindow("2026-12-06T10:00:06.500Z", "2026-12-06T10:00:08.000Z"))).to.equal(
      true,
    );
    expect(pointFilter(a)).to.deep.equal({
      range: { "@timestamp": { gte: "2026-12-06T09:59:59.000Z", lte: "2026-12-06T10:00:06.000Z" } },
    });
  });

  it("gives every point of every dimension and rule set its own alert scope", function () {
    const keys = ["vertical", "horizontal"].flatMap((d) =>
      [0, 1, 2].map((i) => pointScopeKey("envelope-1", `${d}/scanproof`, i)),
    );
    expect(new Set(keys).size).to.equal(keys.length);
  });

  it("runs a rule once, just after the point, when the point fits its look-back", function () {
    const w = pointWindow("2026-12-06T10:00:00.000Z", "2026-12-06T10:00:30.000Z");
    const moments = executionMoments(rule, w);
    expect(moments.map((m) => m.toISOString())).to.deep.equal([w.end.toISOString()]);
    expect((moments[0]?.getTime() ?? 0) - rule.lookbackMs).to.be.below(w.start.getTime());
  });

  it("runs a rule last once the point is searchable, for rules that read the time of indexing", function () {
    const w = pointWindow("2026-12-06T10:00:00.000Z", "2026-12-06T10:00:30.000Z");
    const searchable = new Date("2026-12-06T10:00:40.000Z");
    const moments = executionMoments(rule, w, searchable);
    expect(moments.map((m) => m.toISOString())).to.deep.equal([searchable.toISOString()]);
    // Never before the window reaches the point's end, however early the events were searchable.
    expect(executionMoments(rule, w, new Date("2026-12-06T09:00:00Z"))).to.deep.equal([w.end]);
  });

  it("runs a rule at every interval whose window reaches into a point longer than its look-back, oldest first", function () {
    const w = { start: new Date("2026-12-06T10:00:00Z"), end: new Date("2026-12-06T10:20:00Z") };
    const moments = executionMoments({ ...rule, endOffsetMs: 30_000 }, w).map((m) => m.getTime());
    expect(moments).to.have.lengthOf(5);
    expect(moments.at(-1)).to.equal(w.end.getTime() + 30_000);
    const gaps = moments.slice(1).map((m, i) => m - (moments[i] ?? 0));
    expect(new Set(gaps)).to.deep.equal(new Set([rule.intervalMs]));
    // The first window still reaches the point; one interval earlier would not.
    const first = moments[0] ?? 0;
    expect(first - 30_000).to.be.at.least(w.start.getTime());
    expect(first - rule.intervalMs - 30_000).to.be.below(w.start.getTime());
  });
});

describe("envelope dimensions", function () {
  it("searches sizes from the most to the fewest, and paces from none to the slowest", function () {
    const vertical = dimensionPlan("vertical", "10.20.0.10");
    expect(vertical.values[0]).to.equal(300);
    expect(vertical.values.at(-1)).to.equal(1);
    expect(vertical.step(57).args.join(" ")).to.include("-p 1-57");
    const horizontal = dimensionPlan("horizontal", "10.20.0.10");
    expect(horizontal.step(20).target).to.equal("10.20.0.2-21");
    const pace = dimensionPlan("pace", "10.20.0.10");
    expect(pace.values[0]).to.equal(0);
    expect(pace.values.at(-1)).to.equal(1500);
    expect(pace.step(250).args.slice(-2)).to.deep.equal(["--scan-delay", "250ms"]);
  });

  it("keeps delays strictly increasing and ends on the maximum asked for", function () {
    for (const max of [25, 90, 1000, 1500, 7000]) {
      const d = delays(max);
      expect(d.at(-1)).to.equal(max);
      expect(d).to.deep.equal([...new Set(d)].sort((a, b) => a - b));
    }
  });

  it("refuses limits outside what the lab can scan", function () {
    expect(() =>
      dimensionPlan("horizontal", "x", { maxPorts: 10, maxTargets: 400, maxDelayMs: 100, pacePorts: 10 }),
    ).to.throw(/--max-targets: expected 2 to 252/);
    expect(() =>
      dimensionPlan("vertical", "x", { maxPorts: 70_000, maxTargets: 10, maxDelayMs: 100, pacePorts: 10 }),
    ).to.throw(/--max-ports/);
  });
});
