import { expect } from "chai";
import { ScanproofError } from "../../harness/core/errors.js";
import { ScopeGuard } from "../../harness/lab/scope-guard.js";
import { DMZ, OUTSIDE } from "../../harness/lab/segments.js";
import { labGuard, thrownBy } from "./fixture-helpers.js";

const WHERE = "steps[0].target";
const guard = labGuard;

function refusal(target: string): string {
  const error = thrownBy(() => guard().range(target, WHERE));
  expect(error).to.be.instanceOf(ScanproofError);
  return error.message;
}

describe("ScopeGuard", () => {
  it("uses the lab networks 198.18.0.0/24 and 10.20.0.0/24", () => {
    expect([OUTSIDE.subnet, DMZ.subnet]).to.deep.equal(["198.18.0.0/24", "10.20.0.0/24"]);
  });

  it("resolves lab host names to their addresses", () => {
    expect(guard().range("web", WHERE)).to.equal("10.20.0.10");
    expect(guard().range("ssh", WHERE)).to.equal("10.20.0.11");
  });

  it("accepts addresses inside either lab network, including their edges", () => {
    for (const address of ["198.18.0.1", "198.18.0.255", "10.20.0.0", "10.20.0.10", "10.20.0.255"]) {
      expect(guard().range(address, WHERE)).to.equal(address);
    }
  });

  for (const address of ["8.8.8.8", "10.21.0.1", "127.0.0.1", "198.18.1.1"]) {
    it(`refuses ${address}, saying nothing was sent`, () => {
      const message = refusal(address);
      expect(message).to.include(`${WHERE}: refusing to probe ${address}`);
      expect(message).to.include("Nothing was sent.");
    });
  }

  it("lists the lab networks in a refusal", () => {
    expect(refusal("8.8.8.8")).to.include("198.18.0.0/24, 10.20.0.0/24");
  });

  it("accepts a CIDR inside a lab network", () => {
    expect(guard().range("10.20.0.0/25", WHERE)).to.equal("10.20.0.0/25");
    expect(guard().range("10.20.0.128/25", WHERE)).to.equal("10.20.0.128/25");
  });

  it("accepts a CIDR exactly as wide as a lab network", () => {
    expect(guard().range("10.20.0.0/24", WHERE)).to.equal("10.20.0.0/24");
  });

  it("refuses a CIDR wider than the lab network", () => {
    expect(refusal("10.20.0.0/16")).to.include("Nothing was sent.");
    expect(refusal("0.0.0.0/0")).to.include("Nothing was sent.");
  });

  it("refuses a CIDR outside the lab networks", () => {
    expect(refusal("10.21.0.0/25")).to.include("refusing to probe 10.21.0.0/25");
  });

  it("refuses host names that are not lab hosts, listing the lab's names", () => {
    for (const name of ["example.com", "localhost", "attacker.lab"]) {
      const message = refusal(name);
      expect(message).to.include(`"${name}" is neither a lab host name (web, ssh)`);
    }
  });

  it("refuses a zero-padded address rather than guessing how nmap reads it", () => {
    expect(refusal("010.020.000.010")).to.include("neither a lab host name");
  });

  it("refuses IPv6 addresses", () => {
    expect(refusal("::1")).to.include("neither a lab host name");
  });

  it("rejects an IPv6 lab subnet", () => {
    expect(thrownBy(() => new ScopeGuard(["fd00::/64"]))).to.be.instanceOf(ScanproofError);
  });

  describe("addresses inside tool options", () => {
    it("accepts a literal lab address", () => {
      expect(guard().address("10.20.0.11", WHERE)).to.equal("10.20.0.11");
    });

    it("refuses a lab host name, naming the address to use instead", () => {
      expect(thrownBy(() => guard().address("web", WHERE)).message).to.include(
        '"web" is a lab host name; name its address (10.20.0.10)',
      );
    });

    it("refuses other names and ranges", () => {
      expect(thrownBy(() => guard().address("example.com", WHERE)).message).to.include("not an IPv4 address");
      expect(thrownBy(() => guard().address("10.20.0.0/28", WHERE)).message).to.include(
        "not an IPv4 address",
      );
    });

    it("refuses an address outside the lab", () => {
      expect(thrownBy(() => guard().address("192.0.2.1", WHERE)).message).to.include(
        "refusing to probe 192.0.2.1",
      );
    });
  });
});
