import { expect } from "chai";
import { join } from "node:path";
import { inRanges, loadContext, type EscalationContext } from "../../harness/context/context.js";
import { escalate, type Escalation } from "../../harness/escalation/escalate.js";
import { REASON_CODES, type ReasonCode } from "../../harness/escalation/enrichment.js";
import type { EscalationFacts, IdsSignature } from "../../harness/escalation/facts.js";
import { placeInventory } from "../../harness/context/inventory.js";
import { assertionsDir } from "../../harness/core/paths.js";
import { factsFixture } from "./escalation-fixtures.js";
import { fixture, inputErrorOf, lineOf, shownAs } from "./fixture-helpers.js";

const ATTACKER = "198.18.0.10";
const WEB = "10.20.0.10";
const BASTION = "10.20.0.11";
const DAY = 86_400_000;

const defaultContext = (): EscalationContext => loadContext(join(assertionsDir, "context", "default.yaml"));
const allowListContext = (): EscalationContext => loadContext(fixture("context", "allow-list.yaml"));
const enrichedContext = (): EscalationContext => loadContext(fixture("context", "enriched.yaml"));

const LAB_TARGETS = [
  { name: "web", address: WEB },
  { name: "ssh", address: BASTION },
];

function decide(f: EscalationFacts, context: EscalationContext = defaultContext()): Escalation {
  return escalate(f, context, placeInventory(context.assets, LAB_TARGETS));
}

/** An nmap top-1000 SYN scan of the web server as recorded, changed where a test says. */
const scan = (overrides: Parameters<typeof factsFixture>[1] = {}): EscalationFacts =>
  factsFixture("nmap-syn-top1000", overrides);

/** The same source, but a quiet one: a few ports, seen before, nothing else remarkable. */
const quiet = (overrides: Parameters<typeof factsFixture>[1] = {}): EscalationFacts =>
  factsFixture("nmap-syn-top1000", {
    priorEvents: 12,
    ...overrides,
    activity: {
      distinctPorts: 3,
      ports: [22, 80, 443],
      topPorts: [
        { port: 80, probes: 1 },
        { port: 443, probes: 1 },
        { port: 22, probes: 1 },
      ],
      probes: 3,
      transports: ["tcp"],
      tcpFlags: ["S"],
      probedPorts: [],
      ...overrides.activity,
    },
  });

const codes = (e: Escalation): ReasonCode[] => e.reasons.map((r) => r.code);

function signature(overrides: Partial<IdsSignature>): IdsSignature {
  return {
    id: "9100001",
    name: "SCANPROOF nmap SYN scan probe (window 1024, MSS-only options)",
    category: "Attempted Information Leak",
    tools: ["nmap"],
    evasion: [],
    containment: false,
    count: 1,
    firstSeen: "2026-11-28T13:00:24.200Z",
    lastSeen: "2026-11-28T13:00:24.200Z",
    ...overrides,
  };
}

describe("escalate", () => {
  describe("the recorded nmap top-1000 scan with assertions/context/default.yaml", () => {
    const result = decide(scan());

    it("goes to Tier 2 because the source is external and new, and it probed a range of services", () => {
      expect(result.tier).to.equal("tier2");
      expect(codes(result)).to.deep.equal(["external-never-seen", "range-of-services"]);
    });

    it("names the source and the history window in the external-never-seen reason", () => {
      expect(result.reasons[0]?.message).to.include(ATTACKER).and.to.include("30 days");
    });

    it("names the number of ports in the range-of-services reason", () => {
      expect(result.reasons[1]?.message).to.include("1000 distinct ports").and.to.include("20 or more");
    });
  });

  describe("L1", () => {
    it("is the tier when no Tier 2 condition holds", () => {
      const result = decide(quiet());
      expect(result.tier).to.equal("l1");
      expect(result.reasons).to.deep.equal([]);
    });

    it("is the tier for an internal source that touches no critical asset", () => {
      expect(decide(quiet({ source: "10.20.0.12", priorEvents: 0 })).tier).to.equal("l1");
    });
  });

  describe("external-never-seen", () => {
    it("holds for an external source without prior events", () => {
      expect(codes(decide(quiet({ priorEvents: 0 })))).to.deep.equal(["external-never-seen"]);
    });

    it("does not hold for an external source seen before", () => {
      expect(codes(decide(quiet({ priorEvents: 1 })))).to.deep.equal([]);
    });

    it("does not hold for a detection that names no source", () => {
      expect(codes(decide(quiet({ source: "", priorEvents: 0 })))).to.deep.equal([]);
    });

    it("does not hold for an internal source never seen", () => {
      expect(codes(decide(quiet({ source: "10.20.0.12", priorEvents: 0 })))).to.deep.equal([]);
    });
  });

  describe("critical-target", () => {
    it("holds for the critical bastion, naming it and why it matters", () => {
      const result = decide(quiet({ source: "10.20.0.12", targets: [WEB, BASTION] }));
      expect(result.tier).to.equal("tier2");
      expect(codes(result)).to.deep.equal(["critical-target"]);
      expect(result.reasons[0]?.message)
        .to.include("ssh-bastion")
        .and.to.include(BASTION)
        .and.to.include("administrative entry point");
    });

    it("does not hold for a high-criticality asset", () => {
      expect(codes(decide(quiet({ targets: [WEB] })))).to.deep.equal([]);
    });

    it("gives both reasons for an unknown external source hitting the bastion", () => {
      expect(codes(decide(quiet({ priorEvents: 0, targets: [BASTION] })))).to.deep.equal([
        "external-never-seen",
        "critical-target",
      ]);
    });
  });

  describe("persistent-activity", () => {
    it("holds when the source raised alerts on two days of the history window", () => {
      const result = decide(quiet({ history: { alertDays: ["2026-11-20T09:12Z", "2026-11-28T17:39Z"] } }));
      expect(codes(result)).to.deep.equal(["persistent-activity"]);
      expect(result.reasons[0]?.message)
        .to.include("2 days")
        .and.to.include("2026-11-20T09:12Z; and this activity, from 2026-11-28T17:39Z");
    });

    it("does not hold for a source seen on other days that raised no alert on them", () => {
      const result = decide(
        quiet({ history: { activeDays: ["2026-11-20", "2026-11-28"], alertDays: ["2026-11-28T17:39Z"] } }),
      );
      expect(codes(result)).to.deep.equal([]);
    });

    it("holds when the activity spans at least 30 minutes", () => {
      const result = decide(
        quiet({ activity: { firstSeen: "2026-11-28T12:30:00.000Z", lastSeen: "2026-11-28T13:00:00.000Z" } }),
      );
      expect(codes(result)).to.deep.equal(["persistent-activity"]);
      expect(result.reasons[0]?.message).to.include("30 min");
    });

    it("does not hold for one day and 29 minutes 59 seconds", () => {
      const result = decide(
        quiet({ activity: { firstSeen: "2026-11-28T12:30:00.001Z", lastSeen: "2026-11-28T13:00:00.000Z" } }),
      );
      expect(codes(result)).to.deep.equal([]);
    });

    it("does not count techniques outside T1595 as scanning methods", () => {
      const result = decide(
        quiet({
          rules: [
            { id: "a", name: "Potential Network Sweep Detected", techniques: ["T1046", "T1595.001"] },
            { id: "b", name: "Potential SYN-Based Port Scan Detected", techniques: ["T1046"] },
          ],
        }),
      );
      expect(codes(result)).to.deep.equal([]);
    });
  });

  describe("range-of-services", () => {
    it("holds at 20 distinct ports and not at 19", () => {
      expect(codes(decide(quiet({ activity: { distinctPorts: 20 } })))).to.deep.equal(["range-of-services"]);
      expect(codes(decide(quiet({ activity: { distinctPorts: 19 } })))).to.deep.equal([]);
    });

    it("takes its threshold from the context", () => {
      expect(codes(decide(quiet({ activity: { distinctPorts: 5 } }), enrichedContext()))).to.include(
        "range-of-services",
      );
    });
  });

  describe("several-methods", () => {
    it("holds when the rules that fired for the source map to two T1595 sub-techniques", () => {
      const result = decide(
        quiet({
          rules: [
            { id: "a", name: "Vertical Port Scan Seen by the Firewall", techniques: ["T1595.001"] },
            { id: "b", name: "Scanner User-Agent in the Web Log", techniques: ["T1595.002"] },
          ],
        }),
      );
      expect(codes(result)).to.deep.equal(["several-methods"]);
      expect(result.reasons[0]?.message).to.include(
        '2 T1595 sub-techniques (T1595.001: "Vertical Port Scan Seen by the Firewall"; T1595.002: "Scanner User-Agent in the Web Log")',
      );
    });

    it("does not hold for many rules that all see one technique (one port scan, four rules)", () => {
      const result = decide(
        quiet({
          rules: [
            { id: "a", name: "Vertical Port Scan Seen by the Firewall", techniques: ["T1595.001"] },
            { id: "b", name: "Nmap SYN Probe Shape Seen by the Firewall", techniques: ["T1595.001"] },
            { id: "c", name: "Persistent Port Probing", techniques: ["T1595.001"] },
            { id: "d", name: "Undeclared Services", techniques: ["T1595.001"] },
          ],
        }),
      );
      expect(codes(result)).to.deep.equal([]);
    });

    it("holds when IDS signatures name two tools", () => {
      const result = decide(
        quiet({
          ids: [
            signature({}),
            signature({ id: "9100014", name: "SCANPROOF ffuf wordlist scan", tools: ["ffuf"] }),
          ],
        }),
      );
      expect(codes(result)).to.deep.equal(["several-methods"]);
      expect(result.reasons[0]?.message).to.include("2 tools (ffuf, nmap)");
    });

    it("holds for ICMP, TCP and UDP from one source", () => {
      const result = decide(quiet({ activity: { transports: ["tcp", "udp", "icmp"] } }));
      expect(codes(result)).to.deep.equal(["several-methods"]);
      expect(result.reasons[0]?.message).to.include("3 transports (tcp, udp, icmp)");
    });

    it("does not hold for one rule, one tool and two transports", () => {
      expect(
        codes(decide(quiet({ ids: [signature({})], activity: { transports: ["tcp", "icmp"] } }))),
      ).to.deep.equal([]);
    });
  });

  describe("rate-limit evasion", () => {
    it("evasion-slow-scan holds for 5 probes each at least 3 s apart, not for 4", () => {
      const slow = decide(quiet({ activity: { slowestRun: { probes: 5, minGapMs: 4000 } } }));
      expect(codes(slow)).to.deep.equal(["evasion-slow-scan"]);
      expect(slow.reasons[0]?.message).to.include("5 probes").and.to.include("4 s");
      expect(codes(decide(quiet({ activity: { slowestRun: { probes: 4, minGapMs: 4000 } } })))).to.deep.equal(
        [],
      );
    });

    it("evasion-fragmentation holds when the IDS flagged tiny fragments from the source", () => {
      const result = decide(
        quiet({
          ids: [
            signature({
              id: "9101010",
              name: "SCANPROOF tiny IP fragments",
              tools: [],
              evasion: ["fragmentation"],
            }),
          ],
        }),
      );
      expect(codes(result)).to.deep.equal(["evasion-fragmentation"]);
      expect(result.reasons[0]?.message).to.include("9101010");
    });

    it("evasion-source-port holds for probes from port 53 to 10 destination ports (firewall), not 9", () => {
      const at = (n: number) =>
        quiet({ activity: { trustedSourcePorts: [{ port: 53, probes: n, destinationPorts: n }] } });
      const result = decide(at(10));
      expect(codes(result)).to.deep.equal(["evasion-source-port"]);
      expect(result.reasons[0]?.message).to.include("source port 53 to 10 destination ports (firewall)");
      expect(codes(decide(at(9)))).to.deep.equal([]);
    });

    it("evasion-source-port also holds on the IDS signature alone", () => {
      const result = decide(
        quiet({
          ids: [
            signature({
              id: "9101011",
              name: "SCANPROOF SYN scan from a trusted source port",
              tools: [],
              evasion: ["source-port"],
            }),
          ],
        }),
      );
      expect(codes(result)).to.deep.equal(["evasion-source-port"]);
      expect(result.reasons[0]?.message).to.include("IDS 9101011");
    });

    it("evasion-decoys holds when another source probed 20 of the same ports at the same time, not 19", () => {
      const result = decide(quiet({ decoys: [{ source: "198.18.0.20", sharedPorts: 20 }] }));
      expect(codes(result)).to.deep.equal(["evasion-decoys"]);
      expect(result.reasons[0]?.message).to.include("198.18.0.20 (20 ports)");
      expect(codes(decide(quiet({ decoys: [{ source: "198.18.0.20", sharedPorts: 19 }] })))).to.deep.equal(
        [],
      );
    });
  });

  describe("known-vulnerable-service", () => {
    it("holds when a probed declared service has known CVEs", () => {
      const result = decide(
        quiet({
          source: "192.0.2.9",
          targets: [BASTION],
          activity: { probedPorts: [{ address: BASTION, port: 22, protocol: "tcp", probes: 2 }] },
        }),
        enrichedContext(),
      );
      expect(codes(result)).to.deep.equal(["critical-target", "known-vulnerable-service"]);
      expect(result.reasons[1]?.message)
        .to.include("ssh-bastion 22/tcp (OpenSSH 9.2p1)")
        .and.to.include("CVE-2024-6387");
      expect(result.enrichment.targetedServices).to.deep.equal([
        {
          asset: "ssh-bastion",
          address: BASTION,
          port: 22,
          protocol: "tcp",
          product: "OpenSSH",
          version: "9.2p1",
          cves: ["CVE-2024-6387"],
          probes: 2,
        },
      ]);
    });

    it("does not hold for a probed service without CVEs, which is still listed", () => {
      const result = decide(
        quiet({ activity: { probedPorts: [{ address: WEB, port: 80, protocol: "tcp", probes: 1 }] } }),
      );
      expect(codes(result)).to.deep.equal([]);
      expect(result.enrichment.targetedServices.map((s) => s.asset)).to.deep.equal(["public-web"]);
    });
  });

  describe("exploit-attempt", () => {
    // The recorded scan ran from 17:39:30.268 to 17:39:30.809; the exploit window is 15 minutes.
    const exploit = (firstSeen: string, overrides: Partial<IdsSignature> = {}) =>
      signature({
        id: "9101020",
        name: "SCANPROOF exploit attempt: directory traversal to /etc/passwd",
        category: "Web Application Attack",
        tools: [],
        firstSeen,
        lastSeen: firstSeen,
        ...overrides,
      });

    it("links an exploit-category IDS alert after the scan and escalates", () => {
      const result = decide(quiet({ ids: [exploit("2026-11-28T17:39:34.809Z")] }));
      expect(codes(result)).to.deep.equal(["exploit-attempt"]);
      expect(result.reasons[0]?.message).to.include("9101020").and.to.include("Web Application Attack");
      expect(result.enrichment.exploitAttempts.map((s) => s.id)).to.deep.equal(["9101020"]);
    });

    it("ignores one before the scan began, and links one at the moment it began", () => {
      expect(codes(decide(quiet({ ids: [exploit("2026-11-28T17:39:30.267Z")] })))).to.deep.equal([]);
      expect(codes(decide(quiet({ ids: [exploit("2026-11-28T17:39:30.268Z")] })))).to.deep.equal([
        "exploit-attempt",
      ]);
    });

    it("links one at the end of the exploit window and ignores one just after it", () => {
      expect(codes(decide(quiet({ ids: [exploit("2026-11-28T17:54:30.809Z")] })))).to.deep.equal([
        "exploit-attempt",
      ]);
      expect(codes(decide(quiet({ ids: [exploit("2026-11-28T17:54:30.810Z")] })))).to.deep.equal([]);
    });

    it("ignores reconnaissance categories", () => {
      const recon = exploit("2026-11-28T17:39:34.809Z", { category: "Attempted Information Leak" });
      expect(codes(decide(quiet({ ids: [recon] })))).to.deep.equal([]);
    });
  });

  describe("the recorded runs of the evasion and exploit scenarios", () => {
    it("escalates scenarios/evasion-techniques.yaml with a reason for each evasion", () => {
      expect(codes(decide(factsFixture("evasion-techniques")))).to.deep.equal([
        "external-never-seen",
        "range-of-services",
        "evasion-slow-scan",
        "evasion-fragmentation",
        "evasion-source-port",
        "evasion-decoys",
      ]);
    });

    it("escalates scenarios/scan-then-exploit.yaml for the linked exploit attempt", () => {
      const result = decide(factsFixture("scan-then-exploit"));
      expect(codes(result)).to.deep.equal(["external-never-seen", "range-of-services", "exploit-attempt"]);
      expect(result.enrichment.exploitAttempts.map((s) => s.id)).to.deep.equal(["9101020"]);
    });
  });

  describe("malicious-reputation", () => {
    it("holds when the intel file lists the source as a bot with enough confidence", () => {
      const result = decide(quiet(), enrichedContext());
      expect(codes(result)).to.deep.equal(["malicious-reputation"]);
      expect(result.reasons[0]?.message).to.include("botnet").and.to.include("confidence 90");
    });

    it("uses the most specific entry: a neighbour in the /24 is only suspicious", () => {
      const result = decide(quiet({ source: "198.18.0.11" }), enrichedContext());
      expect(codes(result)).to.deep.equal([]);
      expect(result.enrichment.reputation.verdict).to.equal("suspicious");
    });

    it("says nothing for an entry below the confidence threshold", () => {
      const result = decide(quiet({ source: "198.18.0.20" }), enrichedContext());
      expect(result.enrichment.reputation.verdict).to.equal("unknown");
      expect(result.enrichment.reputation.message).to.include("below the confidence of 80");
    });

    it("says nothing for an entry older than max_age", () => {
      const result = decide(quiet({ source: "198.18.0.21" }), enrichedContext());
      expect(result.enrichment.reputation.verdict).to.equal("unknown");
      expect(result.enrichment.reputation.message).to.include("too old");
    });

    it("calls a research scanner benign", () => {
      expect(
        decide(quiet({ source: "198.18.0.22" }), enrichedContext()).enrichment.reputation.verdict,
      ).to.equal("benign");
    });
  });

  describe("allow list", () => {
    it("suppresses a source inside an allow-listed CIDR during its engagement window", () => {
      const result = decide(scan({ source: "198.18.0.12" }), allowListContext());
      expect(result.tier).to.equal("suppressed");
      expect(codes(result)).to.deep.equal(["authorised-scanner"]);
    });

    it("names the source, owner, purpose and window in the authorised-scanner reason", () => {
      const [reason] = decide(scan(), allowListContext()).reasons;
      expect(reason?.message)
        .to.include(ATTACKER)
        .and.to.include("red team")
        .and.to.include("external penetration test")
        .and.to.include("from 2026-11-01 until 2026-11-30");
    });

    it("suppresses on the first and the last day of the window", () => {
      const context = allowListContext();
      const on = (lastSeen: string) => decide(scan({ detection: { lastSeen } }), context).tier;
      expect(on("2026-11-01T00:00:00.000Z")).to.equal("suppressed");
      expect(on("2026-11-30T23:59:59.000Z")).to.equal("suppressed");
    });

    it("escalates the day before the window opens as an authorised scanner outside its window", () => {
      const result = decide(
        scan({ detection: { lastSeen: "2026-10-31T23:59:59.000Z" } }),
        allowListContext(),
      );
      expect(result.tier).to.equal("tier2");
      expect(codes(result)).to.include("authorised-scanner-outside-window");
      expect(result.reasons[0]?.message)
        .to.include("red team")
        .and.to.include("outside its engagement window");
    });

    it("escalates the day after the window closes", () => {
      const result = decide(
        quiet({ detection: { lastSeen: "2026-12-01T00:00:00.000Z" } }),
        allowListContext(),
      );
      expect(result.tier).to.equal("tier2");
      expect(codes(result)).to.deep.equal(["authorised-scanner-outside-window"]);
    });

    it("does not suppress an address just outside the allow-listed CIDR", () => {
      const result = decide(scan({ source: "198.18.0.16" }), allowListContext());
      expect(result.tier).to.equal("tier2");
      expect(codes(result)).to.not.include("authorised-scanner-outside-window");
    });

    it("suppresses a single allow-listed address without a window, even against a critical asset", () => {
      const result = decide(
        scan({
          source: "10.20.0.50",
          targets: [BASTION],
          detection: { lastSeen: "2031-01-01T00:00:00.000Z" },
        }),
        allowListContext(),
      );
      expect(result.tier).to.equal("suppressed");
      expect(result.reasons[0]?.message).to.include("10.20.0.50").and.to.include("vulnerability management");
    });

    it("does not suppress the neighbour of a single allow-listed address", () => {
      const result = decide(quiet({ source: "10.20.0.51", targets: [BASTION] }), allowListContext());
      expect(result.tier).to.equal("tier2");
      expect(codes(result)).to.deep.equal(["critical-target"]);
    });
  });

  describe("declared infrastructure", () => {
    const MONITOR = "10.30.0.50";
    const BACKUP = "10.30.0.60";
    const context = () => loadContext(fixture("context", "infrastructure.yaml"));
    const monitoring = (
      services: EscalationFacts["activity"]["services"],
      targets: readonly string[] = [WEB, BASTION],
    ) =>
      quiet({
        source: MONITOR,
        targets: [...targets],
        activity: {
          targets: [...targets],
          services,
          distinctPorts: 40,
          transports: services.map((s) => s.transport),
        },
      });
    const checks = [
      { transport: "tcp", ports: [22, 25, 80, 443, ...Array.from({ length: 36 }, (_, i) => 8000 + i)] },
      { transport: "icmp", ports: [] },
    ];

    it("ends a monitor's many-port checks of a critical host at its declared tier, with the reason", () => {
      const result = decide(monitoring(checks), context());
      expect(result.tier).to.equal("l1");
      expect(codes(result)).to.deep.equal(["declared-infrastructure"]);
      expect(result.reasons[0]?.message)
        .to.include("NOC")
        .and.to.include('"nagios"')
        .and.to.include("22/tcp");
      expect(result.enrichment.infrastructure?.outside).to.deep.equal([]);
    });

    it("is inside when any declaration of the source holds it: one host, two roles", () => {
      const result = decide(monitoring([{ transport: "tcp", ports: [873] }], [WEB]), context());
      expect(result.tier).to.equal("suppressed");
      expect(result.reasons[0]?.message).to.include('"nagios-rsync"');
      const neither = decide(monitoring([{ transport: "tcp", ports: [22, 873] }], [WEB]), context());
      expect(neither.tier).to.equal("tier2");
    });

    it("escalates probes of a protocol the firewall logs by number only", () => {
      const result = decide(
        monitoring([...checks, { transport: "other IP protocol", ports: [] }]),
        context(),
      );
      expect(result.enrichment.infrastructure?.outside).to.deep.equal([
        "sent other IP protocol probes, and it declares no other IP protocol service",
      ]);
    });

    it("suppresses by default, inside the declared days and hours", () => {
      const backup = quiet({
        source: BACKUP,
        targets: [WEB, BASTION],
        activity: { targets: [WEB, BASTION], services: [{ transport: "tcp", ports: [22] }] },
      });
      const result = decide(backup, context());
      expect(result.tier).to.equal("suppressed");
      expect(codes(result)).to.deep.equal(["declared-infrastructure"]);
    });

    it("escalates the same monitor probing undeclared ports, naming them, beside the usual reasons", () => {
      const result = decide(
        monitoring([{ transport: "tcp", ports: [22, 23, 80, 3389] }, ...checks.slice(1)]),
        context(),
      );
      expect(result.tier).to.equal("tier2");
      expect(codes(result)).to.include.members(["infrastructure-outside-declaration", "critical-target"]);
      expect(result.reasons[0]?.message)
        .to.include('"nagios"')
        .and.to.include("2 undeclared tcp ports (23, 3389)");
    });

    it("escalates a protocol it does not declare, and hosts outside its targets", () => {
      const udp = decide(monitoring([...checks, { transport: "udp", ports: [161, 514] }]), context());
      expect(udp.enrichment.infrastructure?.outside).to.deep.equal(["probed 1 undeclared udp port (514)"]);
      const sctp = decide(monitoring([...checks, { transport: "sctp", ports: [80] }]), context());
      expect(sctp.enrichment.infrastructure?.outside).to.deep.equal([
        "sent sctp probes, and it declares no sctp service",
      ]);
      const away = decide(monitoring(checks, [WEB, "10.40.0.5"]), context());
      expect(away.tier).to.equal("tier2");
      expect(away.enrichment.infrastructure?.outside).to.deep.equal([
        "probed 1 host (10.40.0.5) outside its declared targets (10.20.0.0/24)",
      ]);
    });

    it("judges every probed port, however many: all 65,535 declared is inside, thousands undeclared are named", () => {
      const every = Array.from({ length: 65_535 }, (_, i) => i + 1);
      const audit = quiet({
        source: "10.30.0.70",
        activity: { targets: [WEB], services: [{ transport: "tcp", ports: every }], distinctPorts: 65_535 },
      });
      expect(decide(audit, context()).tier).to.equal("suppressed");
      const nagios = decide(monitoring([{ transport: "tcp", ports: every.slice(0, 5000) }]), context());
      expect(nagios.enrichment.infrastructure?.outside).to.deep.equal([
        "probed 4996 undeclared tcp ports (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, and 4986 more)",
      ]);
    });

    it("escalates the backup host off its schedule in any minute of its activity: another hour, another day", () => {
      const at = (...minutes: string[]) =>
        decide(
          quiet({
            source: BACKUP,
            targets: [BASTION],
            detection: { firstSeen: minutes[0] ?? "", lastSeen: minutes.at(-1) ?? "" },
            activity: {
              targets: [BASTION],
              services: [{ transport: "tcp", ports: [22] }],
              firstSeen: minutes[0] ?? "",
              lastSeen: minutes.at(-1) ?? "",
              minutes,
            },
          }),
          context(),
        );
      expect(at("2026-11-28T17:00:00.000Z", "2026-11-28T18:00:00.000Z").tier).to.equal("suppressed");
      const late = at("2026-11-28T17:50:00.000Z", "2026-11-28T18:01:00.000Z");
      expect(late.tier).to.equal("tier2");
      expect(late.enrichment.infrastructure?.outside).to.deep.equal([
        "active in 1 minute (2026-11-28T18:01:00.000Z) outside its hours (17:00-18:00 UTC)",
      ]);
      const detour = at("2026-11-28T17:10:00.000Z", "2026-11-28T19:30:00.000Z", "2026-11-28T17:20:00.000Z");
      expect(detour.enrichment.infrastructure?.outside).to.deep.equal([
        "active in 1 minute (2026-11-28T19:30:00.000Z) outside its hours (17:00-18:00 UTC)",
      ]);
      const sunday = at("2026-11-29T17:10:00.000Z", "2026-11-29T17:20:00.000Z");
      expect(sunday.enrichment.infrastructure?.outside).to.deep.equal([
        "active in 2 minutes (2026-11-29T17:10:00.000Z, 2026-11-29T17:20:00.000Z) on sun 2026-11-29, outside its days (mon, tue, wed, thu, fri, sat)",
      ]);
    });

    it("still escalates exploit attempts from a host acting inside its declaration", () => {
      const result = decide(
        {
          ...monitoring(checks),
          ids: [
            signature({
              id: "9101020",
              name: "directory traversal",
              category: "Web Application Attack",
              firstSeen: "2026-11-28T17:39:31.000Z",
            }),
          ],
        },
        context(),
      );
      expect(result.tier).to.equal("tier2");
      expect(codes(result)).to.deep.equal(["exploit-attempt"]);
    });

    it("names the file, the place and what was expected for a malformed declaration", () => {
      const file = fixture("context", "bad-infrastructure.yaml");
      const { problems } = inputErrorOf(() => loadContext(file));
      expect(problems.map((p) => [p.file, p.path, p.line])).to.deep.equal([
        [shownAs(file), "infrastructure[0].services[1]", 9],
        [shownAs(file), "infrastructure[0].schedule.hours", 10],
      ]);
      expect(problems[0]?.message).to.include('"22/tcpx"').and.to.include('"1-1024/tcp"');
      expect(problems[1]?.message).to.include("01:00-03:30");
    });
  });

  it("has a test above for every reason code", () => {
    const tested = [
      "authorised-scanner",
      "authorised-scanner-outside-window",
      "external-never-seen",
      "critical-target",
      "persistent-activity",
      "range-of-services",
      "several-methods",
      "evasion-slow-scan",
      "evasion-fragmentation",
      "evasion-source-port",
      "evasion-decoys",
      "known-vulnerable-service",
      "exploit-attempt",
      "malicious-reputation",
      "declared-infrastructure",
      "infrastructure-outside-declaration",
      // post-scan-login, -outbound, -exfiltration and -follow-up: test/unit/post-scan.test.ts
      "post-scan-login",
      "post-scan-outbound",
      "post-scan-exfiltration",
      "post-scan-follow-up",
    ];
    expect([...REASON_CODES].sort()).to.deep.equal(tested.sort());
  });
});

describe("loadContext", () => {
  it("loads assertions/context/default.yaml with its enrichment files", () => {
    const context = defaultContext();
    expect(context.internal_networks).to.deep.equal(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]);
    expect(context.assets.map((a) => a.name)).to.deep.equal([
      "ssh-bastion",
      "public-web",
      "dmz-resolver",
      "mail-relay",
      "public-ftp",
      "dmz-file-server",
      "legacy-terminal",
      "dmz-switch",
      "orders-database",
      "secure-web",
    ]);
    expect(context.history_window).to.equal(30 * DAY);
    expect(context.intel?.addresses.length).to.be.greaterThan(0);
    expect(context.advisories?.advisories.map((a) => a.cve)).to.include("CVE-2024-6387");
    expect(context.patterns?.patterns.map((p) => p.name)).to.include("mirai-telnet-sweep");
  });

  it("converts durations to milliseconds and keeps allow-list dates", () => {
    const context = allowListContext();
    expect(context.history_window).to.equal(14 * DAY);
    expect(context.allow_list[0]).to.include({
      source: "198.18.0.0/28",
      valid_from: "2026-11-01",
      valid_until: "2026-11-30",
    });
  });

  it("defaults every threshold and leaves the lists empty", () => {
    const context = loadContext(fixture("context", "minimal.yaml"));
    expect(context).to.deep.include({ assets: [], allow_list: [], history_window: 30 * DAY });
    expect(context.escalation).to.deep.equal({
      activity_window: DAY,
      activity_gap: 30 * 60_000,
      persistence: { min_duration: 30 * 60_000, min_active_days: 2 },
      range_of_services: { min_ports: 20 },
      several_methods: { min_subtechniques: 2, min_tools: 2, min_transports: 3 },
      slow_scan: { min_probes: 5, min_interval: 3000 },
      trusted_source_ports: { ports: [20, 53, 67, 88], min_ports: 10 },
      decoys: { min_shared_ports: 20 },
      exploit_window: 15 * 60_000,
      post_scan: {
        window: DAY,
        transfer: { min_bytes: 1_048_576 },
        ephemeral_ports: { from: 32768, to: 65535 },
      },
      exploit_categories: [
        "Web Application Attack",
        "Attempted Administrator Privilege Gain",
        "Attempted User Privilege Gain",
        "Executable code was detected",
        "A Network Trojan was detected",
      ],
      advisory_recency: 90 * DAY,
      reputation: { min_confidence: 70 },
    });
    expect(context.intel).to.equal(undefined);
  });

  it("states the default thresholds in assertions/context/default.yaml", () => {
    expect(defaultContext().escalation).to.deep.equal(
      loadContext(fixture("context", "minimal.yaml")).escalation,
    );
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
        message: 'octet 2 "300" is above 255; expected an IPv4 address or CIDR such as 10.0.0.0/8',
      });
    });

    it("reports an unknown key at its line", () => {
      const p = inputErrorOf(() => loadContext(path)).problems.find(
        (x) => x.message === 'unknown key "owner"',
      );
      expect(lineOf(path, 9)).to.equal("    owner: platform team");
      expect(p).to.include({ file: shownAs(path), line: 9, path: "assets[0]" });
    });

    it("reports a history window that is not a duration", () => {
      const p = inputErrorOf(() => loadContext(path)).problems.find((x) => x.path === "history_window");
      expect(lineOf(path, 11)).to.equal("history_window: 30 days");
      expect(p).to.include({ line: 11, column: 17 });
      expect(p?.message).to.include('"30d"');
    });

    it("reports all three problems at once", () => {
      expect(inputErrorOf(() => loadContext(path)).problems).to.have.lengthOf(3);
    });
  });

  describe("invalid enrichment files", () => {
    const path = fixture("context", "broken-enrichment.yaml");
    const problems = () => inputErrorOf(() => loadContext(path)).problems;
    const intel = fixture("enrichment", "invalid-intel.yaml");
    const patterns = fixture("enrichment", "invalid-patterns.yaml");

    it("reports a missing file at the line of the context that names it", () => {
      expect(lineOf(path, 5)).to.equal("  advisories: ../enrichment/no-such-file.yaml");
      expect(problems().find((p) => p.path === "enrichment.advisories")).to.deep.equal({
        file: shownAs(path),
        line: 5,
        column: 15,
        path: "enrichment.advisories",
        message: "../enrichment/no-such-file.yaml does not exist (paths are relative to this file)",
      });
    });

    it("reports every problem of the intel file in that file", () => {
      const inIntel = problems().filter((p) => p.file === shownAs(intel));
      expect(inIntel.map((p) => [p.line, p.path])).to.deep.equal([
        [2, "addresses[0].source"],
        [3, "addresses[0].category"],
        [4, "addresses[0].confidence"],
        [5, "addresses[0].last_seen"],
      ]);
      expect(inIntel.find((p) => p.path === "addresses[0].last_seen")?.message).to.equal(
        "a date such as 2026-11-28",
      );
    });

    it("reports a pattern without conditions, a bad name, a bad confidence and a bad port list", () => {
      const inPatterns = problems().filter((p) => p.file === shownAs(patterns));
      const byPath = new Map(inPatterns.map((p) => [p.path, p]));
      expect(byPath.get("patterns[0]")).to.include({ line: 2 });
      expect(byPath.get("patterns[0]")?.message).to.include("at least one of ports");
      expect(byPath.get("patterns[1].name")).to.include({ line: 6 });
      expect(byPath.get("patterns[1].confidence")).to.include({ line: 9 });
      expect(byPath.get("patterns[1].ports")).to.include({ line: 10 });
      expect(inPatterns).to.have.lengthOf(4);
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
