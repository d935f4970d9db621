import { expect } from "chai";
import { ScanproofError } from "../../harness/core/errors.js";
import { parseShard, selectShard } from "../../harness/shard.js";
import { thrownBy } from "./fixture-helpers.js";

const suite = ["syn-top", "ack-scan", "benign-nat", "ping-sweep", "xmas", "masscan", "axfr"].map((id) => ({
  id,
}));

describe("shards", () => {
  it("reads i/n", () => {
    expect(parseShard("2/3")).to.deep.equal({ index: 2, count: 3 });
  });

  for (const bad of ["0/3", "4/3", "1/0", "1", "a/b", "1/3/5", "-1/3"]) {
    it(`refuses "${bad}", saying what it expected`, () => {
      const error = thrownBy(() => parseShard(bad));
      expect(error).to.be.instanceOf(ScanproofError);
      expect(error.message).to.include("expected i/n with 1 ≤ i ≤ n");
    });
  }

  it("runs every scenario in exactly one shard, shares differing by at most one", () => {
    const shards = [1, 2, 3].map((index) => selectShard(suite, { index, count: 3 }).map((s) => s.id));
    expect(shards.flat()).to.have.members(suite.map((s) => s.id));
    expect(shards.flat()).to.have.lengthOf(suite.length);
    expect(shards.map((s) => s.length)).to.deep.equal([3, 2, 2]);
  });

  it("assigns the same scenarios whatever order the files were found in", () => {
    const reversed = [...suite].reverse();
    expect(selectShard(reversed, { index: 2, count: 3 })).to.deep.equal(
      selectShard(suite, { index: 2, count: 3 }),
    );
    expect(selectShard(suite, { index: 1, count: 3 }).map((s) => s.id)).to.deep.equal([
      "ack-scan",
      "masscan",
      "xmas",
    ]);
  });

  it("gives a shard beyond the suite's size nothing, and 1/1 everything", () => {
    expect(selectShard(suite.slice(0, 2), { index: 3, count: 3 })).to.deep.equal([]);
    expect(selectShard(suite, { index: 1, count: 1 })).to.have.lengthOf(suite.length);
  });
});
