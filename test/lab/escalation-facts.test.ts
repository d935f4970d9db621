import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Backend } from "../../harness/backend/backend.js";
import { ALERTS_INDEX, SOURCE_INDEX } from "../../harness/backend/templates.js";
import { executeRule, type ExecutionScope } from "../../harness/detection/live/engine.js";
import { type Detection } from "../../harness/detection/rules/rule.js";
import { loadRuleFile } from "../../harness/detection/rules/rule-loader.js";
import type { Rule } from "../../harness/detection/rules/rule.js";
import { loadContext } from "../../harness/context/context.js";
import { escalate, type Escalation } from "../../harness/escalation/escalate.js";
import type { EscalationFacts } from "../../harness/escalation/facts.js";
import { gatherFacts } from "../../harness/escalation/gather-facts.js";
import { placeInventory } from "../../harness/context/inventory.js";
import { assertionsDir, projectRoot } from "../../harness/core/paths.js";
import { newRunId } from "../../harness/run/run-scenarios.js";
import { sharedBackend } from "./shared-backend.js";

const DAY = 86_400_000;
const ATTACKER = "198.18.0.10";
const WEB = "10.20.0.10";
const context = loadContext(join(assertionsDir, "context", "default.yaml"));
const inventory = placeInventory(context.assets, [{ name: "web", address: WEB }]);

type Doc = Record<string, unknown> & {
  "@timestamp": string;
  event: Record<string, unknown>;
  source: { ip: string; port?: number };
  destination: { ip: string; port?: number };
  labels: Record<string, string>;
};

/** Events the shipper indexed for a scenario (test/fixtures/events/README.md). */
function recorded(name: string): Doc[] {
  return gunzipSync(readFileSync(join(projectRoot, "test", "fixtures", "events", `${name}.ndjson.gz`)))
    .toString("utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Doc);
}

const FIREWALL_EVASION = recorded("firewall-evasion");
const IDS_EVASION = recorded("ids-evasion");
const FIREWALL_EXPLOIT = recorded("firewall-scan-then-exploit");
const IDS_EXPLOIT = recorded("ids-scan-then-exploit");

/** A recording moved so that its last firewall event lands at `endAt`, labelled as one run. */
function replay(firewall: readonly Doc[], ids: readonly Doc[], endAt: Date, runId: string) {
  const end = Math.max(...firewall.map((d) => Date.parse(d["@timestamp"])));
  const shift = endAt.getTime() - end;
  const moved = (d: Doc): Doc => {
    const event = { ...d.event };
    for (const key of ["ingested", "start", "end"])
      if (typeof event[key] === "string") event[key] = new Date(Date.parse(event[key]) + shift).toISOString();
    return {
      ...d,
      "@timestamp": new Date(Date.parse(d["@timestamp"]) + shift).toISOString(),
      event,
      labels: { scanproof_run_id: runId, scanproof_scenario: "escalation-facts" },
    };
  };
  return { firewall: firewall.map(moved), ids: ids.map(moved) };
}

async function index(backend: Backend, name: string, docs: readonly Doc[]): Promise<void> {
  const response = await backend.client.bulk({
    refresh: "wait_for",
    operations: docs.flatMap((d) => [{ create: { _index: name } }, d]),
  });
  expect(response.errors, JSON.stringify(response.items.find((i) => i.create?.error))).to.equal(false);
}

function verticalScanRule(): Rule {
  const loaded = loadRuleFile(
    join(assertionsDir, "rules", "reconnaissance_vertical_port_scan_firewall.toml"),
  );
  if (!loaded.ok || !("rule" in loaded)) return expect.fail("the vertical port scan rule did not load");
  return loaded.rule;
}

const fromAttacker = (docs: readonly Doc[]) => docs.filter((d) => d.source.ip === ATTACKER);
const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);

describe("escalation facts from Elasticsearch (recorded firewall and IDS events)", function () {
  this.timeout(300_000);
  const runId = `escalation-facts-${newRunId()}`;
  const scope: ExecutionScope = {
    filters: [{ term: { "labels.scanproof_run_id": runId } }],
    key: runId,
    labels: { runId, scenarioId: "escalation-facts" },
  };
  const now = new Date();
  const weekAgo = new Date(now.getTime() - 7 * DAY);
  const facts = new Map<string, EscalationFacts>();
  const decided = new Map<string, { detection: Detection; escalation: Escalation }>();
  /** The attacker's alert of one execution, with the facts it was escalated on. */
  const attackerAlert = (executionStart: Date) => {
    const found = [...decided.values()].find(
      (x) =>
        x.detection.group["source.ip"] === ATTACKER &&
        x.detection.window.lte === executionStart.toISOString(),
    );
    if (!found) return expect.fail(`no alert for ${ATTACKER} at ${executionStart.toISOString()}`);
    return { ...found, facts: facts.get(found.detection.id) as EscalationFacts };
  };
  const earlier = replay(FIREWALL_EXPLOIT, IDS_EXPLOIT, new Date(weekAgo.getTime() - 60_000), runId);
  const current = replay(FIREWALL_EVASION, IDS_EVASION, new Date(now.getTime() - 60_000), runId);

  before(async () => {
    const backend = await sharedBackend();
    await index(backend, SOURCE_INDEX.firewall, [...earlier.firewall, ...current.firewall]);
    await index(backend, SOURCE_INDEX.ids, [...earlier.ids, ...current.ids]);
    const rule = verticalScanRule();
    const escalation = async (d: Detection): Promise<Escalation> => {
      const f = await gatherFacts(backend, d, context, { filters: scope.filters, inventory });
      facts.set(d.id, f);
      const e = escalate(f, context, inventory);
      decided.set(d.id, { detection: d, escalation: e });
      return e;
    };
    await executeRule(backend, rule, { startedAt: weekAgo, scope, escalate: escalation });
    await executeRule(backend, rule, { startedAt: now, scope, escalate: escalation });
  });

  describe("a week ago: a top-1000 SYN scan followed by a directory traversal request", () => {
    it("links the IDS's Web Application Attack alert as an exploit attempt after the scan", () => {
      const { escalation } = attackerAlert(weekAgo);
      expect(escalation.enrichment.exploitAttempts.map((s) => [s.id, s.category])).to.deep.equal([
        ["9101020", "Web Application Attack"],
      ]);
      expect(escalation.reasons.map((r) => r.code)).to.include.members([
        "external-never-seen",
        "exploit-attempt",
      ]);
    });

    it("counts the nmap signatures' tool among the methods", () => {
      expect(attackerAlert(weekAgo).escalation.enrichment.methods).to.include("nmap (IDS signature)");
    });
  });

  it("gathers empty facts, without failing, for a detection that names no source", async () => {
    const backend = await sharedBackend();
    const { detection } = attackerAlert(now);
    const f = await gatherFacts(backend, { ...detection, group: {} }, context, {
      filters: scope.filters,
      inventory,
    });
    expect(f.source).to.equal("");
    expect(f.priorEvents).to.equal(0);
    expect(f.activity.probes).to.equal(0);
    expect(f.ids).to.deep.equal([]);
    expect(f.decoys).to.deep.equal([]);
  });

  describe("now: fragmented, source-port, decoy and slow scans from the same source", () => {
    it("finds the week-old events as history: seen before, active on two days", () => {
      const { facts: f } = attackerAlert(now);
      const before = [...fromAttacker(earlier.firewall), ...fromAttacker(earlier.ids)];
      expect(f.priorEvents).to.equal(before.length);
      expect(f.history.activeDays).to.deep.equal([
        dayOf(weekAgo.getTime() - 60_000),
        dayOf(now.getTime() - 60_000),
      ]);
      expect(f.history.firstSeen).to.equal(
        new Date(Math.min(...before.map((d) => Date.parse(d["@timestamp"])))).toISOString(),
      );
      expect(f.history.targets).to.deep.equal([WEB]);
      expect(f.history.methods).to.include.members(["tcp probes", "icmp probes", "nmap (IDS signature)"]);
    });

    it("measures the activity from the firewall: probes, ports, transports, flags", () => {
      const { facts: f } = attackerAlert(now);
      const probes = fromAttacker(current.firewall);
      expect(f.activity.probes).to.equal(probes.length);
      expect(f.activity.distinctPorts).to.equal(new Set(probes.map((d) => d.destination.port)).size);
      expect(f.activity.ports).to.deep.equal(
        [...new Set(probes.map((d) => d.destination.port as number))].sort((a, b) => a - b),
      );
      expect(f.activity.transports).to.deep.equal(["tcp"]);
      expect(f.activity.tcpFlags).to.deep.equal(["S"]);
      expect(f.activity.targets).to.deep.equal([WEB]);
    });

    it("finds the slow scan's six probes 3.5 s apart", () => {
      const run = attackerAlert(now).facts.activity.slowestRun;
      expect(run.probes).to.equal(6);
      expect(run.minGapMs).to.be.within(3_400, 3_600);
    });

    it("counts the probes sent from source port 53 and the ports they reached", () => {
      const from53 = fromAttacker(current.firewall).filter((d) => d.source.port === 53);
      expect(attackerAlert(now).facts.activity.trustedSourcePorts).to.deep.equal([
        {
          port: 53,
          probes: from53.length,
          destinationPorts: new Set(from53.map((d) => d.destination.port)).size,
        },
      ]);
    });

    it("finds the decoys: other sources that probed the same ports at the same time", () => {
      const decoys = attackerAlert(now).facts.decoys;
      const shared = (ip: string) =>
        new Set(current.firewall.filter((d) => d.source.ip === ip).map((d) => d.destination.port)).size;
      expect(decoys).to.deep.equal([
        { source: "198.18.0.20", sharedPorts: shared("198.18.0.20") },
        { source: "198.18.0.21", sharedPorts: shared("198.18.0.21") },
      ]);
    });

    it("reads the IDS's evasion and tool metadata", () => {
      const byId = new Map(attackerAlert(now).facts.ids.map((s) => [s.id, s]));
      expect(byId.get("9101010")?.evasion).to.deep.equal(["fragmentation"]);
      expect(byId.get("9101011")?.evasion).to.deep.equal(["source-port"]);
      expect(byId.get("9100001")?.tools).to.deep.equal(["nmap"]);
    });

    it("counts the probes to the inventory's declared service ports", () => {
      const probed = attackerAlert(now).facts.activity.probedPorts;
      const to = (port: number) =>
        fromAttacker(current.firewall).filter((d) => d.destination.port === port).length;
      expect(probed).to.deep.equal(
        [22, 53, 80].map((port) => ({ address: WEB, port, protocol: "tcp", probes: to(port) })),
      );
    });

    it("starts the activity at the attacker's first event of today, after a week of silence", () => {
      const today = [...fromAttacker(current.firewall), ...fromAttacker(current.ids)];
      expect(attackerAlert(now).facts.activityStart).to.equal(
        new Date(Math.min(...today.map((d) => Date.parse(d["@timestamp"])))).toISOString(),
      );
      const { facts: old } = attackerAlert(weekAgo);
      const first = [...fromAttacker(earlier.firewall), ...fromAttacker(earlier.ids)];
      expect(old.activityStart).to.equal(
        new Date(Math.min(...first.map((d) => Date.parse(d["@timestamp"])))).toISOString(),
      );
    });

    it("never counts the activity's own probes as history, whatever the rule's look-back", async () => {
      const backend = await sharedBackend();
      const { detection, facts: f } = attackerAlert(now);
      const lateWindow = { ...detection.window, gte: detection.evidence.lastSeen };
      const narrowed = await gatherFacts(backend, { ...detection, window: lateWindow }, context, {
        filters: scope.filters,
        inventory,
      });
      expect(narrowed.activityStart).to.equal(f.activityStart);
      expect(narrowed.priorEvents).to.equal(f.priorEvents);
      const { detection: old } = attackerAlert(weekAgo);
      const alone = await gatherFacts(
        backend,
        { ...old, window: { ...old.window, gte: old.evidence.lastSeen } },
        context,
        { filters: scope.filters, inventory },
      );
      expect(alone.priorEvents).to.equal(0);
    });

    it("takes the firewall events before the activity, from every source, as the baseline", () => {
      const { facts: f } = attackerAlert(now);
      const began = Date.parse(f.activityStart);
      const historyStart = Date.parse(f.detection.lastSeen) - context.history_window;
      expect(f.baseline).to.deep.equal({
        events: [...earlier.firewall, ...current.firewall].filter((d) => Date.parse(d["@timestamp"]) < began)
          .length,
        spanMs: began - historyStart,
      });
    });

    it("counts the week-old alert's day and today's as the days the source raised alerts", () => {
      const { facts: f } = attackerAlert(now);
      const minute = (t: number) => `${new Date(t).toISOString().slice(0, 16)}Z`;
      expect(f.history.alertDays).to.deep.equal([
        minute(weekAgo.getTime()),
        minute(Date.parse(f.activityStart)),
      ]);
    });

    it("counts an alert of the 24 hours before the activity as the activity's own day, not another", async () => {
      const backend = await sharedBackend();
      const { detection, facts: before } = attackerAlert(now);
      const hourEarlier = new Date(Date.parse(before.activityStart) - 3_600_000).toISOString();
      const id = `hour-earlier-${runId}`;
      await backend.client.index({
        index: ALERTS_INDEX,
        id,
        refresh: "wait_for",
        document: {
          "@timestamp": hourEarlier,
          event: { kind: "alert" },
          rule: { id: "hour-earlier", name: "an alert an hour before the activity" },
          source: { ip: ATTACKER },
          labels: { scanproof_run_id: runId, scanproof_scenario: "escalation-facts" },
        },
      });
      try {
        const f = await gatherFacts(backend, detection, context, { filters: scope.filters, inventory });
        expect(f.history.alertDays).to.deep.equal(before.history.alertDays);
      } finally {
        await backend.client.delete({ index: ALERTS_INDEX, id, refresh: "wait_for" });
      }
    });

    it("reads the real history of the indices (or aliases) the context names, which carry no run labels", async () => {
      const backend = await sharedBackend();
      const { detection, facts: own } = attackerAlert(now);
      const historyIndex = `history-${runId}`;
      const longAgo = new Date(now.getTime() - 20 * DAY).toISOString();
      const theirs = {
        "@timestamp": longAgo,
        event: { kind: "event", category: ["network"] },
        source: { ip: ATTACKER, port: 40_000 },
        destination: { ip: WEB, port: 22 },
        labels: {},
      };
      await backend.client.indices.create({
        index: historyIndex,
        mappings: {
          properties: {
            "@timestamp": { type: "date" },
            source: { properties: { ip: { type: "ip" }, port: { type: "long" } } },
            destination: { properties: { ip: { type: "ip" }, port: { type: "long" } } },
          },
        },
      });
      await index(backend, historyIndex, [theirs]);
      await backend.client.indices.putAlias({ index: historyIndex, name: `logs-alias-${runId}` });
      try {
        for (const named of ["history-escalation-facts-*", "logs-alias-escalation-facts-*"]) {
          const withHistory = { ...context, history_indices: [named] };
          const f = await gatherFacts(backend, detection, withHistory, { filters: scope.filters, inventory });
          expect(f.priorEvents, named).to.equal(own.priorEvents + 1);
          expect(f.history.firstSeen, named).to.equal(longAgo);
          expect(f.history.activeDays[0], named).to.equal(dayOf(Date.parse(longAgo)));
        }
        const other = await gatherFacts(
          backend,
          detection,
          { ...context, history_indices: ["history-of-someone-else-*"] },
          { filters: scope.filters, inventory },
        );
        expect(other.priorEvents).to.equal(own.priorEvents);
      } finally {
        await backend.client.indices.delete({ index: historyIndex });
      }
    });

    it("refuses to escalate on a history index that maps addresses as text, naming the shard failure", async () => {
      const backend = await sharedBackend();
      const { detection } = attackerAlert(now);
      const textIndex = `history-text-${runId}`;
      await index(backend, textIndex, [
        {
          "@timestamp": new Date(now.getTime() - 3 * DAY).toISOString(),
          event: { kind: "event" },
          source: { ip: ATTACKER },
          destination: { ip: WEB },
          labels: {},
        },
      ]);
      try {
        const withText = { ...context, history_indices: [textIndex] };
        const failed = await gatherFacts(backend, detection, withText, {
          filters: scope.filters,
          inventory,
        }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(String(failed)).to.match(/Escalation could not read 1 of \d+ shards/);
      } finally {
        await backend.client.indices.delete({ index: textIndex });
      }
    });

    it("lists the week-old alert for the same rule and source as similar activity", () => {
      const { facts: f } = attackerAlert(now);
      const old = attackerAlert(weekAgo).detection;
      expect(f.similar.map((s) => s.id)).to.include(old.id);
      expect(f.similar.find((s) => s.id === old.id)).to.include({ source: ATTACKER, tier: "tier2" });
    });

    it("escalates with a reason for each evasion and for persistence, and none for a new source", () => {
      const codes = attackerAlert(now).escalation.reasons.map((r) => r.code);
      expect(codes).to.include.members([
        "persistent-activity",
        "range-of-services",
        "evasion-slow-scan",
        "evasion-fragmentation",
        "evasion-source-port",
        "evasion-decoys",
      ]);
      expect(codes).to.not.include("external-never-seen");
      expect(codes, "the week-old exploit attempt is outside this scan's window").to.not.include(
        "exploit-attempt",
      );
    });
  });
});
