import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { ScanproofError } from "../../harness/core/errors.js";
import { startLab } from "../../harness/lab/lab.js";
import { type LabHost, type StartedLab } from "../../harness/lab/started-lab.js";
import { ScopeGuard } from "../../harness/lab/scope-guard.js";
import { planLab } from "../../harness/lab/topology.js";
import { Teardown } from "../../harness/core/lifecycle.js";
import { countSensorRecords, sensorLogFiles } from "../../harness/logs/accounting.js";
import { newRunId } from "../../harness/run/run-scenarios.js";
import type { GroundTruth } from "../../harness/scanners/ground-truth.js";
import { runStep } from "../../harness/scanners/run-step.js";
import { waitFor } from "../../harness/core/wait.js";
import { sharedBackend } from "./shared-backend.js";

/** Packets each interface of a host has sent, as its kernel counts them. */
async function sentPackets(lab: StartedLab, host: LabHost): Promise<Record<string, number>> {
  const result = await lab.exec(host, [
    "sh",
    "-c",
    "for d in /sys/class/net/*; do echo ${d##*/} $(cat $d/statistics/tx_packets); done",
  ]);
  return Object.fromEntries(
    result.stdout
      .trim()
      .split("\n")
      .map((line) => line.split(" "))
      .map(([name = "", count = ""]) => [name, Number(count)]),
  );
}

interface Traffic {
  readonly attacker: Record<string, number>;
  readonly firewallRecords: number;
}

async function traffic(lab: StartedLab): Promise<Traffic> {
  return {
    attacker: await sentPackets(lab, lab.attacker),
    firewallRecords: countSensorRecords(sensorLogFiles(lab, "firewall")),
  };
}

describe("scope guard in a real lab: refused steps send nothing", function () {
  const teardown = new Teardown();
  const workDir = mkdtempSync(join(tmpdir(), "scanproof-scope-"));
  let lab: StartedLab;
  let guard: ScopeGuard;

  before(async function () {
    lab = await startLab({
      runId: newRunId(),
      scenarioId: "scope-guard",
      plan: planLab({
        lab: {
          targets: [
            { name: "web", kind: "web" },
            { name: "dns", kind: "dns" },
          ],
        },
      }),
      sensors: [],
      backend: await sharedBackend(),
      workDir,
      teardown,
    });
    guard = new ScopeGuard(lab.subnets, new Map([...lab.targets].map(([name, h]) => [name, h.address])));
  });

  after(() => teardown.run());

  const nmap = (target: string, args: string[]) => (i: number) =>
    runStep(lab, { tool: "nmap", from: "attacker", target, args }, i, guard, workDir);
  const refused: [string, (i: number) => Promise<GroundTruth>, RegExp][] = [
    ["nmap at an outside address", nmap("192.0.2.1", ["-sS", "-p", "80"]), /refusing to probe 192\.0\.2\.1/],
    ["nmap at a host name outside the lab", nmap("example.com", ["-p", "80"]), /"example\.com" is neither/],
    [
      "nmap at a range wider than the lab",
      nmap("10.20.0.0/16", ["-sn"]),
      /refusing to probe 10\.20\.0\.0\/16/,
    ],
    [
      "nmap with a second, outside target among its arguments",
      nmap("web", ["-p", "80", "8.8.8.8"]),
      /8\.8\.8\.8/,
    ],
    [
      "nmap at a zero-padded CIDR, which nmap reads as decimal 12.24.0.12",
      nmap("012.024.0.012/32", ["-sn"]),
      /nmap would scan 1 address outside this run's lab networks .*: 12\.24\.0\.12\. Nothing was sent/,
    ],
    [
      "nmap at a range in nmap's notation that runs past the lab",
      nmap("10.20.0.250-255", ["-sn", "198.18.1.0-3"]),
      /nmap would scan 4 addresses outside .*198\.18\.1\.0/,
    ],
    ["nmap with an outside decoy", nmap("web", ["-D", "10.20.0.99,192.0.2.7,ME"]), /192\.0\.2\.7/],
    ["nmap spoofing an outside source", nmap("web", ["-S", "192.0.2.9", "-e", "vx-out"]), /192\.0\.2\.9/],
    ["nmap with an outside DNS server", nmap("web", ["--dns-servers", "192.0.2.53"]), /192\.0\.2\.53/],
    ["nmap idle scan through an outside zombie", nmap("web", ["-sI", "192.0.2.3:80"]), /192\.0\.2\.3/],
    ["nmap reading a target file", nmap("web", ["-iL", "/etc/hosts"]), /-iL is not allowed/],
    ["nmap with a third-party script", nmap("web", ["--script", "whois-ip"]), /whois-ip \(external\)/],
    [
      "nmap with broadcast scripts",
      nmap("web", ["--script", "broadcast-ping"]),
      /broadcast-ping \(broadcast\)/,
    ],
    [
      "nmap with an outside address in a script argument",
      nmap("web", ["--script", "dns-zone-transfer", "--script-args", "dns-zone-transfer.server=192.0.2.53"]),
      /192\.0\.2\.53/,
    ],
    [
      "masscan at an outside range",
      (i) =>
        runStep(
          lab,
          { tool: "masscan", from: "attacker", target: "192.0.2.0/24", ports: "80", rate: 100 },
          i,
          guard,
          workDir,
        ),
      /refusing to probe 192\.0\.2\.0\/24/,
    ],
    [
      "http at an outside address",
      (i) =>
        runStep(
          lab,
          { tool: "http", from: "attacker", target: "192.0.2.1", paths: ["/"], repeat: 1 },
          i,
          guard,
          workDir,
        ),
      /refusing to probe 192\.0\.2\.1/,
    ],
    [
      "ffuf at an outside name",
      (i) =>
        runStep(
          lab,
          { tool: "ffuf", from: "attacker", target: "example.com", wordlist: "web-paths", threads: 1 },
          i,
          guard,
          workDir,
        ),
      /"example\.com" is neither/,
    ],
    [
      "gobuster at an outside resolver",
      (i) =>
        runStep(
          lab,
          {
            tool: "gobuster-dns",
            from: "attacker",
            server: "192.0.2.53",
            domain: "lab.example",
            wordlist: "dns-names",
          },
          i,
          guard,
          workDir,
        ),
      /refusing to probe 192\.0\.2\.53/,
    ],
    [
      "a zone transfer from an outside server",
      (i) =>
        runStep(
          lab,
          { tool: "axfr", from: "attacker", server: "8.8.8.8", domain: "lab.example" },
          i,
          guard,
          workDir,
        ),
      /refusing to probe 8\.8\.8\.8/,
    ],
  ];

  for (const [i, [what, step, reason]] of refused.entries()) {
    it(`refuses ${what} with a clear error, and the attacker sends no packet`, async function () {
      const before = await traffic(lab);
      const error = await step(i).then(
        () => expect.fail("the step ran"),
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(ScanproofError);
      expect((error as Error).message).to.match(new RegExp(`^steps\\[${i}\\]`));
      expect((error as Error).message).to.match(reason);
      expect(await traffic(lab)).to.deep.equal(before);
    });
  }

  it("sees the packets of an in-scope step with the same counters (the control)", async function () {
    const before = await traffic(lab);
    await nmap("10.20.0.10-12", ["-n", "-sS", "-p", "80", "--exclude", "dns"])(refused.length);
    const after = await traffic(lab);
    expect(after.attacker["vx-out"]).to.be.greaterThan(before.attacker["vx-out"] ?? 0);
    await waitFor(
      "the firewall's record of the probe",
      () => countSensorRecords(sensorLogFiles(lab, "firewall")) > before.firewallRecords,
      10_000,
    );
  });
});
