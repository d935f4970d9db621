import { join } from "node:path";
import * as chai from "chai";
import { expect } from "chai";
import { scanproofChai } from "../../assertions/chai.js";
import { assertionsDir } from "../../harness/core/paths.js";
import type { ScenarioResult } from "../../harness/result.js";
import { runScenarios } from "../../harness/run/run-scenarios.js";
import { fixture } from "../unit/fixture-helpers.js";
import { sharedBackend } from "./shared-backend.js";

chai.use(scanproofChai);

/**
 * Ground truth from the wire: two steps the tool-report model got wrong — host discovery with TCP
 * and UDP probes and no ICMP (an echo per host was assumed: "0/4 expected events"), and NSE
 * dns-brute (its DNS queries were caused by "no step") — are accounted against what the attacker's
 * capture shows it sent.
 */
describe("ground truth from the wire (real capture, nmap, nftables, unbound)", function () {
  let scenario: ScenarioResult;

  before(async function () {
    const run = await runScenarios({
      scenarioFiles: [fixture("scenarios", "lab", "wire-discovery-dns-brute.yaml")],
      rulePaths: [join(assertionsDir, "rules")],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend: await sharedBackend(),
    });
    const only = run.scenarios[0];
    if (!only) throw new Error("the scenario did not run");
    scenario = only;
  });

  const step = (i: number) => {
    const truth = scenario.groundTruth[i];
    if (!truth?.wire) throw new Error(`step ${i + 1} has no wire truth`);
    return { ...truth, wire: truth.wire };
  };

  it("passes every expectation of its scenario: firewall and DNS logs accounted, the DNS rule fired", function () {
    expect(scenario).to.have.verdict("pass");
  });

  it("captured every step whole: no bound reached, nothing dropped", function () {
    for (const i of [0, 1]) {
      expect(step(i).wire.capture, `step ${i + 1}`).to.include({ bounded: false, dropped: 0 });
      expect(step(i).wire.capture.packets, `step ${i + 1}`).to.be.greaterThan(0);
    }
  });

  it("shows discovery sent no ICMP, only its four probe shapes, and every shape to the address nobody holds", function () {
    const { probes } = step(0).wire;
    expect(probes.filter((p) => p.protocol === 1)).to.deep.equal([]);
    const shape = (p: (typeof probes)[number]) => `${p.protocol}:${p.port ?? ""}${p.tcpFlags ?? ""}`;
    expect(new Set(probes.map(shape))).to.deep.equal(new Set(["6:80S", "6:443S", "6:80A", "17:53"]));
    const absent = new Set(probes.filter((p) => p.destination === "10.20.0.11").map(shape));
    expect(absent).to.deep.equal(new Set(["6:80S", "6:443S", "6:80A", "17:53"]));
    for (const host of ["10.20.0.10", "10.20.0.11", "10.20.0.12"])
      expect(
        probes.some((p) => p.destination === host),
        host,
      ).to.equal(true);
  });

  it("accounts the firewall against every flow the two steps opened across it, and sees each one", function () {
    const flows = new Set(
      [0, 1].flatMap((i) =>
        step(i).wire.probes.map(
          (p) => `${p.source} ${p.destination} ${p.protocol} ${p.sourcePort} ${p.port}`,
        ),
      ),
    );
    const firewall = scenario.logs.find((l) => l.source === "firewall");
    expect(firewall?.expectedEvents).to.equal(flows.size);
    expect(firewall?.seenEvents).to.equal(flows.size);
  });

  it("accounts the DNS log against every query dns-brute sent, which no wrapper claimed", function () {
    const brute = step(1);
    expect(brute.wire.toolClaims).to.equal(0);
    const queries = new Set(
      brute.wire.dns.filter((q) => q.loggedBy === "dns").map((q) => `${q.name} ${q.type}`),
    );
    expect(queries.size).to.be.greaterThan(100);
    expect(new Set(brute.wire.dns.map((q) => q.type))).to.deep.equal(new Set(["A", "AAAA"]));
    const dns = scenario.logs.find((l) => l.source === "dns");
    expect(dns?.expectedEvents).to.equal(queries.size);
    expect(dns?.seenEvents).to.equal(queries.size);
  });
});
