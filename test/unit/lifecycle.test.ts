import { expect } from "chai";
import { Teardown } from "../../harness/core/lifecycle.js";
import { setProgressSink, type ProgressSink } from "../../harness/core/progress.js";

/** A disposal that notes its name and resolves. */
const noting = (order: string[], name: string) => (): Promise<void> => {
  order.push(name);
  return Promise.resolve();
};

describe("Teardown", () => {
  let said: string[];
  let previous: ProgressSink;

  beforeEach(() => {
    said = [];
    previous = setProgressSink((line) => said.push(line));
  });

  afterEach(() => {
    setProgressSink(previous);
  });

  it("runs disposals newest first", async () => {
    const order: string[] = [];
    const teardown = new Teardown();
    for (const name of ["network", "firewall", "attacker"]) {
      teardown.defer(`remove ${name}`, noting(order, name));
    }
    await teardown.run();
    expect(order).to.deep.equal(["attacker", "firewall", "network"]);
  });

  it("runs each disposal exactly once, one after another, when run() is called twice concurrently", async () => {
    const events: string[] = [];
    const teardown = new Teardown();
    for (const name of ["a", "b", "c"]) {
      teardown.defer(name, async () => {
        events.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push(`end ${name}`);
      });
    }
    const first = teardown.run();
    const second = teardown.run();
    expect(second).to.equal(first);
    await Promise.all([first, second]);
    expect(events).to.deep.equal(["start c", "end c", "start b", "end b", "start a", "end a"]);
  });

  it("does nothing on a later run() once everything was disposed", async () => {
    const order: string[] = [];
    const teardown = new Teardown();
    teardown.defer("remove network", noting(order, "network"));
    await teardown.run();
    await teardown.run();
    expect(order).to.deep.equal(["network"]);
  });

  it("makes a second run() wait for the disposals still in progress", async () => {
    let finished = false;
    const teardown = new Teardown();
    teardown.defer("slow", async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      finished = true;
    });
    void teardown.run();
    await teardown.run();
    expect(finished).to.equal(true);
  });

  it("keeps going after a disposal rejects, and reports it", async () => {
    const order: string[] = [];
    const teardown = new Teardown();
    teardown.defer("remove network", noting(order, "network"));
    teardown.defer("stop firewall", () => Promise.reject(new Error("container is paused")));
    teardown.defer("stop attacker", noting(order, "attacker"));
    await teardown.run();
    expect(order).to.deep.equal(["attacker", "network"]);
    expect(said).to.deep.equal(["  ! could not stop firewall: container is paused"]);
  });

  it("keeps going after a disposal throws synchronously", async () => {
    const order: string[] = [];
    const teardown = new Teardown();
    teardown.defer("remove network", noting(order, "network"));
    teardown.defer("stop firewall", () => {
      throw new Error("boom");
    });
    await teardown.run();
    expect(order).to.deep.equal(["network"]);
    expect(said).to.have.lengthOf(1);
  });

  it("resolves at once when nothing was deferred", async () => {
    await new Teardown().run();
    expect(said).to.deep.equal([]);
  });
});
