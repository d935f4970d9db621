import { expect } from "chai";
import { wireProbeFields, type WireProbe } from "../../harness/scanners/ground-truth.js";

const probe = (protocol: number, extra: Partial<WireProbe> = {}): WireProbe => ({
  source: "198.18.0.10",
  destination: "10.20.0.10",
  protocol,
  port: 80,
  sourcePort: 40_000,
  packets: 1,
  ...extra,
});

describe("the fields a network sensor must hold for a probe seen on the wire", () => {
  it("keys TCP and UDP by both ports at every sensor, and SCTP by its ports at the firewall only", () => {
    expect(wireProbeFields(probe(6), true, "flow")).to.deep.equal({
      "destination.ip": "10.20.0.10",
      "network.transport": "tcp",
      "destination.port": 80,
      "source.port": 40_000,
    });
    expect(wireProbeFields(probe(132), true, "firewall")).to.deep.equal({
      "destination.ip": "10.20.0.10",
      "network.transport": "sctp",
      "destination.port": 80,
      "source.port": 40_000,
    });
    expect(wireProbeFields(probe(132), true, "ids")).to.deep.equal({
      "destination.ip": "10.20.0.10",
      "network.iana_number": 132,
    });
  });

  it("keys ICMP and any other protocol without ports, and drops a source port NAT may rewrite", () => {
    const echo: WireProbe = {
      source: "198.18.0.10",
      destination: "10.20.0.10",
      protocol: 1,
      icmpType: 8,
      packets: 1,
    };
    expect(wireProbeFields(echo, true)).to.deep.equal({
      "destination.ip": "10.20.0.10",
      "network.transport": "icmp",
    });
    expect(wireProbeFields(probe(47), true)).to.deep.equal({
      "destination.ip": "10.20.0.10",
      "network.iana_number": 47,
    });
    expect(wireProbeFields(probe(17), false)).to.not.have.property("source.port");
  });
});
