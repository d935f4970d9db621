import { expect } from "chai";
import { readFileSync } from "node:fs";
import { ScanproofError } from "../../harness/core/errors.js";
import { expandPortList, parseNmapXml } from "../../harness/scanners/nmap.js";
import { fixture, thrownBy } from "./fixture-helpers.js";

const xml = (name: string): string => readFileSync(fixture("nmap", name), "utf8");

describe("expandPortList", () => {
  it("expands single ports and ranges in order", () => {
    expect(expandPortList("1,3-4,6-7,9")).to.deep.equal([1, 3, 4, 6, 7, 9]);
  });

  it("reads a single port", () => {
    expect(expandPortList("80")).to.deep.equal([80]);
  });

  it("reads an empty list as no ports", () => {
    expect(expandPortList("")).to.deep.equal([]);
  });

  it("refuses an entry that is not a number", () => {
    const error = thrownBy(() => expandPortList("22,http,80"));
    expect(error).to.be.instanceOf(ScanproofError);
    expect(error.message).to.include('"http"');
  });
});

describe("parseNmapXml", () => {
  describe("a SYN scan of the top 1000 TCP ports (nmap 7.93 -oX)", () => {
    const report = parseNmapXml(xml("syn-top1000.xml"));

    it("scanned exactly 1000 distinct TCP ports", () => {
      expect(report.scanned).to.have.lengthOf(1);
      expect(report.scanned[0]?.protocol).to.equal("tcp");
      expect(report.scanned[0]?.ports).to.have.lengthOf(1000);
      expect(new Set(report.scanned[0]?.ports).size).to.equal(1000);
    });

    it("expands the services list from its first to its last entry", () => {
      const ports = report.scanned[0]?.ports ?? [];
      expect(ports.slice(0, 8)).to.deep.equal([1, 3, 4, 6, 7, 9, 13, 17]);
      expect(ports.at(-1)).to.equal(65389);
      expect(ports).to.include.members([22, 80, 443, 3389]);
    });

    it("finds the one host up with port 80 open", () => {
      expect(report.hosts).to.deep.equal([{ address: "10.20.0.10", up: true, openPorts: [80] }]);
    });

    it("takes the start from nmaprun and the end from runstats/finished", () => {
      expect(report.startedAt).to.equal("2026-11-28T12:59:58.000Z");
      expect(report.endedAt).to.equal("2026-11-28T13:00:12.000Z");
    });
  });

  describe("a TCP and UDP scan of two hosts, one down", () => {
    const report = parseNmapXml(xml("tcp-udp-one-host-down.xml"));

    it("keeps one entry per scaninfo, with its protocol", () => {
      expect(report.scanned).to.deep.equal([
        { protocol: "tcp", ports: [22, 80] },
        { protocol: "udp", ports: [53, 123, 161] },
      ]);
    });

    it("marks the down host as not up, with no open ports", () => {
      expect(report.hosts.find((h) => h.address === "10.20.0.99")).to.deep.equal({
        address: "10.20.0.99",
        up: false,
        openPorts: [],
      });
    });

    it("takes the IPv4 address rather than the MAC address", () => {
      expect(report.hosts.map((h) => h.address)).to.deep.equal(["10.20.0.99", "10.20.0.10"]);
    });

    it("counts only ports whose state is exactly open", () => {
      expect(report.hosts.find((h) => h.address === "10.20.0.10")?.openPorts).to.deep.equal([80, 161]);
    });
  });

  describe("scans of other protocols say what they probed, never TCP ports", () => {
    it("an IP protocol scan (-sO) probed protocol numbers", () => {
      const report = parseNmapXml(xml("ipproto-4-protocols.xml"));
      expect(report.scanned).to.deep.equal([{ protocol: "ip", ports: [1, 6, 17, 47] }]);
    });

    it("an SCTP INIT scan (-sY) probed SCTP ports", () => {
      const report = parseNmapXml(xml("sctp-init-2-ports.xml"));
      expect(report.scanned).to.deep.equal([{ protocol: "sctp", ports: [22, 80] }]);
    });

    it("refuses a protocol it does not know rather than calling it TCP", () => {
      const error = thrownBy(() =>
        parseNmapXml(
          '<nmaprun start="1795870798"><scaninfo type="x" protocol="ddp" services="1"/></nmaprun>',
        ),
      );
      expect(error).to.be.instanceOf(ScanproofError);
      expect(error.message).to.include('"ddp"');
    });
  });

  describe("incomplete output", () => {
    it("refuses XML that stops before <nmaprun start=…>", () => {
      const error = thrownBy(() => parseNmapXml(xml("interrupted-before-start.xml")));
      expect(error).to.be.instanceOf(ScanproofError);
      expect(error.message).to.include("nmaprun start");
    });

    it("refuses empty output", () => {
      expect(thrownBy(() => parseNmapXml(""))).to.be.instanceOf(ScanproofError);
    });

    it("uses the start as the end when runstats is missing", () => {
      const report = parseNmapXml(
        '<nmaprun start="1795870798"><scaninfo type="syn" protocol="tcp" services="80"/></nmaprun>',
      );
      expect(report.endedAt).to.equal(report.startedAt);
    });
  });
});
