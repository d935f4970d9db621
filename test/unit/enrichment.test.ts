import { expect } from "chai";
import { matchAdvisories } from "../../harness/context/advisories.js";
import { loadContext } from "../../harness/context/context.js";
import { escalate } from "../../harness/escalation/escalate.js";
import { placeInventory } from "../../harness/context/inventory.js";
import { blockRule } from "../../harness/escalation/next-action.js";
import { longestSpacedRun } from "../../harness/escalation/pace.js";
import { matchPatterns, probeRate, type ScanShape } from "../../harness/context/patterns.js";
import { factsFixture } from "./escalation-fixtures.js";
import { fixture } from "./fixture-helpers.js";

const WEB = "10.20.0.10";
const BASTION = "10.20.0.11";
const context = () => loadContext(fixture("context", "enriched.yaml"));
const inventory = () => placeInventory(context().assets, [{ name: "web", address: WEB }]);
const AT = new Date("2026-11-28T13:00:36.402Z");

describe("matchAdvisories (test/fixtures/enrichment/advisories.yaml, 30-day recency)", () => {
  const advisories = () => context().advisories;
  const probe = (address: string, port: number, protocol = "tcp") => ({ address, port, protocol, probes: 1 });

  it("matches a recent advisory by the product the inventory declares on the probed port", () => {
    const matches = matchAdvisories([probe(BASTION, 22)], inventory(), advisories(), 30 * 86_400_000, AT);
    expect(matches).to.deep.equal([
      {
        cve: "CVE-2026-1001",
        title: "a fresh OpenSSH flaw",
        published: "2026-11-20",
        asset: "ssh-bastion",
        address: BASTION,
        port: 22,
        protocol: "tcp",
        matchedBy: "product",
      },
    ]);
  });

  it("matches a product advisory without a port on whatever port the product is declared", () => {
    const matches = matchAdvisories([probe(WEB, 80)], inventory(), advisories(), 30 * 86_400_000, AT);
    expect(matches.map((m) => [m.cve, m.asset, m.matchedBy])).to.deep.equal([
      ["CVE-2026-1002", "public-web", "product"],
    ]);
  });

  it("matches by port and protocol only on a host the inventory does not list", () => {
    const unknown = matchAdvisories(
      [probe("10.20.0.99", 5432)],
      inventory(),
      advisories(),
      30 * 86_400_000,
      AT,
    );
    expect(unknown.map((m) => [m.cve, m.matchedBy, m.asset])).to.deep.equal([
      ["CVE-2026-1003", "port", undefined],
    ]);
    const inventoried = matchAdvisories([probe(WEB, 5432)], inventory(), advisories(), 30 * 86_400_000, AT);
    expect(inventoried).to.deep.equal([]);
    const udp = matchAdvisories(
      [probe("10.20.0.99", 5432, "udp")],
      inventory(),
      advisories(),
      30 * 86_400_000,
      AT,
    );
    expect(udp).to.deep.equal([]);
  });

  it("leaves out advisories older than the recency and ones published after the alert", () => {
    const matches = matchAdvisories([probe(BASTION, 22)], inventory(), advisories(), 30 * 86_400_000, AT);
    expect(matches.map((m) => m.cve)).to.not.include("CVE-2024-6387");
    const before = matchAdvisories(
      [probe(BASTION, 22)],
      inventory(),
      advisories(),
      30 * 86_400_000,
      new Date("2026-11-19T23:59:59Z"),
    );
    expect(before.map((m) => m.cve)).to.deep.equal([]);
  });

  it("finds nothing without an advisory file", () => {
    expect(matchAdvisories([probe(BASTION, 22)], inventory(), undefined, 30 * 86_400_000, AT)).to.deep.equal(
      [],
    );
  });
});

describe("matchPatterns (test/fixtures/enrichment/scanning-patterns.yaml)", () => {
  const patterns = () => context().patterns;
  const shape = (over: Partial<ScanShape>): ScanShape => ({
    transports: ["tcp"],
    distinctPorts: 2,
    ports: [23, 2323],
    targets: 40,
    probes: 80,
    durationMs: 8_000,
    ...over,
  });

  it("recognises a telnet sweep of 23 and 2323, high confidence, saying why", () => {
    expect(matchPatterns(shape({}), patterns())).to.deep.equal([
      {
        name: "mirai-telnet-sweep",
        tool: "Mirai-family IoT botnets",
        confidence: "high",
        description: "telnet sweeps of 23 and 2323",
        because: ["only tcp", "ports 23, 2323 all in the pattern's set"],
      },
    ]);
  });

  it("does not call a sweep that also probes 22 a telnet sweep", () => {
    expect(matchPatterns(shape({ ports: [22, 23], distinctPorts: 2 }), patterns())).to.deep.equal([]);
  });

  it("does not match a port set when the full port list is unknown", () => {
    const { ports: _omitted, ...rest } = shape({});
    expect(matchPatterns(rest, patterns())).to.deep.equal([]);
  });

  it("recognises nmap's default scan by port count and pace, not below 20 probes/s", () => {
    const nmap: ScanShape = {
      transports: ["tcp", "icmp"],
      distinctPorts: 1000,
      targets: 1,
      probes: 1003,
      durationMs: 336,
    };
    expect(matchPatterns(nmap, patterns()).map((m) => m.name)).to.deep.equal(["nmap-default-port-scan"]);
    const slow = { ...nmap, durationMs: 60_000 };
    expect(probeRate(slow)).to.be.closeTo(16.7, 0.1);
    expect(matchPatterns(slow, patterns())).to.deep.equal([]);
  });

  it("counts a burst within one second as that second", () => {
    expect(probeRate(shape({ probes: 1003, durationMs: 336 }))).to.equal(1003);
  });
});

describe("longestSpacedRun", () => {
  const at = (...seconds: number[]) => seconds.map((s) => ({ at: s * 1000, probes: 1 }));

  it("counts single probes each at least the interval after the previous", () => {
    expect(longestSpacedRun(at(0, 3.5, 7, 10.5, 14, 17.5), 3000)).to.deep.equal({
      probes: 6,
      minGapMs: 3500,
    });
  });

  it("restarts the run at a gap shorter than the interval", () => {
    expect(longestSpacedRun(at(0, 4, 8, 9, 13, 17, 21), 3000)).to.deep.equal({ probes: 4, minGapMs: 4000 });
  });

  it("breaks the run at a burst of several probes in one slice", () => {
    const buckets = [...at(0, 4), { at: 8000, probes: 3 }, ...at(12, 16)];
    expect(longestSpacedRun(buckets, 3000)).to.deep.equal({ probes: 2, minGapMs: 4000 });
  });

  it("finds no run in a fast scan and nothing in no probes", () => {
    expect(
      longestSpacedRun(
        [
          { at: 0, probes: 400 },
          { at: 100, probes: 600 },
        ],
        3000,
      ),
    ).to.deep.equal({ probes: 0 });
    expect(longestSpacedRun([], 3000)).to.deep.equal({ probes: 0 });
  });
});

describe("analysis answers and next action", () => {
  const ctx = () => loadContext(fixture("context", "allow-list.yaml"));
  const decide = (f = factsFixture("nmap-syn-top1000")) =>
    escalate(f, ctx(), placeInventory(ctx().assets, []));

  it("answers whether the source is internal or known", () => {
    const a = decide().analysis.internalOrKnown;
    expect(a.question).to.equal("Is the source internal or known?");
    expect(a).to.include({ internal: false, allowListed: true, reputation: "unknown", seenBefore: false });
    expect(a.answer)
      .to.include("external")
      .and.to.include("red team")
      .and.to.include("never seen in the 14 days");
  });

  it("says since when an earlier-seen source is known", () => {
    const a = decide(
      factsFixture("nmap-syn-top1000", {
        priorEvents: 40,
        history: { firstSeen: "2026-11-20T08:00:00.000Z" },
      }),
    ).analysis.internalOrKnown;
    expect(a.seenBefore).to.equal(true);
    expect(a.answer).to.include("seen before: 40 events").and.to.include("2026-11-20T08:00:00.000Z");
  });

  it("answers which ports and services were targeted", () => {
    const a = decide().analysis.portsAndServices;
    expect(a.distinctPorts).to.equal(1000);
    expect(a.topPorts).to.deep.equal([80, 443, 1, 3, 4, 6, 7, 9, 13, 17]);
    expect(a.answer).to.include("1000 distinct ports on 10.20.0.10").and.to.include("no declared service");
  });

  it("compares the volume with the baseline of all sources per activity window", () => {
    const withBaseline = decide(
      factsFixture("nmap-syn-top1000", { baseline: { events: 290, spanMs: 29 * 86_400_000 } }),
    );
    expect(withBaseline.analysis.volume).to.include({ events: 1003, baselinePerWindow: 10 });
    expect(withBaseline.analysis.volume.ratio).to.be.closeTo(100.3, 0.01);
    expect(withBaseline.analysis.volume.answer)
      .to.include("baseline of 10 per 1 day")
      .and.to.include("(100×)");
    expect(decide().analysis.volume.answer).to.include("no baseline");
  });

  it("lists similar alerts seen recently", () => {
    const none = decide().analysis.similarRecently;
    expect(none.answer).to.equal("no other alert for this rule or this source in the last 14 days");
    const some = decide(
      factsFixture("nmap-syn-top1000", {
        similar: [
          {
            id: "x",
            ruleName: "ICMP Echo Sweep",
            source: "198.18.0.10",
            at: "2026-11-27T10:00:00.000Z",
            tier: "l1",
          },
        ],
      }),
    ).analysis.similarRecently;
    expect(some.alerts).to.have.lengthOf(1);
    expect(some.answer).to.include(
      '1 other alert in the last 14 days: "ICMP Echo Sweep" for 198.18.0.10 at 2026-11-27T10:00:00.000Z (l1)',
    );
  });

  it("recommends nothing for a suppressed scanner, with the reputation check for the others", () => {
    expect(decide().nextAction).to.deep.equal({
      action: "none",
      message: "suppressed: 198.18.0.10 is an authorised scanner inside its engagement window",
    });
    const tier2 = decide(
      factsFixture("nmap-syn-top1000", { detection: { lastSeen: "2026-12-05T00:00:00.000Z" } }),
    ).nextAction;
    expect(tier2.action).to.equal("investigate");
    expect(tier2.message).to.include("reputation check: no intel file is configured");
    expect(tier2.firewallRule).to.equal(blockRule("198.18.0.10"));
  });

  it("recommends blocking a source the intel calls malicious, and L1 triage for a quiet one", () => {
    const enriched = loadContext(fixture("context", "enriched.yaml"));
    const inv = placeInventory(enriched.assets, []);
    const block = escalate(factsFixture("nmap-syn-top1000"), enriched, inv).nextAction;
    expect(block.action).to.equal("block");
    expect(block.firewallRule).to.equal(
      'nft insert rule inet filter forward ip saddr 198.18.0.10 counter log prefix "blocked scanner " drop',
    );
    const quiet = escalate(
      factsFixture("nmap-syn-top1000", {
        source: "192.0.2.9",
        priorEvents: 3,
        activity: { distinctPorts: 3, transports: ["tcp"] },
      }),
      enriched,
      inv,
    );
    expect(quiet.tier).to.equal("l1");
    expect(quiet.nextAction.action).to.equal("triage");
    expect(quiet.nextAction.message).to.include("192.0.2.9 is not in");
  });
});
