import * as chai from "chai";
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { scanproofChai } from "../../assertions/chai.js";
import type { Backend } from "../../harness/backend/backend.js";
import { SOURCE_INDEX } from "../../harness/backend/templates.js";
import { BLOCKLIST_SIGNATURE } from "../../harness/escalation/containment.js";
import { OUTSIDE } from "../../harness/lab/segments.js";
import { assertionsDir, scenariosDir } from "../../harness/core/paths.js";
import type { IncidentReport } from "../../harness/report/incident.js";
import type { RunResult, ScenarioResult } from "../../harness/result.js";
import { runScenarios } from "../../harness/run/run-scenarios.js";
import { firstDocument } from "./es-queries.js";
import { sharedBackend } from "./shared-backend.js";

chai.use(scanproofChai);

const VERTICAL_SCAN_RULE = "5b7c1f0e-2a59-4e53-9d1a-0f3f7c9f6a01";
const ATTACKER = OUTSIDE.attacker;

describe("escalation, enrichment, containment and incident reports (real lab)", function () {
  let backend: Backend;
  let run: RunResult;
  const scenario = (id: string): ScenarioResult => {
    const found = run.scenarios.find((s) => s.id === id);
    if (!found) throw new Error(`scenario ${id} did not run`);
    return found;
  };
  const incidents = (id: string): IncidentReport[] => {
    const folder = join(run.resultsDir, "incidents", id);
    return readdirSync(folder)
      .filter((f) => f.endsWith(".json"))
      .map((f) => JSON.parse(readFileSync(join(folder, f), "utf8")) as IncidentReport);
  };

  before(async function () {
    backend = await sharedBackend();
    run = await runScenarios({
      scenarioFiles: [
        join(scenariosDir, "contain-and-rescan.yaml"),
        join(scenariosDir, "enrichment-known-bad-source.yaml"),
      ],
      rulePaths: [join(assertionsDir, "rules")],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend,
    });
  });

  describe("contain-and-rescan: block at Tier 2, rescan denied", function () {
    it("passes every expectation of its scenario file", function () {
      expect(scenario("contain-and-rescan")).to.have.verdict("pass");
    });

    it("blocked the attacker at the firewall and on the IDS block list, at Tier 2", function () {
      const [record] = scenario("contain-and-rescan").containment ?? [];
      expect(record).to.include({ source: ATTACKER, tier: "tier2", blocked: true });
      expect(record?.commands).to.deep.equal([
        `nft add element inet scanproof blocklist { ${ATTACKER} }`,
        `suricatasc -c "dataset-add scanproof-blocklist ip ${ATTACKER}"`,
      ]);
    });

    it("saw every probe of the rescan denied: one denied firewall event per probed port, none allowed", function () {
      const s = scenario("contain-and-rescan");
      const rescan = s.groundTruth[2];
      const ports = new Set(rescan?.probes.map((p) => p.port));
      expect(ports.size).to.equal(200);
      expect(s.containment?.[0]?.verification?.allowedAfter).to.equal(0);
      expect(s.containment?.[0]?.verification?.deniedAfter).to.be.at.least(ports.size);
    });

    it("logs the denied probes as ECS failures with the containment's own rule prefix", async function () {
      const s = scenario("contain-and-rescan");
      const doc = await firstDocument(
        backend,
        { runId: run.runId, scenarioId: s.id },
        SOURCE_INDEX.firewall,
        [{ term: { "event.type": "denied" } }],
        ["event.type", "event.outcome", "rule.name", "source.ip", "@timestamp"],
      );
      expect(doc["event.outcome"]).to.deep.equal(["failure"]);
      expect(doc["rule.name"]).to.deep.equal(["scanproof fw deny blocklist"]);
      expect(doc["source.ip"]).to.deep.equal([ATTACKER]);
      expect(Date.parse(String(doc["@timestamp"]?.[0]))).to.be.at.least(
        Date.parse(s.containment?.[0]?.at ?? "") - 1000,
      );
    });

    it("has the IDS flag the block-listed source", async function () {
      const doc = await firstDocument(
        backend,
        { runId: run.runId, scenarioId: "contain-and-rescan" },
        SOURCE_INDEX.ids,
        [{ term: { "rule.id": BLOCKLIST_SIGNATURE } }],
        ["source.ip", "rule.name", "scanproof.ids.containment"],
      );
      expect(doc["source.ip"]).to.deep.equal([ATTACKER]);
      expect(doc["rule.name"]).to.deep.equal(["SCANPROOF traffic from a block-listed source"]);
      expect(doc["scanproof.ids.containment"]).to.deep.equal(["blocklist"]);
    });

    it("writes an incident report per Tier 2 alert with the containment performed", function () {
      const s = scenario("contain-and-rescan");
      const tier2 = s.alerts.filter((a) => a.tier === "tier2");
      const reports = incidents(s.id);
      expect(reports.map((r) => r.id).sort()).to.deep.equal(tier2.map((a) => a.id).sort());
      const vertical = reports.find((r) => r.decision.rule.id === VERTICAL_SCAN_RULE);
      expect(vertical?.containment[0]).to.include({ blocked: true, source: ATTACKER });
      expect(vertical?.summary).to.match(
        /Contained at \S+: blocked at the firewall, \d+ later events denied\./,
      );
      const md = readFileSync(join(run.resultsDir, "incidents", s.id, `${vertical?.id ?? ""}.md`), "utf8");
      expect(md)
        .to.include("## Containment performed")
        .and.to.include("nft add element inet scanproof blocklist");
    });
  });

  describe("enrichment-known-bad-source: the analyst's lookups", function () {
    it("passes every expectation of its scenario file", function () {
      expect(scenario("enrichment-known-bad-source")).to.have.verdict("pass");
    });

    it("answers the playbook's four questions for the bastion scan", function () {
      const alert = scenario("enrichment-known-bad-source").alerts.find(
        (a) => a.ruleId === VERTICAL_SCAN_RULE,
      );
      const a = alert?.analysis;
      expect(a?.internalOrKnown).to.include({ internal: false, reputation: "malicious", seenBefore: false });
      expect(a?.portsAndServices.declaredServices).to.deep.equal(["ssh-bastion 22/tcp OpenSSH 9.2p1"]);
      expect(a?.volume.events).to.equal(alert?.enrichment?.activity.probes);
      expect(a?.similarRecently.answer).to.be.a("string").and.not.equal("");
    });

    it("recommends blocking, with the firewall rule in the incident report", function () {
      const [report] = incidents("enrichment-known-bad-source").filter(
        (r) => r.decision.rule.id === VERTICAL_SCAN_RULE,
      );
      expect(report?.recommendations).to.include(
        `block at the perimeter: nft insert rule inet filter forward ip saddr ${ATTACKER} counter log prefix "blocked scanner " drop`,
      );
      expect(report?.source.reputation.verdict).to.equal("malicious");
      expect(report?.targets.services.map((s) => s.cves)).to.deep.equal([
        ["CVE-2023-48795", "CVE-2024-6387"],
      ]);
    });
  });
});
