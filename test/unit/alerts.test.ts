import { expect } from "chai";
import { join } from "node:path";
import { alertDocument, buildThresholdHistory, type Alert } from "../../harness/detection/live/alerts.js";
import type { ThresholdRule } from "../../harness/detection/rules/rule.js";
import { loadContext } from "../../harness/context/context.js";
import { escalate, type Escalation } from "../../harness/escalation/escalate.js";
import { assertionsDir } from "../../harness/core/paths.js";
import { factsFixture } from "./escalation-fixtures.js";

const NOW = new Date("2026-11-28T13:00:40.000Z");
const LABELS = { runId: "20261128-125958-a77c", scenarioId: "nmap-syn-top1000" };
const SCOPE = { key: `${LABELS.runId}/${LABELS.scenarioId}`, labels: LABELS };

const RULE: ThresholdRule = {
  file: "assertions/rules/reconnaissance_vertical_port_scan_firewall.toml",
  ruleId: "5b7c1f0e-2a59-4e53-9d1a-0f3f7c9f6a01",
  name: "Vertical Port Scan Seen by the Firewall",
  description: "One source, many ports of one destination.",
  severity: "medium",
  riskScore: 47,
  index: ["scanproof-firewall*"],
  language: "kuery",
  query: "event.category:network",
  filter: { match: { "event.category": "network" } },
  lookbackMs: 540_000,
  endOffsetMs: 0,
  intervalMs: 300_000,
  maxSignals: 100,
  timestampField: "@timestamp",
  timestampFallback: false,
  threat: [
    {
      tactic: { id: "TA0043", name: "Reconnaissance" },
      techniques: [
        {
          id: "T1595",
          name: "Active Scanning",
          subtechniques: [{ id: "T1595.001", name: "Scanning IP Blocks" }],
        },
      ],
    },
  ],
  type: "threshold",
  threshold: {
    fields: ["source.ip", "destination.ip"],
    value: 1,
    cardinality: [{ field: "destination.port", value: 100 }],
  },
};

function alert(
  group: Record<string, string> = { "source.ip": "198.18.0.10", "destination.ip": "10.20.0.10" },
): Alert<Escalation> {
  return {
    id: "4f1c0d2e9b8a7c6d5e4f3a2b1c0d9e8f",
    rule: RULE,
    group,
    evidence: {
      events: 1000,
      distinct: [{ field: "destination.port", values: 1000 }],
      firstSeen: "2026-11-28T13:00:24.000Z",
      lastSeen: "2026-11-28T13:00:36.000Z",
    },
    window: { gte: "2026-11-28T12:51:40.000Z", lte: "2026-11-28T13:00:40.000Z" },
    escalation: escalate(
      factsFixture("nmap-syn-top1000"),
      loadContext(join(assertionsDir, "context", "default.yaml")),
      [],
    ),
  };
}

describe("alertDocument", () => {
  const doc = alertDocument(alert(), SCOPE, NOW);

  it("is an ECS alert event stamped with the time it was written", () => {
    expect(doc["@timestamp"]).to.equal(NOW.toISOString());
    expect(doc).to.have.nested.property("event.kind", "alert");
    expect(doc).to.have.nested.property("event.created", NOW.toISOString());
  });

  it("carries Kibana's numeric severity and the rule's risk score", () => {
    expect(doc).to.have.nested.property("event.severity", 47);
    expect(doc).to.have.nested.property("event.risk_score", 47);
  });

  it("names the rule by rule_id and the alert by its stable id", () => {
    expect(doc).to.deep.include({
      rule: {
        id: RULE.ruleId,
        uuid: "4f1c0d2e9b8a7c6d5e4f3a2b1c0d9e8f",
        name: RULE.name,
        description: RULE.description,
        ruleset: "scanproof",
        type: "threshold",
        reference: RULE.file,
      },
    });
  });

  it("maps the threat to ATT&CK technique and sub-technique ids in ECS shape", () => {
    expect(doc["threat"]).to.deep.equal([
      {
        framework: "MITRE ATT&CK",
        tactic: { id: "TA0043", name: "Reconnaissance" },
        technique: [
          {
            id: "T1595",
            name: "Active Scanning",
            subtechnique: [{ id: "T1595.001", name: "Scanning IP Blocks" }],
          },
        ],
      },
    ]);
  });

  it("sets source.ip and destination.ip from the group", () => {
    expect(doc["source"]).to.deep.equal({ ip: "198.18.0.10" });
    expect(doc["destination"]).to.deep.equal({ ip: "10.20.0.10" });
  });

  it("omits source and destination when the group does not have them", () => {
    const grouped = alertDocument(alert({}), SCOPE, NOW);
    expect(grouped).to.not.have.property("source");
    expect(grouped).to.not.have.property("destination");
    expect(grouped["message"]).to.include("any source");
  });

  it("labels the alert with the run and the scenario", () => {
    expect(doc["labels"]).to.deep.equal({
      scanproof_run_id: LABELS.runId,
      scanproof_scenario: LABELS.scenarioId,
    });
  });

  it("records the scope its threshold history is kept in", () => {
    expect(doc).to.have.nested.property("scanproof.scope", "20261128-125958-a77c/nmap-syn-top1000");
  });

  it("records the escalation tier and reasons", () => {
    expect(doc).to.have.nested.property("scanproof.escalation.tier", "tier2");
    expect(doc).to.have.nested.property("scanproof.escalation.reasons[0].code", "external-never-seen");
  });

  it("records the evidence and the window", () => {
    expect(doc).to.have.nested.property("scanproof.evidence.events", 1000);
    expect(doc).to.have.nested.property("scanproof.evidence.first_seen", "2026-11-28T13:00:24.000Z");
    expect(doc).to.have.nested.property("scanproof.window.gte", "2026-11-28T12:51:40.000Z");
  });

  it("summarises rule, source, destination and counts in the message", () => {
    expect(doc["message"]).to.equal(
      "Vertical Port Scan Seen by the Firewall: 198.18.0.10 to 10.20.0.10, 1000 events, 1000 distinct destination.port between 2026-11-28T13:00:24.000Z and 2026-11-28T13:00:36.000Z",
    );
  });
});

describe("buildThresholdHistory", () => {
  const a = { "source.ip": "198.18.0.10", "destination.ip": "10.20.0.10" };
  const b = { "source.ip": "198.18.0.11", "destination.ip": "10.20.0.10" };

  it("keeps the latest last event of each group, as Kibana's signal history does", () => {
    const history = buildThresholdHistory(RULE, [
      { group: a, lastSeen: "2026-11-28T13:00:36.000Z" },
      { group: b, lastSeen: "2026-11-28T13:01:00.000Z" },
      {
        group: { "destination.ip": a["destination.ip"], "source.ip": a["source.ip"] },
        lastSeen: "2026-11-28T13:05:00.000Z",
      },
      { group: a, lastSeen: "2026-11-28T13:02:00.000Z" },
    ]);
    expect(
      [...history.values()].map((h) => [h.group["source.ip"], h.lastSeen.toISOString()]),
    ).to.have.deep.members([
      ["198.18.0.10", "2026-11-28T13:05:00.000Z"],
      ["198.18.0.11", "2026-11-28T13:01:00.000Z"],
    ]);
  });

  it("ignores alerts grouped by other fields (an earlier version of the rule) and unreadable times", () => {
    const history = buildThresholdHistory(RULE, [
      { group: { "source.ip": "198.18.0.10" }, lastSeen: "2026-11-28T13:00:36.000Z" },
      { group: a, lastSeen: "" },
    ]);
    expect(history.size).to.equal(0);
  });
});
