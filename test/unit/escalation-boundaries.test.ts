import { expect } from "chai";
import { matchAdvisories, type AdvisoriesFile } from "../../harness/context/advisories.js";
import { checkReputation, type IntelFile } from "../../harness/context/intel.js";
import type { Asset } from "../../harness/context/inventory.js";
import { formatDuration } from "../../harness/context/durations.js";
import { longestSpacedRun } from "../../harness/escalation/pace.js";
import {
  matchPatterns,
  PatternsSchema,
  type PatternsFile,
  type ScanShape,
} from "../../harness/context/patterns.js";
import { targetedServices, type ProbedPort } from "../../harness/context/services.js";

/**
 * The edges of the escalation's decisions: each threshold of the playbook holds at exactly its
 * value and not one step past it, and each match compares every field it names.
 */

const DAY = 86_400_000;
const AT = new Date("2026-11-28T00:00:00.000Z");
const SOURCE = "198.18.0.10";
const WEB = "10.20.0.10";

describe("escalation thresholds at their edges", function () {
  describe("reputation", function () {
    const intel = (confidence: number, lastSeen = "2026-11-27"): IntelFile => ({
      file: "intel.yaml",
      addresses: [{ source: SOURCE, category: "botnet", confidence, last_seen: lastSeen }],
    });

    it("counts an entry of exactly the minimum confidence, and not one point below it", function () {
      expect(checkReputation(SOURCE, intel(70), { min_confidence: 70 }, AT).verdict).to.equal("malicious");
      expect(checkReputation(SOURCE, intel(69), { min_confidence: 70 }, AT).verdict).to.equal("unknown");
    });

    it("counts an entry last seen exactly max_age ago, and not a moment older", function () {
      const policy = { min_confidence: 0, max_age: 7 * DAY };
      expect(checkReputation(SOURCE, intel(90, "2026-11-21"), policy, AT).verdict).to.equal("malicious");
      const later = new Date(AT.getTime() + 1);
      expect(checkReputation(SOURCE, intel(90, "2026-11-21"), policy, later)).to.deep.include({
        verdict: "unknown",
        message:
          "intel.yaml lists 198.18.0.10 as botnet (confidence 90, last seen 2026-11-21): too old to count",
      });
      expect(checkReputation(SOURCE, intel(90, "2020-01-01"), { min_confidence: 0 }, AT).verdict).to.equal(
        "malicious",
      );
    });

    it("lets the most specific entry decide: a /32 over its /24", function () {
      const both: IntelFile = {
        file: "intel.yaml",
        addresses: [
          { source: "198.18.0.0/24", category: "botnet", confidence: 90, last_seen: "2026-11-27" },
          { source: `${SOURCE}/32`, category: "research", confidence: 90, last_seen: "2026-11-27" },
        ],
      };
      expect(checkReputation(SOURCE, both, { min_confidence: 0 }, AT).verdict).to.equal("benign");
      expect(checkReputation("198.18.0.11", both, { min_confidence: 0 }, AT).verdict).to.equal("malicious");
    });
  });

  describe("slow scans", function () {
    const single = (...seconds: number[]) => seconds.map((s) => ({ at: s * 1000, probes: 1 }));

    it("continues a run at a gap of exactly the minimum interval, and breaks it at one less", function () {
      expect(longestSpacedRun(single(0, 3, 6, 9), 3000)).to.deep.equal({ probes: 4, minGapMs: 3000 });
      expect(longestSpacedRun(single(0, 3, 5.999, 9), 3000)).to.deep.equal({ probes: 2, minGapMs: 3000 });
    });

    it("starts a run after a burst afresh: the gap from the burst is no gap of the run", function () {
      const afterBurst = [{ at: 0, probes: 5 }, ...single(3, 8)];
      expect(longestSpacedRun(afterBurst, 3000)).to.deep.equal({ probes: 2, minGapMs: 5000 });
    });

    it("keeps the first of two equally long runs, and reports a lone probe without a gap", function () {
      expect(longestSpacedRun(single(0, 5, 6, 10), 3000)).to.deep.equal({ probes: 2, minGapMs: 5000 });
      expect(longestSpacedRun(single(0), 3000)).to.deep.equal({ probes: 1 });
    });
  });

  describe("advisories", function () {
    const probed: ProbedPort[] = [{ address: WEB, port: 22, protocol: "tcp", probes: 3 }];
    const advisories = (published: string, port?: number): AdvisoriesFile => ({
      file: "advisories.yaml",
      advisories: [
        {
          cve: "CVE-2024-6387",
          product: "OpenSSH",
          published,
          title: "regreSSHion",
          ...(port ? { port } : {}),
        },
      ],
    });
    const cves = (file: AdvisoriesFile, inventory: readonly Asset[] = []) =>
      matchAdvisories(probed, inventory, file, 30 * DAY, AT).map((m) => `${m.cve} by ${m.matchedBy}`);
    const web = (services: Asset["services"]): Asset[] => [
      { name: "web", address: WEB, criticality: "high", why: "", services },
    ];

    it("counts an advisory published exactly `recency` ago or today, not earlier and not yet published", function () {
      expect(cves(advisories("2026-10-29", 22))).to.deep.equal(["CVE-2024-6387 by port"]);
      expect(cves(advisories("2026-11-28", 22))).to.deep.equal(["CVE-2024-6387 by port"]);
      expect(cves(advisories("2026-10-28", 22))).to.deep.equal([]);
      expect(cves(advisories("2026-11-29", 22))).to.deep.equal([]);
    });

    it("matches nothing without an advisories file", function () {
      expect(matchAdvisories(probed, [], undefined, 30 * DAY, AT)).to.deep.equal([]);
    });

    it("takes the product of the service on the probed port and transport", function () {
      const udp = { port: 22, protocol: "udp" as const, product: "OpenSSH", cves: [] };
      const tcp = { port: 22, protocol: "tcp" as const, product: "nginx", cves: [] };
      expect(cves(advisories("2026-11-20"), web([udp, tcp]))).to.deep.equal([]);
      expect(cves(advisories("2026-11-20"), web([{ ...udp, protocol: "tcp" }, tcp]))).to.deep.equal([
        "CVE-2024-6387 by product",
      ]);
    });

    it("matches by product only the service on the probed port, and only on the advisory's port", function () {
      const ssh = { port: 22, protocol: "tcp" as const, product: "OpenSSH", cves: [] };
      const other = { port: 2222, protocol: "tcp" as const, product: "OpenSSH", cves: [] };
      expect(cves(advisories("2026-11-20"), web([ssh]))).to.deep.equal(["CVE-2024-6387 by product"]);
      expect(cves(advisories("2026-11-20"), web([other, { ...ssh, product: "nginx" }]))).to.deep.equal([]);
      expect(cves(advisories("2026-11-20", 2222), web([ssh]))).to.deep.equal([]);
    });
  });

  describe("targeted services", function () {
    const inventory: Asset[] = [
      {
        name: "web",
        address: WEB,
        criticality: "high",
        why: "",
        services: [{ port: 80, protocol: "tcp", product: "nginx", version: "1.22.1", cves: [] }],
      },
    ];

    it("counts a probe of the declared address, port and transport, and no other", function () {
      const probe = (address: string, port: number, protocol: string) => [
        { address, port, protocol, probes: 4 },
      ];
      expect(targetedServices(inventory, probe(WEB, 80, "tcp"))).to.deep.equal([
        {
          asset: "web",
          address: WEB,
          port: 80,
          protocol: "tcp",
          product: "nginx",
          version: "1.22.1",
          cves: [],
          probes: 4,
        },
      ]);
      expect(targetedServices(inventory, probe(WEB, 81, "tcp"))).to.deep.equal([]);
      expect(targetedServices(inventory, probe(WEB, 80, "udp"))).to.deep.equal([]);
      expect(targetedServices(inventory, probe("10.20.0.11", 80, "tcp"))).to.deep.equal([]);
    });

    it("names no product or version the inventory does not declare", function () {
      const [web] = inventory;
      if (!web) throw new Error("the inventory declares the web asset");
      const bare: Asset[] = [{ ...web, services: [{ port: 80, protocol: "tcp", cves: [] }] }];
      expect(targetedServices(bare, [{ address: WEB, port: 80, protocol: "tcp", probes: 1 }])).to.deep.equal([
        { asset: "web", address: WEB, port: 80, protocol: "tcp", cves: [], probes: 1 },
      ]);
    });
  });

  describe("scanning patterns", function () {
    const shape: ScanShape = {
      transports: ["tcp"],
      distinctPorts: 100,
      targets: 2,
      probes: 200,
      durationMs: 10_000,
    };
    const patterns = (condition: Record<string, unknown>): PatternsFile => ({
      file: "patterns.yaml",
      patterns: [{ name: "p", tool: "nmap", description: "", confidence: "medium", ...condition }],
    });
    const matches = (condition: Record<string, unknown>, s: ScanShape = shape) =>
      matchPatterns(s, patterns(condition)).map((m) => m.because);

    it("holds each bound at exactly its value and not one step past it", function () {
      expect(matches({ min_ports: 100 })).to.deep.equal([["100 ports ≥ 100"]]);
      expect(matches({ min_ports: 101 })).to.deep.equal([]);
      expect(matches({ max_ports: 100 })).to.deep.equal([["100 ports ≤ 100"]]);
      expect(matches({ max_ports: 99 })).to.deep.equal([]);
      expect(matches({ min_targets: 2 })).to.deep.equal([["2 targets ≥ 2"]]);
      expect(matches({ min_targets: 3 })).to.deep.equal([]);
      expect(matches({ min_rate: 20 })).to.deep.equal([["20.0 probes/s ≥ 20"]]);
      expect(matches({ min_rate: 20.5 })).to.deep.equal([]);
      expect(matches({ max_rate: 20 })).to.deep.equal([["20.0 probes/s ≤ 20"]]);
      expect(matches({ max_rate: 19.5 })).to.deep.equal([]);
    });

    it("matches nothing without a patterns file", function () {
      expect(matchPatterns(shape, undefined)).to.deep.equal([]);
    });

    it("refuses a pattern whose min_ports exceeds its port list, and takes one that equals it", function () {
      const file = (min_ports: number) => ({
        patterns: [
          { name: "p", tool: "mirai", description: "d", confidence: "high", ports: "23,2323", min_ports },
        ],
      });
      expect(PatternsSchema.safeParse(file(2)).success).to.equal(true);
      const refused = PatternsSchema.safeParse(file(3));
      expect(refused.error?.issues.map((i) => i.message)).to.deep.equal([
        "3 is more than the 2 ports the pattern allows, so it can never match; expected at most 2",
      ]);
    });

    it("needs every condition of a pattern to hold", function () {
      expect(matches({ min_ports: 50, max_ports: 60 })).to.deep.equal([]);
      expect(matches({ min_ports: 50, max_rate: 10 })).to.deep.equal([]);
      expect(matches({ min_ports: 50, min_rate: 10 })).to.deep.equal([
        ["100 ports ≥ 50", "20.0 probes/s ≥ 10"],
      ]);
    });

    it("matches a transport only when it is the only one, and a port set only when every port is in it", function () {
      expect(matches({ transport: "tcp", min_ports: 1 })).to.deep.equal([["only tcp", "100 ports ≥ 1"]]);
      expect(matches({ transport: "udp", min_ports: 1 })).to.deep.equal([]);
      expect(
        matches({ transport: "tcp", min_ports: 1 }, { ...shape, transports: ["tcp", "udp"] }),
      ).to.deep.equal([]);
      const telnet = { ...shape, distinctPorts: 2, ports: [23, 2323] };
      expect(matches({ ports: [23, 2323, 8023] }, telnet)).to.deep.equal([
        ["ports 23, 2323 all in the pattern's set"],
      ]);
      expect(matches({ ports: [23] }, telnet)).to.deep.equal([]);
      expect(matches({ ports: [23] }, { ...telnet, ports: [] })).to.deep.equal([]);
      expect(matches({ ports: [23] }, shape)).to.deep.equal([]);
    });
  });

  describe("durations as people read them", function () {
    it("writes the largest unit that divides the duration", function () {
      expect(
        [DAY, 2 * DAY, 3_600_000, 25 * 3_600_000, 90 * 60_000, 60_000, 1500, 0].map(formatDuration),
      ).to.deep.equal(["1 day", "2 days", "1 h", "25 h", "90 min", "1 min", "1.5 s", "0 s"]);
    });
  });
});
