import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { placeInventory } from "../../harness/context/inventory.js";
import { listeningPorts } from "../../harness/lab/target-readiness.js";
import { planLab } from "../../harness/lab/topology.js";
import { loadScenario } from "../../harness/scenario/load.js";
import { inputErrorOf, lineOf, onlyProblem } from "./fixture-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "scanproof-target-spec-"));
mkdirSync(join(dir, "images", "app"), { recursive: true });
writeFileSync(join(dir, "images", "app", "Dockerfile"), "FROM scanproof/base:bookworm\n");

/** A scenario file whose lab.targets is `targets` (YAML lines, indented under `targets:`). */
function scenarioWith(name: string, targets: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    [
      `id: ${name}`,
      "title: Targets",
      "technique: T1595.001",
      "lab:",
      "  targets:",
      targets.replace(/^/gm, "    "),
      "steps:",
      "  - { tool: nmap, target: 10.20.0.0/24, args: [-sS] }",
      "expect:",
      "  silent: true",
      "",
    ].join("\n"),
  );
  return path;
}

describe("target spec", () => {
  describe("good input", () => {
    it("moves a built-in kind's services with `ports:` and keeps the rest where they were", () => {
      const s = loadScenario(
        scenarioWith(
          "moves",
          "- { name: files, kind: smb, ports: { 445: 4445 }, filtered: [8443/tcp, 161/udp] }",
        ),
      );
      const [target] = planLab(s).targets;
      expect(target?.services).to.deep.equal([
        { port: 4445, transport: "tcp", name: "microsoft-ds" },
        { port: 139, transport: "tcp", name: "netbios-ssn" },
      ]);
      expect(target?.portMoves).to.deep.equal({ "445": 4445 });
      expect(target?.filtered).to.deep.equal([
        { port: 8443, transport: "tcp" },
        { port: 161, transport: "udp" },
      ]);
      expect(target?.ready).to.deep.equal({ listening: target?.services });
    });

    it("builds a custom target from a Dockerfile relative to the scenario, on the LAN", () => {
      const s = loadScenario(
        scenarioWith(
          "custom",
          "- { name: app, kind: custom, build: images/app/Dockerfile, network: lan, ports: [8080/tcp, 9161/udp] }",
        ),
      );
      const plan = planLab(s);
      const [target] = plan.targets;
      expect(target?.image).to.deep.equal({
        kind: "custom",
        dockerfile: join(dir, "images", "app", "Dockerfile"),
      });
      expect(target?.address).to.equal("10.30.0.10");
      expect(plan.lan).to.equal(true);
      expect(target?.ready).to.deep.equal({
        listening: [
          { port: 8080, transport: "tcp" },
          { port: 9161, transport: "udp" },
        ],
      });
      expect(target?.criticality).to.equal("medium");
    });

    it("takes a custom readiness command as an argv", () => {
      const s = loadScenario(
        scenarioWith(
          "ready",
          "- { name: app, kind: custom, build: images/app/Dockerfile, ports: [8080/tcp], ready: { command: [test, -e, /ready] } }",
        ),
      );
      expect(planLab(s).targets[0]?.ready).to.deep.equal({ command: ["test", "-e", "/ready"] });
    });
  });

  describe("bad input, located", () => {
    it("refuses to move a port the kind does not serve, at that key", () => {
      const path = scenarioWith("bad-move", "- name: bastion\n  kind: ssh\n  ports:\n    80: 8080");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, p.line)).to.equal("        80: 8080");
      expect(p).to.include({
        path: "lab.targets[0].ports.80",
        message: "ssh serves no port 80; it serves 22",
      });
    });

    it("names the Dockerfile that is missing, at `build`", () => {
      const path = scenarioWith(
        "no-dockerfile",
        "- name: app\n  kind: custom\n  build: images/nope/Dockerfile\n  ports: [8080/tcp]",
      );
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, p.line)).to.equal("      build: images/nope/Dockerfile");
      expect(p.path).to.equal("lab.targets[0].build");
      expect(p.message).to.match(
        /images\/nope\/Dockerfile is not a Dockerfile .* does not exist; the path is relative to this file/,
      );
    });

    it("names a `build` that is a folder, not a Dockerfile", () => {
      const path = scenarioWith(
        "folder",
        "- { name: app, kind: custom, build: images/app, ports: [8080/tcp] }",
      );
      expect(onlyProblem(() => loadScenario(path)).message).to.include("is not a file");
    });

    it("requires the ports a custom image serves", () => {
      const path = scenarioWith("no-ports", "- { name: app, kind: custom, build: images/app/Dockerfile }");
      const p = onlyProblem(() => loadScenario(path));
      expect(p.path).to.equal("lab.targets[0].ports");
    });

    it("refuses a port without its transport, at the list item", () => {
      const path = scenarioWith(
        "bare-port",
        "- name: app\n  kind: custom\n  build: images/app/Dockerfile\n  ports:\n    - 8080",
      );
      const p = onlyProblem(() => loadScenario(path));
      expect(p.path).to.equal("lab.targets[0].ports[0]");
      expect(lineOf(path, p.line)).to.equal("        - 8080");
    });

    it("refuses a port above 65535 and a transport other than tcp or udp", () => {
      const path = scenarioWith(
        "bad-ports",
        "- { name: app, kind: custom, build: images/app/Dockerfile, ports: [70000/tcp, 53/sctp] }",
      );
      const problems = inputErrorOf(() => loadScenario(path)).problems;
      expect(problems.map((p) => p.path)).to.deep.equal([
        "lab.targets[0].ports[0]",
        "lab.targets[0].ports[1]",
      ]);
      for (const p of problems) expect(p.message).to.include('a port and transport such as "8080/tcp"');
    });

    it("refuses a port served twice and a filtered port listed twice", () => {
      const path = scenarioWith(
        "twice",
        "- { name: app, kind: custom, build: images/app/Dockerfile, ports: [8080/tcp, 8080/tcp], filtered: [22/tcp, 22/tcp] }",
      );
      const problems = inputErrorOf(() => loadScenario(path)).problems;
      expect(problems.map((p) => [p.path, p.message])).to.deep.equal([
        ["lab.targets[0].ports[1]", "8080/tcp is served twice"],
        ["lab.targets[0].filtered[1]", "22/tcp is listed twice"],
      ]);
    });

    it("refuses a move onto a port the kind already serves", () => {
      const path = scenarioWith("collide", "- { name: files, kind: smb, ports: { 445: 139 } }");
      expect(onlyProblem(() => loadScenario(path))).to.include({
        path: "lab.targets[0].ports",
        message: "139/tcp is served twice",
      });
    });

    it("refuses a LAN target's address outside the LAN", () => {
      const path = scenarioWith(
        "lan-address",
        "- { name: app, kind: web, network: lan, address: 10.20.0.50 }",
      );
      expect(onlyProblem(() => loadScenario(path))).to.include({
        path: "lab.targets[0].address",
        message: "10.20.0.50 is not in the lan network 10.30.0.0/24",
      });
    });

    it("refuses `ports:` as a list on a built-in kind and keys a custom target does not have", () => {
      const path = scenarioWith("mixed", "- { name: web, kind: web, ports: [8080/tcp], build: x }");
      const problems = inputErrorOf(() => loadScenario(path)).problems;
      expect(problems.map((p) => p.path)).to.have.members(["lab.targets[0]", "lab.targets[0].ports"]);
    });

    it("refuses a readiness check with both a port and a command", () => {
      const path = scenarioWith(
        "ready-both",
        "- { name: app, kind: custom, build: images/app/Dockerfile, ports: [8080/tcp], ready: { port: 8080/tcp, command: [true] } }",
      );
      expect(onlyProblem(() => loadScenario(path)).path).to.match(/^lab\.targets\[0\]\.ready/);
    });
  });
});

describe("the asset inventory of a lab's targets", () => {
  const assets = [
    {
      name: "bastion",
      target: "ssh",
      criticality: "critical" as const,
      why: "admin entry",
      services: [{ port: 22, protocol: "tcp" as const, cves: [] }],
    },
    {
      name: "by-address",
      address: "10.20.0.12",
      criticality: "low" as const,
      why: "x",
      services: [{ port: 53, protocol: "udp" as const, cves: [] }],
    },
  ];

  it("declares a moved service where the target moved it, for assets by name and by address", () => {
    const placed = placeInventory(assets, [
      { name: "ssh", address: "10.20.0.11", portMoves: { "22": 2222 } },
      { name: "dns", address: "10.20.0.12", portMoves: { "53": 5353 } },
    ]);
    expect(placed.map((a) => [a.name, a.services.map((s) => `${s.port}/${s.protocol}`)])).to.deep.equal([
      ["bastion", ["2222/tcp"]],
      ["by-address", ["5353/udp"]],
    ]);
  });

  it("enters a custom target no asset lists with the ports it serves, and leaves a listed one as listed", () => {
    const own = {
      criticality: "high" as const,
      why: "the scenario's own image",
      services: [{ port: 8080, transport: "tcp" as const }],
    };
    const placed = placeInventory(assets, [
      { name: "app", address: "10.30.0.10", own },
      { name: "dns", address: "10.20.0.12", own },
    ]);
    expect(placed.map((a) => [a.name, a.address, a.criticality])).to.deep.equal([
      ["by-address", "10.20.0.12", "low"],
      ["app", "10.30.0.10", "high"],
    ]);
    expect(placed[1]?.services).to.deep.equal([{ port: 8080, protocol: "tcp", cves: [] }]);
  });
});

describe("listening ports from the kernel's socket tables", () => {
  const header =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
  it("reads TCP sockets in LISTEN and unconnected UDP sockets, IPv4 and IPv6", () => {
    const tcp = [
      header,
      "   0: 00000000:0017 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1",
      "   1: 0A14000A:0017 C612000A:D431 01 00000000:00000000 00:00000000 00000000     0        0 2 1",
      header,
      "   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 3 1",
    ].join("\n");
    const udp = [
      header,
      "  10: 00000000:00A1 00000000:0000 07 00000000:00000000 00:00000000 00000000   108        0 4 2",
      "  11: 0100007F:0035 0100007F:1F90 01 00000000:00000000 00:00000000 00000000   108        0 5 2",
    ].join("\n");
    expect([...listeningPorts({ tcp, udp })].sort()).to.deep.equal(["161/udp", "22/tcp", "23/tcp"]);
  });
});
