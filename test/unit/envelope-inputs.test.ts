import { expect } from "chai";
import { join } from "node:path";
import { assertionsDir } from "../../harness/core/paths.js";
import { loadEnvelopeRuleSets } from "../../harness/envelope/envelope-inputs.js";

const PACK = join(assertionsDir, "rules");
const VERTICAL = join(PACK, "reconnaissance_vertical_port_scan_firewall.toml");

describe("envelope contenders", function () {
  it("names each rule set by its origin, a user's path by its base name, repeats numbered", function () {
    const sets = loadEnvelopeRuleSets({ pack: true, elastic: false, rulePaths: [VERTICAL, VERTICAL] });
    expect(sets.map((s) => s.origin)).to.deep.equal([
      "scanproof",
      "reconnaissance_vertical_port_scan_firewall",
      "reconnaissance_vertical_port_scan_firewall-2",
    ]);
    expect(sets[0]?.set.rules.length).to.be.greaterThan(10);
  });

  it("keeps only the rules asked for by rule_id or name, and drops sets left empty", function () {
    const sets = loadEnvelopeRuleSets({
      pack: true,
      elastic: false,
      rulePaths: [],
      named: [{ origin: "changed", path: VERTICAL }],
      only: ["Vertical Port Scan Seen by the Firewall"],
    });
    expect(sets.map((s) => [s.origin, s.set.rules.map((r) => r.name)])).to.deep.equal([
      ["scanproof", ["Vertical Port Scan Seen by the Firewall"]],
      ["changed", ["Vertical Port Scan Seen by the Firewall"]],
    ]);
  });

  it("refuses a --rule no rule set has", function () {
    expect(() =>
      loadEnvelopeRuleSets({ pack: true, elastic: false, rulePaths: [], only: ["No Such Rule"] }),
    ).to.throw(/--rule "No Such Rule": no rule of .* has that rule_id or name/);
  });

  it("says where Elastic's rules were expected when they are missing", function () {
    const saved = process.env.SCANPROOF_ELASTIC_RULES;
    process.env.SCANPROOF_ELASTIC_RULES = "/nonexistent/elastic-rules";
    try {
      expect(() => loadEnvelopeRuleSets({ pack: false, elastic: true, rulePaths: [] })).to.throw(
        /\/nonexistent\/elastic-rules is missing/,
      );
    } finally {
      if (saved === undefined) delete process.env.SCANPROOF_ELASTIC_RULES;
      else process.env.SCANPROOF_ELASTIC_RULES = saved;
    }
  });
});
