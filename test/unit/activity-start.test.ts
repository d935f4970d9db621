import { expect } from "chai";
import fc from "fast-check";
import { startOfActivity, type EventSlice } from "../../harness/escalation/activity-start.js";

const MIN = 60_000;
const DAY_MS = 86_400_000;
const GAP = 30 * MIN;

/** Events (epoch ms, ascending) cut into slices of half the gap, as the date histogram cuts them. */
function sliced(events: readonly number[], gap = GAP): EventSlice[] {
  const width = Math.ceil(gap / 2);
  const byKey = new Map<number, EventSlice>();
  for (const at of events) {
    const key = Math.floor(at / width) * width;
    const slice = byKey.get(key);
    byKey.set(key, slice ? { first: slice.first, last: at } : { first: at, last: at });
  }
  return [...byKey.values()];
}

/** The same answer worked out directly: the first event after the last silence of the gap. */
function direct(events: readonly number[], gap: number): number | undefined {
  let start = events.at(-1);
  for (let i = events.length - 2; i >= 0; i -= 1) {
    const at = events[i] as number;
    if ((start as number) - at >= gap) break;
    start = at;
  }
  return start;
}

describe("startOfActivity: where the source's current activity began", () => {
  it("is the first event after the last silence of the gap or longer", () => {
    const yesterday = [0, MIN, 2 * MIN];
    const today = [DAY_MS, DAY_MS + 10 * MIN, DAY_MS + 35 * MIN];
    expect(startOfActivity(sliced([...yesterday, ...today]), GAP, 0)).to.equal(DAY_MS);
  });

  it("keeps a paranoid scan's probes, five minutes apart, in one activity", () => {
    const probes = Array.from({ length: 40 }, (_, i) => 5 * MIN * i);
    expect(startOfActivity(sliced(probes), GAP, 0)).to.equal(0);
  });

  it("splits at a silence of exactly the gap, and not at one a millisecond shorter", () => {
    expect(startOfActivity(sliced([0, GAP]), GAP, 0)).to.equal(GAP);
    expect(startOfActivity(sliced([0, GAP - 1]), GAP, 0)).to.equal(0);
  });

  it("reaches back no further than the earliest moment allowed", () => {
    const everyFiveMinutes = Array.from({ length: 1000 }, (_, i) => 5 * MIN * i);
    expect(startOfActivity(sliced(everyFiveMinutes), GAP, 2 * DAY_MS)).to.equal(2 * DAY_MS);
  });

  it("is undefined when the source has no events", () => {
    expect(startOfActivity([], GAP, 0)).to.equal(undefined);
  });

  it("agrees with the event-by-event answer, and every event of the activity leads back to it", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 3 * DAY_MS }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 2, max: 2 * 3_600_000 }),
        (raw, gap) => {
          const events = [...raw].sort((a, b) => a - b);
          const start = direct(events, gap);
          expect(startOfActivity(sliced(events, gap), gap, 0)).to.equal(start);
          for (const end of events.filter((e) => e >= (start as number)))
            expect(
              startOfActivity(
                sliced(
                  events.filter((e) => e <= end),
                  gap,
                ),
                gap,
                0,
              ),
            ).to.equal(start);
        },
      ),
    );
  });
});
