import { expect } from "chai";
import fc from "fast-check";
import {
  cidrContains,
  formatCidr,
  formatIPv4,
  inRanges,
  IPV6_REFUSED,
  parseStrictCidr,
  parseStrictIPv4,
  parseStrictRange,
} from "../../harness/core/addresses.js";

const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
const octet = fc.integer({ min: 0, max: 255 }).map(String);
const fourOctets = fc.tuple(octet, octet, octet, octet);

function refusedWith(
  result: ReturnType<typeof parseStrictIPv4> | ReturnType<typeof parseStrictCidr>,
): string {
  if (result.ok) expect.fail(`accepted as ${JSON.stringify(result.value)}`);
  return result.error;
}

describe("strict IPv4 addresses", () => {
  it("round-trips every 32-bit value through dotted decimal", () => {
    fc.assert(
      fc.property(uint32, (value) => {
        expect(parseStrictIPv4(formatIPv4(value))).to.deep.equal({ ok: true, value });
      }),
    );
  });

  it("reads the octets in network order", () => {
    expect(parseStrictIPv4("10.20.0.5")).to.deep.equal({ ok: true, value: 0x0a140005 });
    expect(parseStrictIPv4("0.0.0.0")).to.deep.equal({ ok: true, value: 0 });
    expect(parseStrictIPv4("255.255.255.255")).to.deep.equal({ ok: true, value: 0xffff_ffff });
  });

  it("refuses an octet with a leading zero", () => {
    fc.assert(
      fc.property(fourOctets, fc.nat(3), fc.integer({ min: 1, max: 2 }), (octets, at, zeros) => {
        const padded = octets.map((o, i) => (i === at ? "0".repeat(zeros) + o : o));
        expect(refusedWith(parseStrictIPv4(padded.join(".")))).to.include("leading zero");
      }),
    );
    expect(refusedWith(parseStrictIPv4("012.0.0.0"))).to.include("write 12");
  });

  it("refuses a missing or extra octet", () => {
    fc.assert(
      fc.property(fc.array(octet, { minLength: 1, maxLength: 8 }), (octets) => {
        fc.pre(octets.length !== 4);
        expect(refusedWith(parseStrictIPv4(octets.join(".")))).to.include("of the 4 octets");
      }),
    );
    expect(refusedWith(parseStrictIPv4("10.0.0."))).to.equal("octet 4 is empty");
    expect(refusedWith(parseStrictIPv4("10..0.1"))).to.equal("octet 2 is empty");
  });

  it("refuses an octet above 255", () => {
    fc.assert(
      fc.property(fourOctets, fc.nat(3), fc.integer({ min: 256, max: 10 ** 12 }), (octets, at, big) => {
        const text = octets.map((o, i) => (i === at ? String(big) : o)).join(".");
        expect(refusedWith(parseStrictIPv4(text))).to.include("above 255");
      }),
    );
  });

  it("refuses an octet that is not decimal digits", () => {
    const notDigits = fc
      .string({ minLength: 1, maxLength: 4 })
      .filter((s) => !/^[0-9]*$/.test(s) && !s.includes("."));
    fc.assert(
      fc.property(fourOctets, fc.nat(3), notDigits, (octets, at, junk) => {
        const text = octets.map((o, i) => (i === at ? junk : o)).join(".");
        const result = parseStrictIPv4(text);
        expect(result.ok).to.equal(false);
      }),
    );
    for (const text of [
      "0x0a.0.0.1",
      "1e1.0.0.1",
      "+1.0.0.1",
      "-1.0.0.1",
      "١٠.0.0.1",
      " 10.0.0.1",
      "10.0.0.1\n",
    ])
      expect(parseStrictIPv4(text).ok, text).to.equal(false);
  });

  it("refuses IPv6 with the reason", () => {
    for (const text of ["::1", "fe80::1", "2001:db8::/32", "::ffff:10.0.0.1"]) {
      expect(parseStrictIPv4(text)).to.deep.equal({ ok: false, kind: "ipv6", error: IPV6_REFUSED });
      expect(parseStrictRange(text)).to.deep.include({ ok: false, kind: "ipv6" });
    }
  });

  it("formats only unsigned 32-bit numbers", () => {
    expect(() => formatIPv4(-1)).to.throw(RangeError);
    expect(() => formatIPv4(2 ** 32)).to.throw(RangeError);
    expect(() => formatIPv4(1.5)).to.throw(RangeError);
  });
});

describe("strict IPv4 CIDRs", () => {
  it("round-trips every network", () => {
    fc.assert(
      fc.property(uint32, fc.integer({ min: 0, max: 32 }), (value, prefix) => {
        const size = 2 ** (32 - prefix);
        const network = Math.floor(value / size) * size;
        const text = formatCidr({ network, prefix });
        expect(parseStrictCidr(text)).to.deep.equal({ ok: true, value: { network, prefix } });
      }),
    );
  });

  it("refuses an address that is not a network, naming the network", () => {
    expect(parseStrictCidr("10.20.0.5/24")).to.deep.equal({
      ok: false,
      kind: "host-bits",
      error:
        "10.20.0.5/24 has host bits set: the network is 10.20.0.0/24 (or write 10.20.0.5 alone for the one address)",
    });
    fc.assert(
      fc.property(uint32, fc.integer({ min: 0, max: 31 }), (value, prefix) => {
        const size = 2 ** (32 - prefix);
        fc.pre(value % size !== 0);
        expect(parseStrictCidr(`${formatIPv4(value)}/${prefix}`)).to.deep.include({ kind: "host-bits" });
      }),
    );
  });

  it("refuses the short and octal forms other parsers guess at", () => {
    expect(refusedWith(parseStrictCidr("10/8"))).to.include("1 of the 4 octets");
    expect(refusedWith(parseStrictCidr("10.0/16"))).to.include("2 of the 4 octets");
    expect(refusedWith(parseStrictCidr("012.0.0.0/8"))).to.include("leading zero");
  });

  it("refuses a prefix that is not 0–32 in plain decimal", () => {
    for (const [text, reason] of [
      ["10.0.0.0/33", "above 32"],
      ["10.0.0.0/100", "above 32"],
      ["10.0.0.0/08", "leading zero"],
      ["10.0.0.0/", "empty prefix"],
      ["10.0.0.0/-1", "not a decimal number"],
      ["10.0.0.0/8/8", "more than one"],
      ["10.0.0.0/ 8", "not a decimal number"],
      ["10.0.0.0", "no prefix"],
    ] as const)
      expect(refusedWith(parseStrictCidr(text)), text).to.include(reason);
  });

  it("reads a bare address as its /32 where a range is asked for", () => {
    expect(parseStrictRange("10.20.0.5")).to.deep.equal({
      ok: true,
      value: { network: 0x0a140005, prefix: 32 },
    });
    expect(parseStrictRange("0.0.0.0/0")).to.deep.equal({ ok: true, value: { network: 0, prefix: 0 } });
  });

  it("contains exactly the addresses sharing the network's prefix", () => {
    fc.assert(
      fc.property(uint32, uint32, fc.integer({ min: 0, max: 32 }), (a, b, prefix) => {
        const size = 2 ** (32 - prefix);
        const network = Math.floor(a / size) * size;
        expect(cidrContains({ network, prefix }, b)).to.equal(Math.floor(b / size) === Math.floor(a / size));
      }),
    );
  });

  it("matches addresses against ranges, strictly", () => {
    expect(inRanges("10.20.0.5", ["10.20.0.0/24"])).to.equal(true);
    expect(inRanges("10.21.0.5", ["10.20.0.0/24"])).to.equal(false);
    expect(inRanges("10.20.0.5", ["0.0.0.0/0"])).to.equal(true);
    expect(inRanges("0.0.0.10", ["10/8"])).to.equal(false);
    expect(inRanges("012.20.0.5", ["12.0.0.0/8", "10.0.0.0/8"])).to.equal(false);
    expect(inRanges("::1", ["0.0.0.0/0"])).to.equal(false);
  });
});
