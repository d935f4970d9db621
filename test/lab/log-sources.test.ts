import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as chai from "chai";
import { expect } from "chai";
import { scanproofChai } from "../../assertions/chai.js";
import type { Backend } from "../../harness/backend/backend.js";
import { dataStreamName, SOURCE_INDEX } from "../../harness/backend/templates.js";
import { OUTSIDE } from "../../harness/lab/segments.js";
import { assertionsDir, containersDir, scenariosDir } from "../../harness/core/paths.js";
import type { RunResult, ScenarioResult } from "../../harness/result.js";
import { runScenarios } from "../../harness/run/run-scenarios.js";
import { firstDocument, mappingTypes, type Fields } from "./es-queries.js";
import { sharedBackend } from "./shared-backend.js";

chai.use(scanproofChai);

/** The words of one of the attacker image's wordlists: each tool tries every one exactly once. */
function wordlistSize(name: string): number {
  return readFileSync(join(containersDir, "attacker", "wordlists", name), "utf8")
    .split("\n")
    .filter((w) => w.trim() !== "").length;
}

describe("log sources: firewall, IDS, NetFlow, web and DNS (real nftables, Suricata, softflowd, nginx, unbound)", function () {
  let backend: Backend;
  let run: RunResult;
  let scenario: ScenarioResult;

  const document = (index: string, filter: object[], fields: string[]): Promise<Fields> =>
    firstDocument(backend, { runId: run.runId, scenarioId: scenario.id }, index, filter, fields);
  const typesOf = (index: string, fields: string[]) => mappingTypes(backend, index, fields);

  before(async function () {
    backend = await sharedBackend();
    run = await runScenarios({
      scenarioFiles: [join(scenariosDir, "all-log-sources.yaml")],
      rulePaths: [join(assertionsDir, "rules")],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend,
    });
    const only = run.scenarios[0];
    if (!only) throw new Error("the scenario did not run");
    scenario = only;
  });

  it("passes every expectation of its scenario file", function () {
    expect(scenario).to.have.verdict("pass");
  });

  it("has every request ffuf and the NSE sent in the web log, as ffuf reported them, and indexes every line", function () {
    expect(scenario).to.have.logged("web");
    const ffuf = scenario.groundTruth.find((t) => t.tool === "ffuf");
    expect(ffuf?.events.length).to.equal(wordlistSize("web-paths.txt"));
    expect(ffuf?.wire?.claimsOnWire).to.equal(ffuf?.wire?.toolClaims);
    const nse = scenario.groundTruth.find((t) => t.command.includes("http-title"));
    const requests = [ffuf, nse].flatMap((t) => t?.wire?.http.filter((r) => r.loggedBy === "web") ?? []);
    const distinct = new Set(requests.map((r) => `${r.destination} ${r.method} ${r.uri} ${r.host}`));
    expect(distinct.size).to.be.at.least(wordlistSize("web-paths.txt") + 1);
    const web = scenario.logs.find((l) => l.source === "web");
    expect(web?.expectedEvents).to.equal(distinct.size);
  });

  it("has the Nmap Scripting Engine's requests in the web log", function () {
    const nse = scenario.groundTruth.find((t) => t.command.includes("http-title"));
    expect(nse?.events).to.have.length(1);
  });

  it("has every query gobuster sent and the AXFR attempt in the DNS log, and indexes every line", function () {
    expect(scenario).to.have.logged("dns");
    const gobuster = scenario.groundTruth.find((t) => t.tool === "gobuster-dns");
    expect(gobuster?.events.length).to.equal(wordlistSize("dns-names.txt"));
    expect(gobuster?.wire?.unseenClaims).to.deep.equal([]);
    const asked = new Set(gobuster?.wire?.dns.map((q) => `${q.name} ${q.type}`));
    for (const e of gobuster?.events ?? []) expect(asked).to.include(`${e.fields["dns.question.name"]} AAAA`);
    const axfr = scenario.groundTruth.find((t) => t.tool === "axfr");
    expect(axfr?.wire?.dns.map((q) => q.type)).to.deep.equal(["AXFR"]);
    expect(scenario.logs.find((l) => l.source === "dns")?.expectedEvents).to.equal(asked.size + 1);
  });

  it("logs every probe at the firewall, the ping sweep's ICMP echoes to every address of the /29 included", function () {
    expect(scenario).to.have.logged("firewall");
    const sweep = scenario.groundTruth[0];
    const echoed = sweep?.wire?.probes
      .filter((p) => p.protocol === 1 && p.icmpType === 8)
      .map((p) => p.destination);
    expect(new Set(echoed)).to.deep.equal(new Set([8, 9, 10, 11, 12, 13, 14, 15].map((n) => `10.20.0.${n}`)));
  });

  it("has a Suricata flow for every probe and raises scanproof's scanning signatures", function () {
    expect(scenario).to.have.logged("ids");
    const ids = scenario.logs.find((l) => l.source === "ids");
    for (const sid of ["9100001", "9100003", "9100005", "9100010", "9100014", "9100020"]) {
      expect(ids?.signatures[sid], `signature ${sid}`).to.be.greaterThan(0);
    }
  });

  it("has a NetFlow record for every probe, SYN probes with at most two packets", async function () {
    expect(scenario).to.have.logged("flow");
    const types = await typesOf(SOURCE_INDEX.flow, [
      "network.packets",
      "network.bytes",
      "event.duration",
      "scanproof.tcp.flags",
    ]);
    expect(types).to.deep.equal({
      "network.packets": "long",
      "network.bytes": "long",
      "event.duration": "long",
      "scanproof.tcp.flags": "keyword",
    });
    const probe = await document(
      SOURCE_INDEX.flow,
      [
        { term: { "event.dataset": "scanproof.flow" } },
        { term: { "source.ip": OUTSIDE.attacker } },
        { term: { "destination.port": 3389 } },
      ],
      ["event.action", "network.transport", "network.packets", "scanproof.tcp.flags", "observer.product"],
    );
    expect(probe["event.action"]).to.deep.equal(["network_flow"]);
    expect(probe["network.transport"]).to.deep.equal(["tcp"]);
    expect(Number(probe["network.packets"]?.[0])).to.be.within(1, 2);
    expect(String(probe["scanproof.tcp.flags"]?.[0])).to.match(/^\.+S\.$/);
    expect(probe["observer.product"]).to.deep.equal(["softflowd"]);
  });

  it("shows Elastic's rules each connection once, in network_traffic's shape: opener as source, both sides counted", async function () {
    const connections = dataStreamName("network_traffic.flow");
    const otherViews = await backend.client.count({
      index: connections,
      query: {
        bool: {
          filter: [{ term: { "labels.scanproof_run_id": run.runId } }],
          must_not: [{ term: { "data_stream.dataset": "network_traffic.flow" } }],
        },
      },
    });
    expect(otherViews.count, "one-direction records behind the alias").to.equal(0);
    const probe = await document(
      connections,
      [{ term: { "source.ip": OUTSIDE.attacker } }, { term: { "destination.port": 3389 } }],
      [
        "event.category",
        "event.action",
        "type",
        "source.packets",
        "destination.packets",
        "network.packets",
        "scanproof.tcp.flags",
        "scanproof.tcp.reply_flags",
      ],
    );
    expect(probe["event.category"]).to.have.members(["network_traffic", "network"]);
    expect(probe["event.action"]).to.deep.equal(["network_flow"]);
    expect(probe["type"]).to.deep.equal(["flow"]);
    expect(String(probe["scanproof.tcp.flags"]?.[0])).to.match(/^\.+S\.$/);
    expect(String(probe["scanproof.tcp.reply_flags"]?.[0]), "the target's reset").to.match(/R/);
    expect(probe["source.packets"]).to.deep.equal([1]);
    expect(probe["destination.packets"]).to.deep.equal([1]);
    expect(probe["network.packets"]).to.deep.equal([2]);
  });

  it("stores IDS alerts and flows as ECS with the right types and values", async function () {
    const types = await typesOf(SOURCE_INDEX.ids, [
      "rule.id",
      "event.severity",
      "network.packets",
      "event.duration",
      "source.ip",
    ]);
    expect(types).to.deep.equal({
      "rule.id": "keyword",
      "event.severity": "long",
      "network.packets": "long",
      "event.duration": "long",
      "source.ip": "ip",
    });
    const alert = await document(
      SOURCE_INDEX.ids,
      [{ term: { "rule.id": "9100010" } }],
      ["event.kind", "event.action", "source.ip", "destination.port", "observer.product", "rule.name"],
    );
    expect(alert["event.kind"]).to.deep.equal(["alert"]);
    expect(alert["event.action"]).to.deep.equal(["alert"]);
    expect(alert["source.ip"]).to.deep.equal([OUTSIDE.attacker]);
    expect(alert["destination.port"]).to.deep.equal([80]);
    expect(alert["observer.product"]).to.deep.equal(["Suricata"]);
    expect(String(alert["rule.name"]?.[0])).to.match(/^SCANPROOF/);
    const flow = await document(
      SOURCE_INDEX.ids,
      [{ term: { "event.action": "network_flow" } }, { term: { "destination.port": 3389 } }],
      ["network.transport", "network.packets", "source.ip"],
    );
    expect(flow["network.transport"]).to.deep.equal(["tcp"]);
    expect(flow["source.ip"]).to.deep.equal([OUTSIDE.attacker]);
    expect(Number(flow["network.packets"]?.[0])).to.be.within(1, 3);
  });

  it("writes each sensor's events in the shape of its Elastic integration, under the data stream's name", async function () {
    const syn = await document(
      dataStreamName("iptables.log"),
      [{ term: { "source.ip": OUTSIDE.attacker } }, { term: { "destination.port": 3389 } }],
      ["iptables.tcp.flags", "iptables.tcp.window", "iptables.ttl", "iptables.input_device"],
    );
    expect(syn["iptables.tcp.flags"]).to.deep.equal(["SYN"]);
    expect(syn["iptables.tcp.window"], "nmap's raw SYN").to.deep.equal([1024]);
    expect(syn["iptables.input_device"]).to.deep.equal(["vx-out"]);
    expect(Number(syn["iptables.ttl"]?.[0])).to.be.within(1, 255);

    const echo = await document(
      dataStreamName("network_traffic.icmp"),
      [
        { term: { "source.ip": OUTSIDE.attacker } },
        { term: { "destination.ip": "10.20.0.10" } },
        { term: { "icmp.request.type": 8 } },
      ],
      [
        "type",
        "event.category",
        "network.transport",
        "icmp.response.type",
        "status",
        "source.bytes",
        "destination.bytes",
      ],
    );
    expect(echo["type"]).to.deep.equal(["icmp"]);
    expect(echo["event.category"]).to.have.members(["network_traffic", "network"]);
    expect(echo["network.transport"]).to.deep.equal(["icmp"]);
    expect(echo["icmp.response.type"], "the web server's echo reply").to.deep.equal([0]);
    expect(echo["status"]).to.deep.equal(["OK"]);
    expect(
      [Number(echo["source.bytes"]?.[0]), Number(echo["destination.bytes"]?.[0])],
      "each message's payload, as Packetbeat counts it: nmap's echo request carries no data, nor its reply",
    ).to.deep.equal([0, 0]);

    const reply = await document(
      dataStreamName("network_traffic.dns"),
      [{ term: { "event.action": "dns_reply" } }],
      ["type", "event.category", "event.type", "network.protocol", "destination.bytes"],
    );
    expect(reply["type"]).to.deep.equal(["dns"]);
    expect(reply["event.category"]).to.have.members(["network_traffic", "network"]);
    expect(reply["event.type"]).to.have.members(["connection", "protocol"]);
    expect(reply["network.protocol"]).to.deep.equal(["dns"]);
    expect(Number(reply["destination.bytes"]?.[0]), "the answer's size").to.be.greaterThan(0);

    const alert = await document(
      dataStreamName("suricata.eve"),
      [{ term: { "suricata.eve.event_type": "alert" } }],
      ["event.kind"],
    );
    expect(alert["event.kind"]).to.deep.equal(["alert"]);
    const oneWay = await document(dataStreamName("netflow.log"), [], ["event.dataset"]);
    expect(oneWay["event.dataset"]).to.deep.equal(["scanproof.flow"]);
    const access = await document(dataStreamName("nginx.access"), [], ["event.category"]);
    expect(access["event.category"]).to.deep.equal(["web"]);
  });

  it("stores web events as ECS with the right types and values", async function () {
    const types = await typesOf(SOURCE_INDEX.web, [
      "@timestamp",
      "source.ip",
      "http.response.status_code",
      "url.path",
      "user_agent.original",
    ]);
    expect(types).to.deep.equal({
      "@timestamp": "date",
      "source.ip": "ip",
      "http.response.status_code": "long",
      "url.path": "keyword",
      "user_agent.original": "keyword",
    });
    const doc = await document(
      SOURCE_INDEX.web,
      [{ term: { "url.path": "/admin" } }],
      [
        "source.ip",
        "destination.port",
        "http.request.method",
        "http.response.status_code",
        "url.path",
        "user_agent.original",
        "event.category",
        "event.outcome",
      ],
    );
    expect(doc["source.ip"]).to.deep.equal([OUTSIDE.attacker]);
    expect(doc["destination.port"]).to.deep.equal([80]);
    expect(doc["http.request.method"]).to.deep.equal(["GET"]);
    expect(doc["http.response.status_code"]).to.deep.equal([404]);
    expect(doc["event.category"]).to.deep.equal(["web"]);
    expect(doc["event.outcome"]).to.deep.equal(["failure"]);
    expect(String(doc["user_agent.original"]?.[0])).to.match(/^Fuzz Faster U Fool/);
  });

  it("stores DNS replies as ECS, the refused zone transfer included", async function () {
    const types = await typesOf(SOURCE_INDEX.dns, ["dns.question.name", "dns.response_code", "source.ip"]);
    expect(types).to.deep.equal({
      "dns.question.name": "keyword",
      "dns.response_code": "keyword",
      "source.ip": "ip",
    });
    const axfr = await document(
      SOURCE_INDEX.dns,
      [{ term: { "dns.question.type": "AXFR" } }],
      ["dns.question.name", "dns.response_code", "source.ip", "event.outcome"],
    );
    expect(axfr["dns.question.name"]).to.deep.equal(["lab.example"]);
    expect(axfr["dns.response_code"]).to.deep.equal(["REFUSED"]);
    expect(axfr["source.ip"]).to.deep.equal([OUTSIDE.attacker]);
    expect(axfr["event.outcome"]).to.deep.equal(["failure"]);
    const missed = await document(
      SOURCE_INDEX.dns,
      [{ term: { "dns.question.name": "intranet.lab.example" } }, { term: { "dns.question.type": "A" } }],
      ["dns.response_code"],
    );
    expect(missed["dns.response_code"]).to.deep.equal(["NXDOMAIN"]);
    const found = await document(
      SOURCE_INDEX.dns,
      [{ term: { "dns.question.name": "www.lab.example" } }, { term: { "dns.question.type": "A" } }],
      ["dns.response_code"],
    );
    expect(found["dns.response_code"]).to.deep.equal(["NOERROR"]);
  });

  it("records how long each source took to become searchable", function () {
    for (const log of scenario.logs)
      expect(log.ingestWaitMs, log.source).to.be.a("number").and.be.below(60_000);
  });
});
