import { expect } from "chai";
import { labAddresses, labSubnets, planLab } from "../../harness/lab/topology.js";
import { OUTSIDE } from "../../harness/lab/segments.js";

describe("planLab", () => {
  const plan = planLab({
    lab: {
      targets: [
        { name: "web", kind: "web" },
        { name: "ssh", kind: "ssh", address: "10.20.0.10" },
      ],
      hosts: [
        { name: "insider", role: "attacker", network: "lan" },
        { name: "monitor", role: "monitor", network: "lan", address: "10.30.0.11" },
        { name: "partner", role: "scanner", network: "outside" },
        { name: "office-1", role: "client", network: "nat" },
        { name: "office-2", role: "client", network: "nat" },
      ],
    },
  });

  it("numbers hosts per segment, skipping addresses given explicitly", () => {
    expect([...labAddresses(plan)]).to.deep.equal([
      ["web", "10.20.0.11"],
      ["ssh", "10.20.0.10"],
      ["attacker", "198.18.0.10"],
      ["insider", "10.30.0.10"],
      ["monitor", "10.30.0.11"],
      ["partner", "198.18.0.20"],
      ["office-1", "192.168.50.10"],
      ["office-2", "192.168.50.11"],
    ]);
  });

  it("shows hosts behind NAT as the NAT router's outside address, every other host as itself", () => {
    expect(plan.hosts.map((h) => `${h.name}=${h.seenAs}`)).to.deep.equal([
      "attacker=198.18.0.10",
      "insider=10.30.0.10",
      "monitor=10.30.0.11",
      "partner=198.18.0.20",
      `office-1=${OUTSIDE.natRouter}`,
      `office-2=${OUTSIDE.natRouter}`,
    ]);
  });

  it("adds the LAN and NAT ranges to the lab's ranges only when a host sits there", () => {
    expect(labSubnets(plan)).to.deep.equal([
      "198.18.0.0/24",
      "10.20.0.0/24",
      "10.30.0.0/24",
      "192.168.50.0/24",
    ]);
    const plain = planLab({ lab: { targets: [{ name: "web", kind: "web" }] } });
    expect([plain.lan, plain.nat]).to.deep.equal([false, false]);
    expect(labSubnets(plain)).to.deep.equal(["198.18.0.0/24", "10.20.0.0/24"]);
    expect(plain.hosts.map((h) => h.name)).to.deep.equal(["attacker"]);
  });
});
