import { expect } from "chai";
import fc from "fast-check";
import { expandPortSpec, formatPorts } from "../../harness/core/ports.js";

describe("formatPorts", () => {
  it("writes runs as ranges and single ports alone", () => {
    expect(formatPorts([22, 80, 8000, 8001, 8002, 8080])).to.equal("22,80,8000-8002,8080");
    expect(formatPorts([])).to.equal("");
  });

  it("writes a list that expands back to the same ports", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 65_535 }), { minLength: 1 }), (raw) => {
        const ports = [...raw].sort((a, b) => a - b);
        expect(expandPortSpec(formatPorts(ports))).to.deep.equal(ports);
      }),
    );
  });
});
