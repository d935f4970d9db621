import { expect } from "chai";
import fc from "fast-check";
import { parseDate } from "../../harness/detection/rules/field-values.js";

/** Epoch milliseconds of an ISO date-time, as JavaScript reads the extended format. */
const at = (iso: string): number => new Date(iso).getTime();

describe("parseDate with years below 100", () => {
  it("reads the year as written, not as 1900 plus it", () => {
    expect(parseDate("0050-01-01", false)).to.equal(at("0050-01-01T00:00:00.000Z"));
    expect(parseDate("0000-02-29T12:30:00Z", false)).to.equal(at("0000-02-29T12:30:00.000Z"));
    expect(parseDate("0099-12-31T23:59:59.5+02:00", false)).to.equal(at("0099-12-31T21:59:59.500Z"));
    expect(parseDate("0100-01-01", false)).to.equal(at("0100-01-01T00:00:00.000Z"));
  });

  it("rounds a year below 100 up within that year", () => {
    expect(parseDate("0050", true)).to.equal(at("0050-01-01T23:59:59.999Z"));
    expect(parseDate("0007-03", true)).to.equal(at("0007-03-01T23:59:59.999Z"));
  });

  it("gives back the time of any date from year 0 to 9999 written as an ISO date-time", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("0000-01-01T00:00:00.000Z"),
          max: new Date("9999-12-31T23:59:59.999Z"),
          noInvalidDate: true,
        }),
        (date) => {
          expect(parseDate(date.toISOString(), false)).to.equal(date.getTime());
        },
      ),
      { numRuns: 2000 },
    );
  });
});
