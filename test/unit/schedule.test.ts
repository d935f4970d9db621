import { expect } from "chai";
import { planExecution, nextStart, MAX_CATCHUP_INTERVALS } from "../../harness/detection/rules/schedule.js";
import { schedule, type Clock } from "../../harness/detection/live/scheduler.js";
import type { Rule } from "../../harness/detection/rules/rule.js";

const MINUTE = 60_000;
const T0 = new Date("2026-11-28T13:00:00.000Z");
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * MINUTE);
const iso = (w: { gte: Date; lte: Date }): [string, string] => [w.gte.toISOString(), w.lte.toISOString()];
/** Elastic's prebuilt network rules: from now-9m, every 5 minutes. */
const ELASTIC = { lookbackMs: 9 * MINUTE, endOffsetMs: 0, intervalMs: 5 * MINUTE };

describe("planExecution (Kibana's rule range tuples)", () => {
  it("searches from-to before the start of a first execution", () => {
    const plan = planExecution(ELASTIC, at(10));
    expect(plan.windows.map(iso)).to.deep.equal([[at(1).toISOString(), at(10).toISOString()]]);
    expect(plan.uncoveredMs).to.equal(0);
  });

  it("ends the window `to` before the start", () => {
    const plan = planExecution({ ...ELASTIC, endOffsetMs: MINUTE }, at(10));
    expect(plan.windows.map(iso)).to.deep.equal([[at(1).toISOString(), at(9).toISOString()]]);
  });

  it("overlaps the previous window by from minus interval when executions are on time", () => {
    const first = planExecution(ELASTIC, at(10));
    const second = planExecution(ELASTIC, at(15), at(10));
    expect(second.windows).to.have.lengthOf(1);
    expect(second.windows[0]?.gte.getTime()).to.be.below(first.windows[0]?.lte.getTime() ?? 0);
    expect((first.windows[0]?.lte.getTime() ?? 0) - (second.windows[0]?.gte.getTime() ?? 0)).to.equal(
      4 * MINUTE,
    );
  });

  it("adds no catch-up window for a late execution the look-back still covers", () => {
    expect(planExecution(ELASTIC, at(19), at(10)).windows).to.have.lengthOf(1);
  });

  it("adds one earlier window per missed interval, each one interval further back, oldest first", () => {
    // 12 minutes since the previous start, 9 covered: a 3-minute gap needs one extra interval.
    const plan = planExecution(ELASTIC, at(22), at(10));
    expect(plan.windows.map(iso)).to.deep.equal([
      [at(8).toISOString(), at(17).toISOString()],
      [at(13).toISOString(), at(22).toISOString()],
    ]);
    expect(plan.uncoveredMs).to.equal(0);
  });

  it(`catches up at most ${MAX_CATCHUP_INTERVALS} intervals and reports what stays uncovered`, () => {
    // 60 minutes since the previous start: gap 51 min, 4 × 5 min caught up, 31 min uncovered.
    const plan = planExecution(ELASTIC, at(70), at(10));
    expect(plan.windows).to.have.lengthOf(MAX_CATCHUP_INTERVALS + 1);
    expect(plan.windows[0]?.gte.toISOString()).to.equal(at(70 - 9 - 20).toISOString());
    expect(plan.uncoveredMs).to.equal(31 * MINUTE);
  });

  it("measures the gap against the window's length, from minus to", () => {
    // Window now-9m..now-1m is 8 minutes long: 9 minutes since the previous start leave 1 uncovered.
    const offset = { ...ELASTIC, endOffsetMs: MINUTE };
    expect(planExecution(offset, at(19), at(10)).windows.map(iso)).to.deep.equal([
      [at(5).toISOString(), at(13).toISOString()],
      [at(10).toISOString(), at(18).toISOString()],
    ]);
    expect(planExecution(offset, at(18), at(10)).windows).to.have.lengthOf(1);
  });

  it("searches one window when an execution follows the previous one sooner than the interval", () => {
    const plan = planExecution(ELASTIC, at(12), at(10));
    expect(plan.windows.map(iso)).to.deep.equal([[at(3).toISOString(), at(12).toISOString()]]);
    expect(plan.uncoveredMs).to.equal(0);
  });

  it("catches nothing up for a rule without an interval, and says what it leaves uncovered", () => {
    const plan = planExecution({ ...ELASTIC, intervalMs: 0 }, at(30), at(10));
    expect(plan.windows).to.have.lengthOf(1);
    expect(plan.uncoveredMs).to.equal(11 * MINUTE);
  });
});

describe("nextStart", () => {
  it("is one interval after the previous start", () => {
    expect(nextStart(5 * MINUTE, at(0), at(1)).toISOString()).to.equal(at(5).toISOString());
  });

  it("is the end of an execution that took longer than the interval", () => {
    expect(nextStart(5 * MINUTE, at(0), at(7)).toISOString()).to.equal(at(7).toISOString());
  });
});

/** A clock that only moves when the test moves it. */
class FakeClock implements Clock {
  private current = T0.getTime();
  private waiters: { at: number; resolve: () => void }[] = [];

  now(): Date {
    return new Date(this.current);
  }

  waitUntil(until: Date, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted || until.getTime() <= this.current) {
        resolve();
        return;
      }
      const done = (): void => {
        signal.removeEventListener("abort", done);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      };
      const waiter = { at: until.getTime(), resolve: done };
      this.waiters.push(waiter);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Moves time forward step by step, letting every due waiter and its follow-up work run. */
  async advance(ms: number, step = 1000): Promise<void> {
    const end = this.current + ms;
    while (this.current < end) {
      this.current = Math.min(this.current + step, end);
      const due = this.waiters.filter((w) => w.at <= this.current);
      this.waiters = this.waiters.filter((w) => w.at > this.current);
      for (const w of due) w.resolve();
      await settle();
    }
  }

  set(ms: number): void {
    this.current += ms;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

const rule = (name: string, intervalMs: number): Rule => ({ name, intervalMs }) as unknown as Rule;

describe("schedule (the scheduled mode's timing)", () => {
  it("runs every rule at once, then one interval after each previous start", async () => {
    const clock = new FakeClock();
    const runs: [string, number, number | undefined][] = [];
    const minutes = (d: Date | undefined): number | undefined =>
      d === undefined ? undefined : (d.getTime() - T0.getTime()) / MINUTE;
    const scheduler = schedule(
      [rule("five", 5 * MINUTE), rule("one", MINUTE)],
      (r, startedAt, previous) => {
        runs.push([r.name, minutes(startedAt) ?? -1, minutes(previous)]);
        return Promise.resolve();
      },
      clock,
    );
    await settle();
    await clock.advance(11 * MINUTE);
    await scheduler.stop();
    expect(runs.filter(([n]) => n === "five")).to.deep.equal([
      ["five", 0, undefined],
      ["five", 5, 0],
      ["five", 10, 5],
    ]);
    expect(runs.filter(([n]) => n === "one").map(([, s]) => s)).to.deep.equal([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ]);
  });

  it("never overlaps executions of one rule: a slow one delays the next", async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    let running = 0;
    let overlapped = false;
    const scheduler = schedule(
      [rule("slow", MINUTE)],
      async (_r, startedAt) => {
        starts.push((startedAt.getTime() - T0.getTime()) / 1000);
        running++;
        overlapped ||= running > 1;
        await clock.waitUntil(new Date(startedAt.getTime() + 90_000), new AbortController().signal);
        running--;
      },
      clock,
    );
    await settle();
    await clock.advance(5 * MINUTE);
    expect(overlapped).to.equal(false);
    expect(starts).to.deep.equal([0, 90, 180, 270]);
    const stopped = scheduler.stop();
    await clock.advance(MINUTE);
    await stopped;
    expect(starts).to.have.lengthOf(4);
  });

  it("stops: no execution starts after stop(), and stop() waits for the one under way", async () => {
    const clock = new FakeClock();
    let finished = 0;
    let started = 0;
    const scheduler = schedule(
      [rule("r", MINUTE)],
      async (_r, startedAt) => {
        started++;
        await clock.waitUntil(new Date(startedAt.getTime() + 10_000), new AbortController().signal);
        finished++;
      },
      clock,
    );
    await settle();
    const stopped = scheduler.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await settle();
    expect(done, "stop() resolved while an execution was under way").to.equal(false);
    await clock.advance(10_000);
    await stopped;
    await clock.advance(5 * MINUTE);
    expect([started, finished]).to.deep.equal([1, 1]);
  });

  it("tells each execution when the previous one started, so missed intervals are caught up", async () => {
    const clock = new FakeClock();
    const seen: [number, number | undefined][] = [];
    const scheduler = schedule(
      [rule("r", 5 * MINUTE)],
      (_r, startedAt, previous) => {
        seen.push([startedAt.getTime(), previous?.getTime()]);
        // The machine slept through two intervals after the first execution.
        if (seen.length === 1) clock.set(12 * MINUTE);
        return Promise.resolve();
      },
      clock,
    );
    await settle();
    await clock.advance(MINUTE);
    await scheduler.stop();
    expect(seen[1]).to.deep.equal([T0.getTime() + 12 * MINUTE, T0.getTime()]);
    const plan = planExecution(ELASTIC, new Date(seen[1]?.[0] ?? 0), new Date(seen[1]?.[1] ?? 0));
    expect(plan.windows).to.have.lengthOf(2);
  });
});
