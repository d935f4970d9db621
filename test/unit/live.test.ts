import { expect } from "chai";
import { Writable } from "node:stream";
import { LiveView, renderLiveLines } from "../../harness/report/live.js";

class Capture extends Writable {
  text = "";
  isTTY = false;
  override _write(chunk: Buffer, _: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe("live view", () => {
  it("shows each scenario's phase, detail and time since it left the queue, then its verdict", () => {
    let now = 1_000;
    const out = new Capture();
    const view = new LiveView(out, () => now);
    view.update({ scenarioId: "syn-scan", phase: "queued", detail: "" });
    view.update({ scenarioId: "benign", phase: "queued", detail: "" });
    now = 2_000;
    view.update({ scenarioId: "syn-scan", phase: "lab", detail: "starting" });
    now = 5_500;
    view.update({ scenarioId: "syn-scan", phase: "steps", detail: "1/3" });
    now = 9_000;
    view.update({ scenarioId: "syn-scan", phase: "done", detail: "", verdict: "fail" });
    view.stop();
    expect(out.text.split("\n").filter(Boolean)).to.deep.equal([
      "syn-scan  ▸ lab starting  0.0 s",
      "syn-scan  ▸ steps 1/3  3.5 s",
      "syn-scan  ✖ FAIL  7.0 s",
    ]);
  });

  it("lines up every scenario of a run, queued ones without a time", () => {
    const lines = renderLiveLines(
      new Map([
        ["a", { phase: "ingest" as const, detail: "firewall, ids", startedAt: 0 }],
        ["longer-id", { phase: "queued" as const, detail: "" }],
      ]),
      12_345,
    );
    expect(lines).to.deep.equal(["a          ▸ ingest firewall, ids  12.3 s", "longer-id  · queued"]);
  });

  it("redraws the block in place on a terminal", () => {
    const out = new Capture();
    out.isTTY = true;
    const view = new LiveView(out, () => 0);
    view.update({ scenarioId: "a", phase: "queued", detail: "" });
    view.update({ scenarioId: "a", phase: "lab", detail: "" });
    view.stop();
    expect(out.text).to.equal(
      "\x1b[2Ka  · queued\n\x1b[1F\x1b[2Ka  ▸ lab  0.0 s\n\x1b[1F\x1b[2Ka  ▸ lab  0.0 s\n",
    );
  });
});
