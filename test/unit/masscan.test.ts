import { expect } from "chai";
import { readFileSync } from "node:fs";
import { ScanproofError } from "../../harness/core/errors.js";
import { ScopeGuard } from "../../harness/lab/scope-guard.js";
import { labAddresses, labSubnets, planLab } from "../../harness/lab/topology.js";
import { OUTSIDE } from "../../harness/lab/segments.js";
import { parseMasscanXml, wakerAddress } from "../../harness/scanners/masscan.js";
import { Step } from "../../harness/scenario/schema.js";
import { expandPortSpec } from "../../harness/core/ports.js";
import { fixture, thrownBy } from "./fixture-helpers.js";

const xml = (name: string): string => readFileSync(fixture("masscan", name), "utf8");

describe("expandPortSpec", () => {
  it("reads a single port", () => {
    expect(expandPortSpec("80")).to.deep.equal([80]);
  });

  it("expands ranges and lists, each port once, ascending", () => {
    expect(expandPortSpec("8080,1-3,2,443")).to.deep.equal([1, 2, 3, 443, 8080]);
  });

  it("expands the whole port range to 65,535 ports", () => {
    const ports = expandPortSpec("1-65535") ?? [];
    expect(ports).to.have.lengthOf(65_535);
    expect([ports[0], ports.at(-1)]).to.deep.equal([1, 65_535]);
  });

  it("accepts a range of one port", () => {
    expect(expandPortSpec("22-22")).to.deep.equal([22]);
  });

  for (const spec of ["0", "65536", "1-65536", "0-80", "100-1"]) {
    it(`refuses "${spec}": ports are 1–65535 and ranges run from low to high`, () => {
      expect(expandPortSpec(spec)).to.equal(undefined);
    });
  }

  for (const spec of ["", "http", "80,", ",80", "1,,2", "1-2-3", "80 443", "U:53", "T:80", "123456"]) {
    it(`refuses the malformed list "${spec}"`, () => {
      expect(expandPortSpec(spec)).to.equal(undefined);
    });
  }
});

describe("the masscan step", () => {
  const parse = (step: Record<string, unknown>) =>
    Step.safeParse({ tool: "masscan", target: "web", ...step });
  const messages = (step: Record<string, unknown>) =>
    parse(step).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];

  it("runs from the attacker at 1000 pps unless told otherwise", () => {
    expect(parse({ ports: "1-1024,8080" }).data).to.deep.equal({
      tool: "masscan",
      from: "attacker",
      target: "web",
      ports: "1-1024,8080",
      rate: 1000,
    });
  });

  it("says what a port list looks like when the form is wrong, and only that", () => {
    expect(messages({ ports: "80;443" })).to.deep.equal(['ports: a port list such as "1-1024,8080"']);
  });

  it("refuses ports outside 1–65535 and backward ranges", () => {
    expect(messages({ ports: "1-70000" })).to.deep.equal([
      "ports: ports between 1 and 65535, ranges from low to high",
    ]);
    expect(messages({ ports: "1024-1" })).to.have.lengthOf(1);
  });

  it("needs ports", () => {
    expect(messages({})).to.have.lengthOf(1);
    expect(messages({})[0]).to.match(/^ports: /);
  });

  it("takes whole rates from 1 to 100000 pps", () => {
    expect(parse({ ports: "80", rate: 100_000 }).success).to.equal(true);
    expect(parse({ ports: "80", rate: 1 }).success).to.equal(true);
    for (const rate of [0, 100_001, 2.5, "1000"])
      expect(parse({ ports: "80", rate }).success).to.equal(false);
  });

  it("refuses unknown keys", () => {
    expect(messages({ ports: "80", args: ["--banners"] })).to.have.lengthOf(1);
  });
});

describe("parseMasscanXml", () => {
  it("finds the open port of a real scan of ports 1-5000 of the web server (masscan 1.3.2 -oX)", () => {
    expect(parseMasscanXml(xml("web-ports-1-5000.xml"))).to.deep.equal([{ address: "10.20.0.10", port: 80 }]);
  });

  it("reads one <host> element per open port, across hosts of a CIDR scan", () => {
    expect(parseMasscanXml(xml("two-hosts-cidr-29.xml"))).to.deep.equal([
      { address: "10.20.0.10", port: 80 },
      { address: "10.20.0.11", port: 22 },
    ]);
  });

  it("counts a port reported twice once", () => {
    const host =
      '<host endtime="1"><address addr="10.20.0.10" addrtype="ipv4"/><ports><port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="63"/></port></ports></host>';
    const report = `<nmaprun scanner="masscan" start="1">${host}${host}<runstats><finished time="2"/></runstats></nmaprun>`;
    expect(parseMasscanXml(report)).to.deep.equal([{ address: "10.20.0.10", port: 80 }]);
  });

  it("finds nothing in a finished scan without open ports", () => {
    const report = '<nmaprun scanner="masscan" start="1"><runstats><finished time="2"/></runstats></nmaprun>';
    expect(parseMasscanXml(report)).to.deep.equal([]);
  });

  it("refuses a report cut off before <runstats> (masscan writes it on a clean exit only)", () => {
    const error = thrownBy(() => parseMasscanXml(xml("cut-before-runstats.xml")));
    expect(error).to.be.instanceOf(ScanproofError);
    expect(error.message).to.include("did not finish");
  });

  it("reads the empty output of a real scan of closed ports as no open ports (the report opens at the first)", () => {
    expect(xml("closed-ports-1-5.xml")).to.equal("");
    expect(parseMasscanXml(xml("closed-ports-1-5.xml"))).to.deep.equal([]);
  });

  it("refuses a report that stops before <nmaprun>", () => {
    expect(thrownBy(() => parseMasscanXml('<?xml version="1.0"?>\r\n'))).to.be.instanceOf(ScanproofError);
  });

  it("refuses nmap's XML", () => {
    const error = thrownBy(() => parseMasscanXml(readFileSync(fixture("nmap", "syn-top1000.xml"), "utf8")));
    expect(error.message).to.include('scanner="masscan"');
  });
});

describe("masscan's waker", () => {
  it("sends to an address on the scanning host's own segment that the scope guard allows and no lab host has", () => {
    const plan = planLab({
      lab: {
        targets: [
          { name: "web", kind: "web" },
          { name: "ssh", kind: "ssh" },
        ],
        hosts: [
          { name: "insider", role: "attacker", network: "lan" },
          { name: "office", role: "client", network: "nat" },
          { name: "scanner", role: "scanner", network: "outside" },
        ],
      },
    });
    const guard = new ScopeGuard(labSubnets(plan), labAddresses(plan));
    const taken = [
      ...labAddresses(plan).values(),
      plan.firewall.outside,
      plan.firewall.lan,
      OUTSIDE.natRouter,
    ];
    const wakers = plan.hosts.map((h) => wakerAddress({ plan: h }));
    expect(wakers).to.deep.equal(["198.18.0.254", "10.30.0.254", "192.168.50.254", "198.18.0.254"]);
    for (const waker of wakers) {
      expect(guard.host(waker, "waker")).to.equal(waker);
      expect(taken).not.to.include(waker);
    }
  });
});
