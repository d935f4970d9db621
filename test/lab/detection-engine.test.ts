import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Backend } from "../../harness/backend/backend.js";
import { settleEsqlRules } from "../../harness/detection/live/backend-rules.js";
import {
  executeRule,
  executeRules,
  type ExecutionScope,
  type RuleExecution,
} from "../../harness/detection/live/engine.js";
import { type Detection } from "../../harness/detection/rules/rule.js";
import type { Rule } from "../../harness/detection/rules/rule.js";
import { loadRuleFile, loadRules } from "../../harness/detection/rules/rule-loader.js";
import { loadContext } from "../../harness/context/context.js";
import { escalate, type Escalation } from "../../harness/escalation/escalate.js";
import { gatherFacts } from "../../harness/escalation/gather-facts.js";
import { placeInventory } from "../../harness/context/inventory.js";
import { assertionsDir, elasticNetworkRulesDir, projectRoot } from "../../harness/core/paths.js";
import { newRunId } from "../../harness/run/run-scenarios.js";
import { startScheduler } from "../../harness/detection/live/scheduler.js";
import { waitFor } from "../../harness/core/wait.js";
import { sharedBackend } from "./shared-backend.js";

const MINUTE = 60_000;
const RECORDED_ATTACKER = "198.18.0.10";
const INSIDER = "192.168.50.10";
const SECOND_INSIDER = "192.168.50.11";
const WEB = "10.20.0.10";
const fixtures = (...parts: string[]): string => join(projectRoot, "test", "fixtures", ...parts);
const elasticRule = (file: string): string => join(elasticNetworkRulesDir(), file);
/** Elastic's published scan rules: the two threshold rules and the ES|QL port scan rule. */
const ELASTIC_SCAN_RULES = [
  "discovery_potential_syn_port_scan_detected.toml",
  "discovery_potential_network_sweep_detected.toml",
  "discovery_potential_port_scan_detected.toml",
];
const context = loadContext(join(assertionsDir, "context", "default.yaml"));
const inventory = placeInventory(context.assets, [{ name: "web", address: WEB }]);

/** The harness's escalation: facts from Elasticsearch, the playbook's decision. */
function escalation(
  backend: Backend,
  scope: ExecutionScope,
): (d: Detection, peers: readonly Detection[]) => Promise<Escalation> {
  return async (d, peers) =>
    escalate(
      await gatherFacts(backend, d, context, { filters: scope.filters, inventory }, peers),
      context,
      inventory,
    );
}

type Doc = Record<string, unknown> & {
  "@timestamp": string;
  event: Record<string, unknown>;
  source: { ip: string; port?: number };
  destination: { ip: string; port?: number };
  network?: { packets?: number };
  labels: Record<string, string>;
};

/** Every NetFlow event the shipper indexed for test/fixtures/events/record-flows.yaml. */
const RECORDED: readonly Doc[] = gunzipSync(readFileSync(fixtures("events", "flows-nmap.ndjson.gz")))
  .toString("utf8")
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line) as Doc);
const RECORDED_END = Math.max(...RECORDED.map((d) => Date.parse(d["@timestamp"])));

interface Replay {
  readonly runId: string;
  /** Where the recording's last event lands (its @timestamp and event times). */
  readonly endAt: Date;
  /** Where its last event.ingested lands; the same shift as @timestamp unless given. */
  readonly ingestedEndAt?: Date;
  /** The address the recorded attacker is replaced by. */
  readonly attacker?: string;
  readonly withoutIngested?: boolean;
}

/** The recording moved in time (and the attacker renamed), labelled as its own run. */
function replay(r: Replay): Doc[] {
  const shift = r.endAt.getTime() - RECORDED_END;
  const ingestedShift = (r.ingestedEndAt ?? r.endAt).getTime() - RECORDED_END;
  const moved = (value: unknown, by: number): string =>
    new Date(Date.parse(String(value)) + by).toISOString();
  const address = (ip: string): string => (ip === RECORDED_ATTACKER ? (r.attacker ?? ip) : ip);
  return RECORDED.map((d) => {
    const event: Record<string, unknown> = { ...d.event, start: moved(d.event["start"], shift) };
    event["end"] = moved(d.event["end"], shift);
    if (r.withoutIngested) delete event["ingested"];
    else event["ingested"] = moved(d.event["ingested"], ingestedShift);
    return {
      ...d,
      "@timestamp": moved(d["@timestamp"], shift),
      event,
      source: { ...d.source, ip: address(d.source.ip) },
      destination: { ...d.destination, ip: address(d.destination.ip) },
      labels: { scanproof_run_id: r.runId, scanproof_scenario: "detection-engine" },
    };
  });
}

async function index(backend: Backend, docs: readonly Doc[]): Promise<void> {
  const response = await backend.client.bulk({
    refresh: "wait_for",
    operations: docs.flatMap((d) => [{ create: { _index: "scanproof-flow" } }, d]),
  });
  expect(response.errors, JSON.stringify(response.items.find((i) => i.create?.error))).to.equal(false);
}

function scopeOf(runId: string): ExecutionScope {
  return {
    filters: [{ term: { "labels.scanproof_run_id": runId } }],
    key: runId,
    labels: { runId, scenarioId: "detection-engine" },
  };
}

function run(
  backend: Backend,
  rule: Rule,
  runId: string,
  startedAt: Date,
  previousStartedAt?: Date,
): Promise<RuleExecution<Escalation>> {
  const scope = scopeOf(runId);
  return executeRule(backend, rule, {
    startedAt,
    ...(previousStartedAt ? { previousStartedAt } : {}),
    scope,
    escalate: escalation(backend, scope),
  });
}

/** A copy of a rule file with [rule] keys replaced, added or (undefined) removed. */
function variant(path: string, keys: Record<string, string | undefined>): Rule {
  const lines = readFileSync(path, "utf8").split("\n");
  const kept = lines.filter((line) => !Object.keys(keys).some((k) => line.startsWith(`${k} = `)));
  const added = Object.entries(keys).flatMap(([k, v]) => (v === undefined ? [] : [`${k} = ${v}`]));
  kept.splice(kept.indexOf("[rule]") + 1, 0, ...added);
  const copy = join(mkdtempSync(join(tmpdir(), "scanproof-rule-")), "rule.toml");
  writeFileSync(copy, kept.join("\n"));
  return rule(copy);
}

function rule(path: string): Rule {
  const loaded = loadRuleFile(path);
  if (!loaded.ok || !("rule" in loaded)) return expect.fail(`${path} did not load as a runnable rule`);
  return loaded.rule;
}

const freshRun = (): string => `engine-${newRunId()}`;

describe("detection engine against Elasticsearch (recorded NetFlow events)", function () {
  this.timeout(300_000);
  let backend: Backend;

  before(async () => {
    backend = await sharedBackend();
  });

  describe("Elastic's own rules, unmodified", () => {
    const elastic = (): ReturnType<typeof loadRules> => loadRules(ELASTIC_SCAN_RULES.map(elasticRule));

    it("fire for an internal attacker: SYN-based port scan of the web server, network sweep of the DMZ", async () => {
      const runId = freshRun();
      const now = new Date();
      await index(backend, replay({ runId, endAt: new Date(now.getTime() - MINUTE), attacker: INSIDER }));
      const executions = await executeRules(backend, elastic().rules, {
        startedAt: now,
        scope: scopeOf(runId),
        escalate: escalation(backend, scopeOf(runId)),
      });
      const byName = new Map(executions.map((e) => [e.rule.name, e]));
      const syn = byName.get("Potential SYN-Based Port Scan Detected");
      const sweep = byName.get("Potential Network Sweep Detected");
      expect(syn?.indices, "the rule's logs-network_traffic.* pattern reaches scanproof-flow").to.include(
        "scanproof-flow",
      );
      expect(syn?.alerts.map((a) => a.group)).to.deep.equal([
        { "destination.ip": WEB, "source.ip": INSIDER },
      ]);
      const ports = new Set(
        RECORDED.filter(
          (d) =>
            d.event["dataset"] === "network_traffic.flow" &&
            d.source.ip === RECORDED_ATTACKER &&
            d.destination.ip === WEB &&
            (d.network?.packets ?? Infinity) <= 2,
        ).map((d) => d.destination.port),
      );
      expect(ports.size, "closed ports answer with a reset: two packets a connection").to.be.above(250);
      expect(syn?.alerts[0]?.evidence.distinct).to.deep.equal([
        { field: "destination.port", values: ports.size },
      ]);
      expect(sweep?.alerts.map((a) => a.group)).to.deep.equal([{ "source.ip": INSIDER }]);
      expect(sweep?.alerts[0]?.evidence.distinct).to.deep.equal([{ field: "destination.ip", values: 256 }]);
      for (const e of executions) expect(e.warnings, e.rule.name).to.deep.equal([]);
    });

    it("stay silent for the same scan from an external address, as published (the ES|QL rule included)", async () => {
      const runId = freshRun();
      const now = new Date();
      await index(backend, replay({ runId, endAt: new Date(now.getTime() - MINUTE) }));
      const rules = (await settleEsqlRules(backend, elastic())).rules;
      expect(rules.map((r) => r.type)).to.include("esql");
      const executions = await executeRules(backend, rules, {
        startedAt: now,
        scope: scopeOf(runId),
        escalate: () => Promise.reject(new Error("no alert expected")),
      });
      expect(executions.flatMap((e) => e.alerts)).to.deep.equal([]);
      for (const e of executions) expect(e.failed ?? e.skipped, e.rule.name).to.equal(undefined);
    });
  });

  describe('Elastic\'s ES|QL rule "Potential Network Scan Detected", unmodified, through _query', () => {
    const scanRule = (): Rule => {
      const set = loadRules([elasticRule("discovery_potential_port_scan_detected.toml")]);
      const [esql] = set.esql;
      if (!esql) return expect.fail("the rule did not load as an ES|QL rule");
      return esql;
    };
    const SENSITIVE = new Set([21, 22, 23, 53, 88, 139, 389, 445, 3389, 5900, 5985, 5986, 9389]);
    const PRIVATE = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/;

    /**
     * The rows the rule's query returns for these documents, computed here from its published
     * text: flows of the network_traffic.flow data stream from a private source, grouped by minute,
     * destination and source, kept with at least 50 distinct ports or 5 distinct sensitive ones.
     */
    function expectedRows(docs: readonly Doc[]): Map<string, number> {
      const groups = new Map<string, { ports: Set<number>; sensitive: Set<number> }>();
      for (const d of docs) {
        const port = d.destination.port;
        const actions = [d.event["action"]].flat();
        if ((d["data_stream"] as { dataset?: string } | undefined)?.dataset !== "network_traffic.flow")
          continue;
        if (!actions.some((a) => a === "network_flow" || a === "flow_started")) continue;
        if (port === undefined || !PRIVATE.test(d.source.ip)) continue;
        const minute = new Date(Math.floor(Date.parse(d["@timestamp"]) / MINUTE) * MINUTE).toISOString();
        const key = JSON.stringify([minute, d.destination.ip, d.source.ip]);
        const group = groups.get(key) ?? { ports: new Set(), sensitive: new Set() };
        group.ports.add(port);
        if (SENSITIVE.has(port)) group.sensitive.add(port);
        groups.set(key, group);
      }
      return new Map(
        [...groups]
          .filter(([, g]) => g.ports.size >= 50 || g.sensitive.size >= 5)
          .map(([key, g]) => [key, g.ports.size]),
      );
    }

    /** The published rule with `max_signals` replaced. */
    function withMaxSignals(maxSignals: number): Rule {
      const text = readFileSync(elasticRule("discovery_potential_port_scan_detected.toml"), "utf8");
      const copy = join(mkdtempSync(join(tmpdir(), "scanproof-rule-")), "rule.toml");
      writeFileSync(copy, text.replace(/^max_signals = \d+$/m, `max_signals = ${maxSignals}`));
      const [esql] = loadRules([copy]).esql;
      return esql ?? expect.fail("the variant did not load as an ES|QL rule");
    }

    const rowsOf = (execution: RuleExecution<Escalation>): Map<string, number> =>
      new Map(
        execution.alerts.map((a) => [
          JSON.stringify([a.group["Esql.time_window"], a.group["destination.ip"], a.group["source.ip"]]),
          Number(a.group["Esql.count_distinct_destination_ports"]),
        ]),
      );

    it("alerts each row of the query over the insider's scan: the web server's ports per minute", async () => {
      const runId = freshRun();
      const now = new Date();
      const docs = replay({ runId, endAt: new Date(now.getTime() - MINUTE), attacker: INSIDER });
      await index(backend, docs);
      const execution = await run(backend, scanRule(), runId, now);
      expect(execution.failed ?? execution.skipped).to.equal(undefined);
      expect(execution.indices).to.include("scanproof-flow");
      const expected = expectedRows(docs);
      expect(expected.size, "the rows the published query yields for this recording").to.be.within(1, 5);
      expect(rowsOf(execution)).to.deep.equal(expected);
      for (const a of execution.alerts) expect(a.group["source.ip"]).to.equal(INSIDER);
      expect(execution.warnings).to.deep.equal([]);
    });

    it("alerts at most max_signals rows per execution and says so: two insiders' scans, max_signals 1", async () => {
      const runId = freshRun();
      const now = new Date();
      const endAt = new Date(now.getTime() - MINUTE);
      const docs = [
        ...replay({ runId, endAt, attacker: INSIDER }),
        ...replay({ runId, endAt, attacker: SECOND_INSIDER }),
      ];
      await index(backend, docs);
      const expected = expectedRows(docs);
      expect(expected.size).to.be.at.least(2);
      const execution = await run(backend, withMaxSignals(1), runId, now);
      expect(execution.alerts).to.have.lengthOf(1);
      const [row] = [...rowsOf(execution)];
      expect(row && expected.get(row[0])).to.equal(row?.[1]);
      expect(execution.warnings.join("\n")).to.match(/max_signals \(1\) reached/);
    });

    it("searches only the rule's look-back (now-9m over event.ingested): a scan ingested 10 minutes ago alerts nothing", async () => {
      const runId = freshRun();
      const now = new Date();
      await index(
        backend,
        replay({ runId, endAt: new Date(now.getTime() - 10 * MINUTE), attacker: INSIDER }),
      );
      const execution = await run(backend, scanRule(), runId, now);
      expect(execution.failed ?? execution.skipped).to.equal(undefined);
      expect(execution.alerts).to.deep.equal([]);
    });
  });

  describe("escalation of an on-demand execution", () => {
    const packRule = (stem: string): Rule => rule(join(assertionsDir, "rules", `${stem}.toml`));
    const synScan = packRule("reconnaissance_half_open_syn_scan_netflow");
    const scannerAgent = packRule("reconnaissance_vulnerability_scanner_user_agent_web");

    /** The recorded nmap scan plus Nikto's requests from the same source, as their own run. */
    async function portScanThenNikto(runId: string, endAt: Date): Promise<void> {
      await index(backend, replay({ runId, endAt }));
      const response = await backend.client.bulk({
        refresh: "wait_for",
        operations: [0, 1, 2].flatMap((i) => [
          { create: { _index: "scanproof-web" } },
          {
            "@timestamp": new Date(endAt.getTime() - i * 1000).toISOString(),
            event: { category: ["web"], kind: "event", ingested: endAt.toISOString() },
            source: { ip: RECORDED_ATTACKER },
            destination: { ip: WEB, port: 80 },
            url: { path: `/admin${i}` },
            user_agent: { original: "Mozilla/5.00 (Nikto/2.1.5) (Evasions:None) (Test:000003)" },
            labels: { scanproof_run_id: runId, scanproof_scenario: "detection-engine" },
          },
        ]),
      });
      expect(response.errors).to.equal(false);
    }

    const reasonsByRule = (executions: readonly RuleExecution<Escalation>[]) =>
      Object.fromEntries(
        executions.map((e) => [e.rule.name, e.alerts.map((a) => a.escalation.reasons.map((r) => r.code))]),
      );

    it("gives every alert the same reasons whichever rule runs first, several methods included", async () => {
      const now = new Date();
      const reasons = [];
      for (const rules of [
        [synScan, scannerAgent],
        [scannerAgent, synScan],
      ]) {
        const runId = freshRun();
        await portScanThenNikto(runId, new Date(now.getTime() - MINUTE));
        const executions = await executeRules(backend, rules, {
          startedAt: now,
          scope: scopeOf(runId),
          escalate: escalation(backend, scopeOf(runId)),
        });
        expect(
          executions.every((e) => e.alerts.length === 1),
          JSON.stringify(reasonsByRule(executions)),
        ).to.be.true;
        reasons.push(reasonsByRule(executions));
      }
      expect(reasons[0]).to.deep.equal(reasons[1]);
      for (const codes of Object.values(reasons[0] ?? {})) expect(codes[0]).to.include("several-methods");
    });
  });

  describe("scheduling", () => {
    it("does not alert a threshold group twice from overlapping windows, and alerts again only on new events", async () => {
      const syn = rule(elasticRule("discovery_potential_syn_port_scan_detected.toml"));
      const runId = freshRun();
      const t0 = new Date();
      await index(backend, replay({ runId, endAt: new Date(t0.getTime() - MINUTE), attacker: INSIDER }));
      const first = await run(backend, syn, runId, t0);
      expect(first.alerts).to.have.lengthOf(1);

      // Five minutes later the window (now-9m) still holds every event of the first alert.
      const second = await run(backend, syn, runId, new Date(t0.getTime() + 5 * MINUTE), t0);
      expect(second.alerts).to.deep.equal([]);

      // The same scan again, two minutes after the first: only its events make the next alert.
      await index(backend, replay({ runId, endAt: new Date(t0.getTime() + 2 * MINUTE), attacker: INSIDER }));
      const third = await run(
        backend,
        syn,
        runId,
        new Date(t0.getTime() + 7 * MINUTE),
        new Date(t0.getTime() + 5 * MINUTE),
      );
      expect(third.alerts).to.have.lengthOf(1);
      expect(third.alerts[0]?.evidence.events).to.equal(first.alerts[0]?.evidence.events);
      expect(Date.parse(third.alerts[0]?.evidence.firstSeen ?? "")).to.be.above(
        Date.parse(first.alerts[0]?.evidence.lastSeen ?? ""),
      );
      expect(third.alerts[0]?.id).to.not.equal(first.alerts[0]?.id);
    });

    it("does not alert an event twice from overlapping windows of a query rule", async () => {
      const lucene = rule(fixtures("rules", "engine", "lucene_low_ports.toml"));
      const runId = freshRun();
      const t0 = new Date();
      await index(backend, replay({ runId, endAt: new Date(t0.getTime() - MINUTE), attacker: INSIDER }));
      const first = await run(backend, lucene, runId, t0);
      const second = await run(backend, lucene, runId, new Date(t0.getTime() + 5 * MINUTE), t0);
      expect(first.alerts.length).to.be.above(0);
      expect(second.alerts).to.deep.equal([]);
      expect(second.alreadyAlerted).to.equal(first.alerts.length);
    });

    it("caps alerts at max_signals per execution, says so, and alerts the rest in later executions", async () => {
      const capped = variant(fixtures("rules", "engine", "lucene_low_ports.toml"), { max_signals: "3" });
      const runId = freshRun();
      const t0 = new Date();
      await index(backend, replay({ runId, endAt: new Date(t0.getTime() - MINUTE), attacker: INSIDER }));
      const first = await run(backend, capped, runId, t0);
      expect(first.alerts).to.have.lengthOf(3);
      expect(first.warnings.join("\n")).to.match(/max_signals \(3\) reached/);
      const second = await run(backend, capped, runId, new Date(t0.getTime() + MINUTE), t0);
      expect(second.alerts).to.have.lengthOf(3);
      expect(second.alreadyAlerted).to.equal(3);
      const ids = new Set([...first.alerts, ...second.alerts].map((a) => a.group["event.id"]));
      expect(ids.size).to.equal(6);
    });

    it("honours timestamp_override: the window is over event.ingested, not @timestamp", async () => {
      const byIngest = rule(fixtures("rules", "engine", "port_scan_by_ingest_time.toml"));
      const byTimestamp = variant(fixtures("rules", "engine", "port_scan_by_ingest_time.toml"), {
        timestamp_override: undefined,
      });
      const runId = freshRun();
      const now = new Date();
      // Events that happened three hours ago and were shipped a minute ago (a shipper catching up).
      await index(
        backend,
        replay({
          runId,
          endAt: new Date(now.getTime() - 180 * MINUTE),
          ingestedEndAt: new Date(now.getTime() - MINUTE),
        }),
      );
      expect((await run(backend, byIngest, runId, now)).alerts).to.have.lengthOf(1);
      const other = { ...scopeOf(runId), key: `${runId}/by-timestamp` };
      const silent = await executeRule(backend, byTimestamp, {
        startedAt: now,
        scope: other,
        escalate: () => Promise.reject(new Error("no alert expected")),
      });
      expect(silent.alerts).to.deep.equal([]);
    });

    it("places events without the override field by @timestamp, unless the fallback is disabled", async () => {
      const path = fixtures("rules", "engine", "port_scan_by_ingest_time.toml");
      const runId = freshRun();
      const now = new Date();
      await index(backend, replay({ runId, endAt: new Date(now.getTime() - MINUTE), withoutIngested: true }));
      expect((await run(backend, rule(path), runId, now)).alerts).to.have.lengthOf(1);
      const strict = variant(path, { timestamp_override_fallback_disabled: "true" });
      const other = { ...scopeOf(runId), key: `${runId}/strict` };
      const silent = await executeRule(backend, strict, {
        startedAt: now,
        scope: other,
        escalate: () => Promise.reject(new Error("no alert expected")),
      });
      expect(silent.alerts).to.deep.equal([]);
    });
  });

  describe("scheduled mode", () => {
    it("runs a rule at its interval until stopped, alerting the scan once over overlapping windows", async () => {
      const syn = variant(elasticRule("discovery_potential_syn_port_scan_detected.toml"), {
        interval: '"1s"',
      });
      const runId = freshRun();
      await index(backend, replay({ runId, endAt: new Date(Date.now() - MINUTE), attacker: INSIDER }));
      const executions: RuleExecution<Escalation>[] = [];
      const errors: unknown[] = [];
      const scheduler = startScheduler(backend, [syn], {
        scope: scopeOf(runId),
        escalate: escalation(backend, scopeOf(runId)),
        onExecution: (e) => executions.push(e),
        onError: (_rule, error) => errors.push(error),
      });
      try {
        await waitFor("three scheduled executions", () => executions.length >= 3, 120_000);
      } finally {
        await scheduler.stop();
      }
      const stoppedAfter = executions.length;
      expect(errors).to.deep.equal([]);
      expect(executions.flatMap((e) => e.alerts).map((a) => a.group)).to.deep.equal([
        { "destination.ip": WEB, "source.ip": INSIDER },
      ]);
      const starts = executions.map((e) => e.startedAt.getTime());
      for (let i = 1; i < starts.length; i++)
        expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).to.be.at.least(1000);
      // Nothing may start after stop(): the 1 s interval gets two chances to.
      await new Promise((r) => setTimeout(r, 2500));
      expect(executions).to.have.lengthOf(stoppedAfter);
    });
  });

  describe("rule types and languages", () => {
    it("lucene: alerts exactly the events its query_string matches", async () => {
      const lucene = rule(fixtures("rules", "engine", "lucene_low_ports.toml"));
      const runId = freshRun();
      const now = new Date();
      const docs = replay({ runId, endAt: new Date(now.getTime() - MINUTE), attacker: INSIDER });
      await index(backend, docs);
      const expected = docs.filter(
        (d) =>
          d.event["dataset"] === "scanproof.flow" &&
          (d.destination.port ?? 0) >= 20 &&
          (d.destination.port ?? 0) <= 25,
      ).length;
      const execution = await run(backend, lucene, runId, now);
      expect(expected).to.be.above(0);
      expect(execution.alerts).to.have.lengthOf(expected);
      expect(execution.alerts.every((a) => a.evidence.events === 1)).to.equal(true);
    });

    it("KQL field patterns: expanded against the mapping, any matching field may match, none matched matches nothing", async () => {
      const kql = (query: string): Rule =>
        variant(fixtures("rules", "engine", "lucene_low_ports.toml"), {
          language: '"kuery"',
          query: `'${query}'`,
        });
      const runId = freshRun();
      const now = new Date();
      const docs = replay({ runId, endAt: new Date(now.getTime() - MINUTE), attacker: INSIDER });
      await index(backend, docs);
      const expected = docs.filter(
        (d) => d.event["dataset"] === "scanproof.flow" && (d.source.port === 22 || d.destination.port === 22),
      ).length;
      const ports = await run(backend, kql("event.dataset:scanproof.flow and *.port:22"), runId, now);
      expect(expected).to.be.above(0);
      expect(ports.alerts).to.have.lengthOf(expected);
      const expansion = ports.warnings.find((w) => w.startsWith("the field pattern *.port searches "));
      expect(expansion?.split("searches ")[1]?.split(", ")).to.include.members([
        "destination.port",
        "source.port",
      ]);
      const none = await run(backend, kql("event.dataset:scanproof.flow and nothing.*:22"), runId, now);
      expect(none.alerts).to.deep.equal([]);
      expect(none.warnings.join("\n")).to.include("whose clauses match nothing: nothing.*");
    });

    it("new_terms: alerts only the source never seen in the history window, once", async () => {
      const newSource = rule(fixtures("rules", "engine", "new_source.toml"));
      const runId = freshRun();
      const now = new Date();
      await index(
        backend,
        replay({ runId, endAt: new Date(now.getTime() - 180 * MINUTE), attacker: INSIDER }),
      );
      await index(backend, replay({ runId, endAt: new Date(now.getTime() - MINUTE), attacker: INSIDER }));
      await index(
        backend,
        replay({ runId, endAt: new Date(now.getTime() - MINUTE), attacker: SECOND_INSIDER }),
      );
      const first = await run(backend, newSource, runId, now);
      expect(first.alerts.map((a) => a.group)).to.deep.equal([{ "source.ip": SECOND_INSIDER }]);
      const outbound = RECORDED.filter((d) => d.source.ip === RECORDED_ATTACKER).length;
      expect(first.alerts[0]?.evidence.events).to.equal(outbound);
      const again = await run(backend, newSource, runId, new Date(now.getTime() + 5 * MINUTE), now);
      expect(again.alerts).to.deep.equal([]);
      expect(again.alreadyAlerted).to.equal(1);
    });

    it("does not run a threshold rule over a field no searched index maps, and says why", async () => {
      const unmapped = variant(fixtures("rules", "engine", "port_scan_by_ingest_time.toml"), {});
      const broken = {
        ...unmapped,
        threshold: {
          ...(unmapped as Extract<Rule, { type: "threshold" }>).threshold,
          fields: ["source.hostname"],
        },
      } as Rule;
      const execution = await run(backend, broken, freshRun(), new Date());
      expect(execution.skipped).to.equal(
        "threshold field source.hostname is not mapped in scanproof-flow, so no group can form",
      );
    });
  });
});
