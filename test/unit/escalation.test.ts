import { expect } from "chai";
import { join } from "node:path";
import { inRanges, loadContext, type EscalationContext } from "../../harness/escalation/context.js";
import { escalate, type EscalationFacts } from "../../harness/escalation/escalate.js";
import { placeInventory } from "../../harness/escalation/inventory.js";
import { assertionsDir } from "../../harness/paths.js";
import { fixture, inputErrorOf, lineOf, shownAs } from "./fixture-helpers.js";

const ATTACKER = "198.18.0.10";
const WEB = "10.20.0.10";
const BASTION = "10.20.0.11";
const DAY = 86_400_000;

const defaultContext = (): EscalationContext => loadContext(join(assertionsDir, "context", "default.yaml"));
const allowListContext = (): EscalationContext => loadContext(fixture("context", "allow-list.yaml"));

const LAB_TARGETS = [
  { name: "web", address: WEB },
  { name: "ssh", address: BASTION },
];

function decide(f: EscalationFacts, context: EscalationContext): ReturnType<typeof escalate> {
  return escalate(f, context, placeInventory(context.assets, LAB_TARGETS));
}

function facts(overrides: Partial<EscalationFacts> = {}): EscalationFacts {
  return {
    source: ATTACKER,
    targets: [WEB],
    priorEvents: 0,
    at: new Date("2026-11-15T12:00:00Z"),
    ...overrides,
  };
}

describe("escalate", () => {
  describe("with assertions/context/default.yaml", () => {
    it("sends an external source never seen before to Tier 2", () => {
      const result = decide(facts(), defaultContext());
      expect(result.tier).to.equal("tier2");
      expect(result.reasons.map((r) => r.code)).to.deep.equal(["external-never-seen"]);
    });

    it("names the source and the history window in the external-never-seen reason", () => {
      const [reason] = decide(facts(), defaultContext()).reasons;
      expect(reason?.message).to.include(ATTACKER).and.to.include("30 days");
    });

    it("leaves an external source seen before at L1", () => {
      expect(decide(facts({ priorEvents: 3 }), defaultContext())).to.deep.equal({
        tier: "l1",
        reasons: [],
      });
    });

    it("leaves an internal source that touches no critical asset at L1", () => {
      expect(decide(facts({ source: "10.20.0.12" }), defaultContext())).to.deep.equal({
        tier: "l1",
        reasons: [],
      });
    });

    it("sends an internal source hitting the critical bastion to Tier 2", () => {
      const result = decide(facts({ source: "10.20.0.12", targets: [WEB, BASTION] }), defaultContext());
      expect(result.tier).to.equal("tier2");
      expect(result.reasons.map((r) => r.code)).to.deep.equal(["critical-target"]);
      expect(result.reasons[0]?.message).to.include("ssh-bastion").and.to.include(BASTION);
    });

    it("gives both reasons for an unknown external source hitting the bastion", () => {
      const result = decide(facts({ targets: [BASTION] }), defaultContext());
      expect(result.tier).to.equal("tier2");
      expect(result.reasons.map((r) => r.code)).to.deep.equal(["external-never-seen", "critical-target"]);
    });
  });

  describe("allow list", () => {
    it("suppresses a source inside an allow-listed CIDR during its engagement window", () => {
      const result = decide(facts({ source: "198.18.0.12" }), allowListContext());
      expect(result.tier).to.equal("suppressed");
      expect(result.reasons.map((r) => r.code)).to.deep.equal(["authorised-scanner"]);
    });

    it("names the source, owner and purpose in the authorised-scanner reason", () => {
      const [reason] = decide(facts(), allowListContext()).reasons;
      expect(reason?.message)
        .to.include(ATTACKER)
        .and.to.include("red team")
        .and.to.include("external penetration test");
    });

    it("suppresses on the first and the last day of the window", () => {
      const context = allowListContext();
      expect(decide(facts({ at: new Date("2026-11-01T00:00:00Z") }), context).tier).to.equal("suppressed");
      expect(decide(facts({ at: new Date("2026-11-30T23:59:59Z") }), context).tier).to.equal("suppressed");
    });

    it("does not suppress the day before the window opens", () => {
      const result = decide(facts({ at: new Date("2026-10-31T23:59:59Z") }), allowListContext());
      expect(result.tier).to.equal("tier2");
      expect(result.reasons.map((r) => r.code)).to.deep.equal(["external-never-seen"]);
    });

    it("does not suppress the day after the window closes", () => {
      expect(decide(facts({ at: new Date("2026-12-01T00:00:00Z") }), allowListContext()).tier).to.equal(
        "tier2",
      );
    });

    it("does not suppress an address just outside the allow-listed CIDR", () => {
      expect(decide(facts({ source: "198.18.0.16" }), allowListContext()).tier).to.equal("tier2");
    });

    it("suppresses a single allow-listed address without a window, even against a critical asset", () => {
      const result = decide(
        facts({ source: "10.20.0.50", targets: [BASTION], at: new Date("2031-01-01T00:00:00Z") }),
        allowListContext(),
      );
      expect(result.tier).to.equal("suppressed");
      expect(result.reasons[0]?.message).to.include("10.20.0.50").and.to.include("vulnerability management");
    });

    it("does not suppress the neighbour of a single allow-listed address", () => {
      const result = decide(facts({ source: "10.20.0.51", targets: [BASTION] }), allowListContext());
      expect(result.tier).to.equal("tier2");
      expect(result.reasons.map((r) => r.code)).to.deep.equal(["critical-target"]);
    });
  });
});

describe("loadContext", () => {
  it("loads assertions/context/default.yaml", () => {
    const context = defaultContext();
    expect(context.internal_networks).to.deep.equal(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]);
    expect(context.assets.map((a) => a.name)).to.deep.equal(["ssh-bastion", "public-web", "dmz-resolver"]);
    expect(context.history_window).to.equal(30 * DAY);
  });

  it("converts history_window to milliseconds and keeps allow-list dates", () => {
    const context = allowListContext();
    expect(context.history_window).to.equal(14 * DAY);
    expect(context.allow_list[0]).to.include({
      source: "198.18.0.0/28",
      valid_from: "2026-11-01",
      valid_until: "2026-11-30",
    });
  });

  it("defaults the history window to 30 days and the lists to empty", () => {
    const context = loadContext(fixture("context", "minimal.yaml"));
    expect(context).to.deep.include({ assets: [], allow_list: [], history_window: 30 * DAY });
  });

  describe("invalid file", () => {
    const path = fixture("context", "invalid.yaml");

    it("reports a bad CIDR at its line with its path", () => {
      const p = inputErrorOf(() => loadContext(path)).problems.find((x) => x.path === "internal_networks[1]");
      expect(lineOf(path, 3)).to.equal("  - 10.300.0.0/16");
      expect(p).to.deep.equal({
        file: shownAs(path),
        line: 3,
        column: 5,
        path: "internal_networks[1]",
        message: "an IPv4 address or CIDR",
      });
    });

    it("reports an unknown key at its line", () => {
      const p = inputErrorOf(() => loadContext(path)).problems.find(
        (x) => x.message === 'unknown key "owner"',
      );
      expect(lineOf(path, 9)).to.equal("    owner: platform team");
      expect(p).to.include({ file: shownAs(path), line: 9, path: "assets[0]" });
    });

    it("reports a history window that is not a number of days", () => {
      const p = inputErrorOf(() => loadContext(path)).problems.find((x) => x.path === "history_window");
      expect(lineOf(path, 11)).to.equal("history_window: 30 days");
      expect(p).to.include({ line: 11, column: 17 });
      expect(p?.message).to.include('"30d"');
    });

    it("reports all three problems at once", () => {
      expect(inputErrorOf(() => loadContext(path)).problems).to.have.lengthOf(3);
    });
  });
});

describe("inRanges", () => {
  it("matches addresses against CIDRs and single addresses", () => {
    expect(inRanges("10.20.0.5", ["10.20.0.0/24"])).to.equal(true);
    expect(inRanges("10.21.0.5", ["10.20.0.0/24"])).to.equal(false);
    expect(inRanges("10.20.0.5", ["10.20.0.5"])).to.equal(true);
    expect(inRanges("10.20.0.6", ["10.20.0.5"])).to.equal(false);
  });

  it("never matches something that is not an IPv4 address", () => {
    expect(inRanges("web", ["0.0.0.0/0"])).to.equal(false);
    expect(inRanges("", ["0.0.0.0/0"])).to.equal(false);
  });
});
