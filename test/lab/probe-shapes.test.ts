import { join } from "node:path";
import * as chai from "chai";
import { expect } from "chai";
import { scanproofChai } from "../../assertions/chai.js";
import type { Backend } from "../../harness/backend/backend.js";
import { SOURCE_INDEX } from "../../harness/backend/templates.js";
import { assertionsDir } from "../../harness/core/paths.js";
import type { RunResult, ScenarioResult } from "../../harness/result.js";
import { runScenarios } from "../../harness/run/run-scenarios.js";
import type { WireProbe } from "../../harness/scanners/ground-truth.js";
import { fixture } from "../unit/fixture-helpers.js";
import { mappingTypes } from "./es-queries.js";
import { sharedBackend } from "./shared-backend.js";

chai.use(scanproofChai);

type Doc = Record<string, unknown[] | undefined>;

const FIELDS = [
  "source.ip",
  "destination.ip",
  "source.port",
  "destination.port",
  "network.iana_number",
  "network.transport",
  "scanproof.tcp.flags",
  "scanproof.conntrack.state",
  "icmp.request.type",
  "icmp.request.code",
];

const FLAG_LETTERS = ["C", "E", "U", "A", "P", "R", "S", "F"];
/** TCP flag letters in one order, whichever order the wire or the log wrote them in. */
const sortedFlags = (flags: string) => FLAG_LETTERS.filter((l) => flags.includes(l)).join("");
const one = (d: Doc, field: string): string => {
  const v = d[field]?.[0];
  return typeof v === "string" || typeof v === "number" ? String(v) : "";
};

/**
 * What identifies one packet the firewall must log, the same from the wire and from the log: the
 * packet's ends, protocol number, ports, TCP flags and ICMP type and code.
 */
function wireKey(p: WireProbe): string {
  return [
    p.source,
    p.destination,
    p.protocol,
    p.sourcePort ?? "",
    p.port ?? "",
    sortedFlags(p.tcpFlags ?? ""),
    p.icmpType === undefined ? "" : `${p.icmpType}/${p.icmpCode ?? 0}`,
  ].join(" ");
}

function logKey(d: Doc): string {
  const type = one(d, "icmp.request.type");
  return [
    one(d, "source.ip"),
    one(d, "destination.ip"),
    one(d, "network.iana_number"),
    one(d, "source.port"),
    one(d, "destination.port"),
    sortedFlags(one(d, "scanproof.tcp.flags")),
    type === "" ? "" : `${type}/${one(d, "icmp.request.code")}`,
  ].join(" ");
}

/**
 * nmap's manual, every scan type and every host discovery probe, each step captured on the
 * attacker's interface: the firewall must hold a record of exactly the packets the wire shows
 * crossing it that belong to no established flow — nothing missing, nothing invented, no packet twice.
 */
describe("the firewall logs every probe shape nmap sends (real nmap, capture, nftables, ulogd2)", function () {
  let backend: Backend;
  let run: RunResult;
  let scenario: ScenarioResult;
  let logged: Doc[];
  let flows: WireProbe[];

  before(async function () {
    backend = await sharedBackend();
    run = await runScenarios({
      scenarioFiles: [fixture("scenarios", "lab", "probe-shapes.yaml")],
      rulePaths: [join(assertionsDir, "rules")],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend,
    });
    const only = run.scenarios[0];
    if (!only) throw new Error("the scenario did not run");
    scenario = only;
    flows = scenario.groundTruth.flatMap((t) => {
      if (!t.wire) throw new Error(`step ${t.step + 1} has no wire truth`);
      return [...t.wire.probes];
    });
    await backend.client.indices.refresh({ index: SOURCE_INDEX.firewall });
    const response = await backend.client.search({
      index: SOURCE_INDEX.firewall,
      size: 10000,
      query: {
        bool: {
          filter: [
            { term: { "labels.scanproof_run_id": run.runId } },
            { term: { "labels.scanproof_scenario": scenario.id } },
          ],
        },
      },
      fields: FIELDS,
      _source: false,
    });
    logged = response.hits.hits.map((h) => (h.fields ?? {}) as Doc);
  });

  it("passes every expectation of its scenario", function () {
    expect(scenario).to.have.verdict("pass");
  });

  it("captured every step whole", function () {
    for (const t of scenario.groundTruth)
      expect(t.wire?.capture, `step ${t.step + 1}`).to.include({ bounded: false, dropped: 0 });
  });

  it("logs a record for every flow the wire shows, with the first packet's protocol, ports, flags and ICMP type", function () {
    const keys = new Set(logged.map(logKey));
    const missing = [...new Set(flows.map(wireKey))].filter((k) => !keys.has(k));
    expect(missing).to.deep.equal([]);
  });

  it("logs nothing the wire does not show", function () {
    const keys = new Set(flows.map(wireKey));
    const invented = [...new Set(logged.map(logKey))].filter((k) => !keys.has(k));
    expect(invented).to.deep.equal([]);
  });

  it("logs no flow more often than the attacker sent packets in it", function () {
    const sent = new Map<string, number>();
    for (const f of flows) sent.set(wireKey(f), (sent.get(wireKey(f)) ?? 0) + f.packets);
    const records = new Map<string, number>();
    for (const d of logged) records.set(logKey(d), (records.get(logKey(d)) ?? 0) + 1);
    const over = [...records].filter(([k, n]) => n > (sent.get(k) ?? 0)).map(([k, n]) => `${k}: ${n}`);
    expect(over).to.deep.equal([]);
  });

  it("covers every shape of the manual: all 256 IP protocols, SCTP INIT and COOKIE ECHO, every ICMP query, every flag set", function () {
    const protocols = new Set(logged.map((d) => one(d, "network.iana_number")));
    expect(protocols.size).to.equal(256);
    const flags = new Set(
      logged
        .filter((d) => one(d, "network.iana_number") === "6")
        .map((d) => sortedFlags(one(d, "scanproof.tcp.flags"))),
    );
    for (const f of ["S", "A", "AF", "F", "", "UPF", "SF", "CEUP"])
      expect([...flags], `flags "${f}"`).to.include(f);
    const icmp = new Set(logged.map((d) => one(d, "icmp.request.type")).filter((t) => t !== ""));
    expect([...icmp].sort()).to.include.members(["13", "17", "8"]);
    const sctp = logged.filter((d) => one(d, "network.transport") === "sctp");
    expect(new Set(sctp.map((d) => one(d, "scanproof.conntrack.state")))).to.deep.equal(
      new Set(["new", "invalid"]),
    );
  });

  it("records the conntrack state of every packet: new or invalid, never established", function () {
    expect(new Set(logged.map((d) => one(d, "scanproof.conntrack.state")))).to.deep.equal(
      new Set(["new", "invalid"]),
    );
  });

  it("sends to a CIDR block less its --exclude ranges, blocks and lists exactly the addresses left", function () {
    const last = scenario.groundTruth.at(-1);
    expect(new Set(last?.wire?.probes.map((p) => p.destination))).to.deep.equal(
      new Set(["10.20.0.10", "10.20.0.11", "10.20.0.12"]),
    );
  });

  it("indexes the fields the rules read with the types they compare by", async function () {
    expect(
      await mappingTypes(backend, SOURCE_INDEX.firewall, [
        "network.iana_number",
        "network.transport",
        "scanproof.tcp.flags",
        "scanproof.conntrack.state",
        "icmp.request.type",
        "icmp.request.code",
      ]),
    ).to.deep.equal({
      "network.iana_number": "keyword",
      "network.transport": "keyword",
      "scanproof.tcp.flags": "keyword",
      "scanproof.conntrack.state": "keyword",
      "icmp.request.type": "long",
      "icmp.request.code": "long",
    });
  });

  it("indexed every record the firewall wrote", function () {
    expect(scenario).to.have.logged("firewall");
  });
});
