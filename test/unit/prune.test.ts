import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { expect } from "chai";
import { ownerGone } from "../../harness/lab/prune.js";

describe("ownerGone", () => {
  it("keeps a run whose harness process on this machine is alive", () => {
    expect(ownerGone(`${hostname()}/${process.pid}`)).to.equal(false);
  });

  it("finds a run whose harness process on this machine has ended", () => {
    const ended = spawnSync(process.execPath, ["-e", ""]);
    expect(ended.status).to.equal(0);
    expect(ownerGone(`${hostname()}/${ended.pid}`)).to.equal(true);
  });

  it("keeps runs it cannot check: another machine, no owner, a malformed owner", () => {
    const ended = spawnSync(process.execPath, ["-e", ""]);
    expect(ownerGone(`another-machine/${ended.pid}`)).to.equal(false);
    expect(ownerGone(undefined)).to.equal(false);
    expect(ownerGone(`${hostname()}/not-a-pid`)).to.equal(false);
    expect(ownerGone(hostname())).to.equal(false);
  });
});
