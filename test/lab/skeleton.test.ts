import { join } from "node:path";
import * as chai from "chai";
import { expect } from "chai";
import { scanproofChai } from "../../assertions/chai.js";
import type { Backend } from "../../harness/backend/backend.js";
import { ALERTS_INDEX, SOURCE_INDEX } from "../../harness/backend/templates.js";
import { docker, LABEL_RUN } from "../../harness/docker/client.js";
import { DMZ, OUTSIDE } from "../../harness/lab/segments.js";
import { assertionsDir, projectRoot, scenariosDir } from "../../harness/core/paths.js";
import type { RunResult, ScenarioResult } from "../../harness/result.js";
import { runScenarios } from "../../harness/run/run-scenarios.js";
import { firstDocument, mappingTypes } from "./es-queries.js";
import { sharedBackend } from "./shared-backend.js";

chai.use(scanproofChai);

const VERTICAL_SCAN_RULE = "5b7c1f0e-2a59-4e53-9d1a-0f3f7c9f6a01";
const ATTACKER = OUTSIDE.attacker;
const WEB = `${DMZ.subnet.split(".").slice(0, 3).join(".")}.${DMZ.firstTarget}`;

describe("walking skeleton (real Docker, Elasticsearch, nmap)", function () {
  let backend: Backend;
  let run: RunResult;
  const scenario = (id: string): ScenarioResult => {
    const found = run.scenarios.find((s) => s.id === id);
    if (!found) throw new Error(`scenario ${id} did not run`);
    return found;
  };

  before(async function () {
    backend = await sharedBackend();
    run = await runScenarios({
      scenarioFiles: [
        join(scenariosDir, "nmap-syn-top1000.yaml"),
        join(scenariosDir, "benign-web-browsing.yaml"),
        join(projectRoot, "test", "fixtures", "scenarios", "out-of-scope-target.yaml"),
      ],
      rulePaths: [join(assertionsDir, "rules")],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend,
    });
  });

  describe("nmap -sS --top-ports 1000 against the web target", function () {
    it("passes every expectation of its scenario file", function () {
      expect(scenario("nmap-syn-top1000")).to.have.verdict("pass");
    });

    it("logs every flow the attacker sent, finds every port nmap's XML claims on the wire, and indexes every firewall record", function () {
      const scan = scenario("nmap-syn-top1000");
      expect(scan).to.have.logged("firewall");
      const truth = scan.groundTruth[0];
      expect(truth?.probes.filter((p) => p.transport === "tcp")).to.have.length(1000);
      expect(truth?.wire?.claimsOnWire).to.equal(1000);
      expect(truth?.wire?.unseenClaims).to.deep.equal([]);
      const wire = truth?.wire?.probes ?? [];
      expect(new Set(wire.map((p) => p.destination))).to.deep.equal(new Set([WEB]));
      expect(
        new Set(wire.filter((p) => p.protocol === 6 && p.tcpFlags === "S").map((p) => p.port)).size,
      ).to.equal(1000);
      // Host discovery before the scan: echo and timestamp requests, SYN to 443 and ACK to 80.
      expect(new Set(wire.filter((p) => p.protocol === 1).map((p) => p.icmpType))).to.deep.equal(
        new Set([8, 13]),
      );
      expect(wire.some((p) => p.port === 80 && p.tcpFlags === "A")).to.equal(true);
    });

    it("stores firewall events as ECS with the right types and values", async function () {
      expect(
        await mappingTypes(backend, SOURCE_INDEX.firewall, [
          "@timestamp",
          "source.ip",
          "destination.ip",
          "destination.port",
          "network.transport",
          "labels.scanproof_run_id",
        ]),
      ).to.deep.equal({
        "@timestamp": "date",
        "source.ip": "ip",
        "destination.ip": "ip",
        "destination.port": "long",
        "network.transport": "keyword",
        "labels.scanproof_run_id": "keyword",
      });

      const scan = scenario("nmap-syn-top1000");
      const truth = scan.groundTruth[0];
      const doc = await firstDocument(
        backend,
        { runId: run.runId, scenarioId: scan.id },
        SOURCE_INDEX.firewall,
        [{ term: { "destination.port": 22 } }],
        [
          "scanproof.tcp.flags",
          "scanproof.tcp.window",
          "@timestamp",
          "source.ip",
          "destination.ip",
          "destination.port",
          "network.transport",
          "event.kind",
          "event.category",
          "event.type",
          "event.action",
          "event.outcome",
          "observer.type",
        ],
      );
      const value = (f: string) => doc[f]?.[0];
      expect(value("source.ip")).to.equal(ATTACKER);
      expect(value("destination.ip")).to.equal(WEB);
      expect(value("destination.port")).to.equal(22);
      expect(value("network.transport")).to.equal("tcp");
      expect(value("event.kind")).to.equal("event");
      expect(value("event.category")).to.equal("network");
      expect(value("event.type")).to.equal("allowed");
      expect(value("event.action")).to.equal("connection_attempted");
      expect(value("event.outcome")).to.equal("success");
      expect(value("observer.type")).to.equal("firewall");
      expect(value("scanproof.tcp.flags")).to.equal("S");
      expect(value("scanproof.tcp.window")).to.equal(1024);
      const at = Date.parse(String(value("@timestamp")));
      expect(at).to.be.within(
        Date.parse(truth?.startedAt ?? "") - 2000,
        Date.parse(truth?.endedAt ?? "") + 2000,
      );
    });

    it("fires the vertical port scan rule once for the attacker, escalated to Tier 2 as external and never seen", function () {
      const scan = scenario("nmap-syn-top1000");
      expect(scan)
        .to.have.alert(VERTICAL_SCAN_RULE, ATTACKER)
        .times(1)
        .with.tier("tier2")
        .and.reason("external-never-seen");
      const alert = scan.alerts.find((a) => a.ruleId === VERTICAL_SCAN_RULE);
      expect(alert?.destination).to.equal(WEB);
      expect(alert?.distinct).to.deep.equal([{ field: "destination.port", values: 1000 }]);
      expect(alert?.techniques).to.include.members(["T1595", "T1595.001"]);
    });

    it("writes the alert as a searchable ECS document with the ATT&CK mapping and the escalation", async function () {
      const response = await backend.client.search<Record<string, unknown>>({
        index: ALERTS_INDEX,
        query: {
          bool: {
            filter: [
              { term: { "labels.scanproof_run_id": run.runId } },
              { term: { "rule.id": VERTICAL_SCAN_RULE } },
            ],
          },
        },
        fields: [
          "event.kind",
          "event.risk_score",
          "threat.technique.id",
          "threat.technique.subtechnique.id",
          "threat.tactic.id",
          "scanproof.escalation.tier",
          "scanproof.escalation.reasons.code",
          "source.ip",
        ],
      });
      expect(response.hits.hits).to.have.length(1);
      const fields = response.hits.hits[0]?.fields ?? {};
      expect(fields["event.kind"]).to.deep.equal(["alert"]);
      expect(fields["event.risk_score"]).to.deep.equal([47]);
      expect(fields["threat.technique.id"]).to.deep.equal(["T1595"]);
      expect(fields["threat.technique.subtechnique.id"]).to.deep.equal(["T1595.001"]);
      expect(fields["threat.tactic.id"]).to.deep.equal(["TA0043"]);
      expect(fields["scanproof.escalation.tier"]).to.deep.equal(["tier2"]);
      expect(fields["scanproof.escalation.reasons.code"]).to.include.members([
        "external-never-seen",
        "range-of-services",
      ]);
      expect(fields["source.ip"]).to.deep.equal([ATTACKER]);
    });
  });

  describe("benign browsing of the web target", function () {
    it("logs each request's connection (down to its source port) and raises no alert", function () {
      const benign = scenario("benign-web-browsing");
      expect(benign).to.have.verdict("pass");
      expect(benign).to.have.logged("firewall");
      expect(benign.groundTruth[0]?.probes).to.have.length(9);
      expect(benign.groundTruth[0]?.wire?.probes).to.have.length(9);
      expect(benign).to.be.silent;
    });
  });

  describe("scope guard", function () {
    it("refuses what nmap's own listing puts outside the lab before nmap scans, with an error verdict", function () {
      const refused = scenario("out-of-scope-target");
      expect(refused).to.have.verdict("error");
      expect(refused.reason).to.match(
        /nmap would scan 4 addresses outside this run's lab networks .*: 198\.18\.1\.0, 198\.18\.1\.1, 198\.18\.1\.2, 198\.18\.1\.3\. Nothing was sent/,
      );
      expect(refused.groundTruth).to.have.length(0);
    });
  });

  describe("cleanup", function () {
    it("leaves no container or network of the run behind", async function () {
      const label = [`${LABEL_RUN}=${run.runId}`];
      expect(await docker().listContainers({ all: true, filters: { label } })).to.have.length(0);
      expect(await docker().listNetworks({ filters: { label } })).to.have.length(0);
    });
  });
});
