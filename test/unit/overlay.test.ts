import { expect } from "chai";
import { overlayLinkArgs, overlayLinks, type Underlays } from "../../harness/lab/overlay.js";
import { planLab } from "../../harness/lab/topology.js";

describe("overlay wiring (pure)", () => {
  const plan = planLab({
    lab: {
      targets: [
        { name: "web", kind: "web" },
        { name: "ssh", kind: "ssh" },
      ],
      hosts: [
        { name: "insider", role: "attacker", network: "lan" },
        { name: "office", role: "client", network: "nat" },
      ],
    },
  });
  const underlay = (name: string) => `u-${name}`;
  const underlays: Underlays<string> = {
    firewall: { host: "firewall", outside: "u-fw-out", dmz: "u-fw-dmz", lan: "u-fw-lan" },
    natRouter: { host: "nat-router", underlay: "u-nat-router" },
    sources: plan.hosts.map((h) => ({ host: h.name, plan: h, underlay: underlay(h.name) })),
    targets: plan.targets.map((t) => ({ host: t.name, plan: t, underlay: underlay(t.name) })),
  };
  const links = overlayLinks(plan, underlays);
  const line = (host: string) =>
    links.filter((l) => l.host === host).map((l) => overlayLinkArgs(l).slice(1).join(" "));

  it("gives the firewall one link per segment, to every host on it", () => {
    expect(line("firewall")).to.deep.equal([
      "vx-out 100 u-fw-out 198.18.0.1/24 u-attacker,u-nat-router",
      "vx-dmz 200 u-fw-dmz 10.20.0.1/24 u-web,u-ssh",
      "vx-lan 300 u-fw-lan 10.30.0.1/24 u-insider",
    ]);
  });

  it("routes each source to the DMZ through its own segment's router, and targets back through the firewall", () => {
    expect(line("attacker")).to.deep.equal([
      "vx-out 100 u-attacker 198.18.0.10/24 u-fw-out 10.20.0.0/24 198.18.0.1",
    ]);
    expect(line("insider")).to.deep.equal([
      "vx-lan 300 u-insider 10.30.0.10/24 u-fw-lan 10.20.0.0/24,198.18.0.0/24 10.30.0.1",
    ]);
    expect(line("web")).to.deep.equal([
      "vx-dmz 200 u-web 10.20.0.10/24 u-fw-dmz 198.18.0.0/24,10.30.0.0/24 10.20.0.1",
    ]);
  });

  it("puts hosts behind NAT on the router's segment, the router outside as one address", () => {
    expect(line("nat-router")).to.deep.equal([
      "vx-out 100 u-nat-router 198.18.0.2/24 u-fw-out 10.20.0.0/24 198.18.0.1",
      "vx-nat 400 u-nat-router 192.168.50.1/24 u-office",
    ]);
    expect(line("office")).to.deep.equal([
      "vx-nat 400 u-office 192.168.50.10/24 u-nat-router 10.20.0.0/24,198.18.0.0/24 192.168.50.1",
    ]);
  });

  it("puts LAN targets on the firewall's LAN link and on one switch with the LAN's hosts", () => {
    const withLan = planLab({
      lab: {
        targets: [
          { name: "web", kind: "web" },
          { name: "files", kind: "smb", network: "lan" },
          { name: "db", kind: "db", network: "lan" },
        ],
        hosts: [{ name: "insider", role: "attacker", network: "lan" }],
      },
    });
    const wired = overlayLinks(withLan, {
      firewall: { host: "firewall", outside: "u-fw-out", dmz: "u-fw-dmz", lan: "u-fw-lan" },
      sources: withLan.hosts.map((h) => ({ host: h.name, plan: h, underlay: underlay(h.name) })),
      targets: withLan.targets.map((t) => ({ host: t.name, plan: t, underlay: underlay(t.name) })),
    });
    const of = (host: string) =>
      wired.filter((l) => l.host === host).map((l) => overlayLinkArgs(l).slice(1).join(" "));
    expect(of("firewall")).to.deep.equal([
      "vx-out 100 u-fw-out 198.18.0.1/24 u-attacker",
      "vx-dmz 200 u-fw-dmz 10.20.0.1/24 u-web",
      "vx-lan 300 u-fw-lan 10.30.0.1/24 u-insider,u-files,u-db",
    ]);
    expect(of("insider")).to.deep.equal([
      "vx-lan 300 u-insider 10.30.0.10/24 u-fw-lan,u-files,u-db 10.20.0.0/24,198.18.0.0/24 10.30.0.1",
    ]);
    expect(of("files")).to.deep.equal([
      "vx-lan 300 u-files 10.30.0.11/24 u-fw-lan,u-insider,u-db 10.20.0.0/24,198.18.0.0/24 10.30.0.1",
    ]);
  });

  it("wires no LAN and no NAT segment for a lab without them", () => {
    const small = planLab({ lab: { targets: [{ name: "web", kind: "web" }], hosts: [] } });
    const only = overlayLinks(small, {
      firewall: { host: "firewall", outside: "o", dmz: "d", lan: "" },
      sources: small.hosts.map((h) => ({ host: h.name, plan: h, underlay: underlay(h.name) })),
      targets: small.targets.map((t) => ({ host: t.name, plan: t, underlay: underlay(t.name) })),
    });
    expect(only.map((l) => `${l.host} ${l.segment.interface}`)).to.deep.equal([
      "firewall vx-out",
      "firewall vx-dmz",
      "attacker vx-out",
      "web vx-dmz",
    ]);
  });
});
