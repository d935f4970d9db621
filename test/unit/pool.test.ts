import { expect } from "chai";
import { inPool } from "../../harness/core/pool.js";

describe("inPool", () => {
  it("never runs more than the limit at once, and keeps the items' order in the results", async () => {
    let running = 0;
    let most = 0;
    const delays = [30, 5, 20, 1, 10];
    const results = await inPool(delays, 2, async (ms) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return ms * 2;
    });
    expect(most).to.equal(2);
    expect(results).to.deep.equal([60, 10, 40, 2, 20]);
  });

  it("starts the next item as soon as a slot is free, not when the whole batch is done", async () => {
    const events: string[] = [];
    await inPool([40, 5, 5, 5], 2, async (ms) => {
      events.push(`start ${ms}`);
      await new Promise((r) => setTimeout(r, ms));
      events.push(`end ${ms}`);
    });
    expect(events.indexOf("end 40")).to.equal(events.length - 1);
    expect(events.filter((e) => e === "start 5")).to.have.lengthOf(3);
  });

  it("runs everything one by one with a limit of 1", async () => {
    const order: string[] = [];
    await inPool(["a", "b"], 1, async (x) => {
      order.push(`start ${x}`);
      await new Promise((r) => setTimeout(r, 1));
      order.push(`end ${x}`);
    });
    expect(order).to.deep.equal(["start a", "end a", "start b", "end b"]);
  });
});
