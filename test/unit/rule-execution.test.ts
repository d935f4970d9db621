import { errors, type estypes } from "@elastic/elasticsearch";
import { expect } from "chai";
import { join } from "node:path";
import type { Backend } from "../../harness/backend/backend.js";
import { ALERTS_INDEX } from "../../harness/backend/templates.js";
import {
  executeRule,
  executeRules,
  type ExecutionOptions,
  type ExecutionScope,
} from "../../harness/detection/live/engine.js";
import { type Detection } from "../../harness/detection/rules/rule.js";
import type { QueryRule, Rule, ThresholdRule } from "../../harness/detection/rules/rule.js";
import { queryRuleFixture } from "./fixture-helpers.js";
import { loadContext } from "../../harness/context/context.js";
import { escalate, type Escalation } from "../../harness/escalation/escalate.js";
import { assertionsDir } from "../../harness/core/paths.js";
import { factsFixture } from "./escalation-fixtures.js";

/**
 * Rule executions (the engine's windows, max_signals, de-duplication and escalation) against a
 * client that keeps an events index and an alerts index in memory and answers the engine's
 * field caps, searches and bulk writes the way Elasticsearch does.
 */

const MINUTE = 60_000;
const STARTED = new Date("2026-11-28T13:00:00.000Z");
const SCOPE: ExecutionScope = {
  key: "run-1/unit",
  labels: { runId: "run-1", scenarioId: "unit" },
  filters: [{ term: { "labels.scanproof_scenario": "unit" } }],
};
const QUERY = queryRuleFixture({ lookbackMs: 9 * MINUTE, intervalMs: 5 * MINUTE });
const ESCALATION = escalate(
  factsFixture("nmap-syn-top1000"),
  loadContext(join(assertionsDir, "context", "default.yaml")),
  [],
);

interface Lab {
  readonly backend: Backend;
  readonly searches: estypes.SearchRequest[];
  readonly alerts: Map<string, Record<string, unknown>>;
}

/** A cluster with one events index holding events with these ids, and an alerts index. */
function cluster(
  eventIds: readonly string[],
  options: { indices?: string[]; bulkStatus?: number } = {},
): Lab {
  const searches: estypes.SearchRequest[] = [];
  const alerts = new Map<string, Record<string, unknown>>();
  const hit = (id: string) => ({
    _index: "scanproof-firewall",
    _id: id,
    fields: { "@timestamp": ["2026-11-28T12:58:00.000Z"], "source.ip": ["198.18.0.10"] },
  });
  const client = {
    fieldCaps: () =>
      Promise.resolve({
        indices: options.indices ?? ["scanproof-firewall"],
        fields: {
          "@timestamp": { date: { type: "date", searchable: true, aggregatable: true } },
          "event.category": { keyword: { type: "keyword", searchable: true, aggregatable: true } },
          "source.ip": { ip: { type: "ip", searchable: true, aggregatable: true } },
          "destination.port": { long: { type: "long", searchable: true, aggregatable: true } },
        },
      }),
    search: (request: estypes.SearchRequest) => {
      searches.push(request);
      if (request.index === ALERTS_INDEX) {
        const ids = request.query?.ids?.values;
        const found = ids ? [...alerts.keys()].filter((id) => [ids].flat().includes(id)) : [];
        return Promise.resolve({ hits: { hits: found.map((id) => ({ _index: ALERTS_INDEX, _id: id })) } });
      }
      if (request.aggs?.groups)
        return Promise.resolve({ hits: { hits: [] }, aggregations: { groups: { buckets: [] } } });
      if (request.aggs?.terms)
        return Promise.resolve({ hits: { hits: [] }, aggregations: { terms: { buckets: [] } } });
      const from = request.from ?? 0;
      return Promise.resolve({ hits: { hits: eventIds.slice(from, from + (request.size ?? 10)).map(hit) } });
    },
    bulk: (request: { operations: Record<string, unknown>[] }) => {
      const items = [];
      for (let i = 0; i < request.operations.length; i += 2) {
        const { create } = request.operations[i] as { create: { _id: string } };
        const status = options.bulkStatus ?? (alerts.has(create._id) ? 409 : 201);
        if (status === 201) alerts.set(create._id, request.operations[i + 1] ?? {});
        items.push({
          create: { _id: create._id, status, ...(status >= 400 ? { error: { type: "x" } } : {}) },
        });
      }
      return Promise.resolve({ errors: false, items });
    },
  };
  return { backend: { client } as unknown as Backend, searches, alerts };
}

function options(extra: Partial<ExecutionOptions<Escalation>> = {}): ExecutionOptions<Escalation> {
  return { startedAt: STARTED, scope: SCOPE, escalate: () => Promise.resolve(ESCALATION), ...extra };
}

const ruleSearches = (lab: Lab) => lab.searches.filter((s) => s.index !== ALERTS_INDEX);
const eventIdsOf = (alerts: readonly { group: Readonly<Record<string, string>> }[]) =>
  alerts.map((a) => a.group["event.id"]);

describe("rule execution (engine)", function () {
  describe("a search Elasticsearch could not run", function () {
    /** The cluster, except that every search of the rule's events answers as `answer` says. */
    const failing = (answer: () => Promise<unknown>): Lab => {
      const lab = cluster(["e1"]);
      const client = lab.backend.client as unknown as Record<string, unknown>;
      const search = client.search as (r: estypes.SearchRequest) => Promise<unknown>;
      client.search = (request: estypes.SearchRequest) =>
        request.index === ALERTS_INDEX ? search(request) : (lab.searches.push(request), answer());
      return lab;
    };
    const partial = () =>
      Promise.resolve({
        _shards: {
          total: 5,
          successful: 4,
          failed: 1,
          failures: [
            {
              shard: 0,
              index: "scanproof-firewall",
              reason: { type: "query_shard_exception", reason: "failed to create query" },
            },
          ],
        },
        hits: { hits: [{ _index: "scanproof-firewall", _id: "e1", fields: {} }] },
      });
    const refused = () =>
      Promise.reject(
        new errors.ResponseError({
          body: { error: { root_cause: [{ reason: "'10.*' is not an IP string literal." }] } },
          statusCode: 400,
          headers: {},
          warnings: null,
          meta: {} as never,
        }),
      );

    it("fails the execution when some shards failed, and alerts on nothing it half found", async function () {
      const [execution] = await executeRules(failing(partial).backend, [QUERY], options());
      expect(execution?.alerts).to.deep.equal([]);
      expect(execution?.failed).to.equal("1 of 5 shards failed: failed to create query");
      const scheduled = await executeRule(failing(partial).backend, QUERY, options());
      expect(scheduled.failed).to.equal("1 of 5 shards failed: failed to create query");
    });

    it("fails the execution when Elasticsearch refuses the query, naming its reason", async function () {
      const [execution] = await executeRules(failing(refused).backend, [QUERY], options());
      expect(execution?.failed).to.equal("'10.*' is not an IP string literal.");
    });

    it("lets any other error through: a cluster that cannot be reached is no rule failure", async function () {
      const down = failing(() => Promise.reject(new Error("connect ECONNREFUSED")));
      let thrown: unknown;
      await executeRules(down.backend, [QUERY], options()).catch((e: unknown) => (thrown = e));
      expect(String(thrown)).to.include("ECONNREFUSED");
    });
  });

  it("alerts on what the rule finds in its window, escalated and written with a stable id", async function () {
    const lab = cluster(["e1", "e2"]);
    const execution = await executeRule(lab.backend, QUERY, options());
    expect(eventIdsOf(execution.alerts)).to.deep.equal(["e1", "e2"]);
    expect(execution).to.include({ alreadyAlerted: 0, rule: QUERY, startedAt: STARTED });
    expect(execution.warnings).to.deep.equal([]);
    expect(execution.indices).to.deep.equal(["scanproof-firewall"]);
    expect(execution.alerts.map((a) => a.escalation)).to.deep.equal([ESCALATION, ESCALATION]);
    expect([...lab.alerts.keys()]).to.deep.equal(execution.alerts.map((a) => a.id));
    const [search] = ruleSearches(lab);
    expect(search?.query?.bool?.filter).to.deep.include.members([
      QUERY.filter,
      ...SCOPE.filters,
      {
        range: {
          "@timestamp": {
            gte: "2026-11-28T12:51:00.000Z",
            lte: "2026-11-28T13:00:00.000Z",
            format: "strict_date_optional_time",
          },
        },
      },
    ]);
  });

  it("alerts at most max_signals times per window, and says where it stopped", async function () {
    const lab = cluster(["e1", "e2", "e3"]);
    const execution = await executeRule(lab.backend, QUERY, options());
    expect(eventIdsOf(execution.alerts)).to.deep.equal(["e1", "e2"]);
    expect(execution.warnings).to.deep.equal([
      "max_signals (2) reached for 2026-11-28T12:51:00.000Z..2026-11-28T13:00:00.000Z: further findings were not alerted in this execution",
    ]);
  });

  it("alerts exactly max_signals times without a warning when that is all there is", async function () {
    const execution = await executeRule(cluster(["e1", "e2"]).backend, QUERY, options());
    expect(execution.alerts).to.have.lengthOf(2);
    expect(execution.warnings).to.deep.equal([]);
  });

  it("does not alert again on what an earlier execution alerted on, and counts it", async function () {
    const lab = cluster(["e1", "e2", "e3"]);
    await executeRule(lab.backend, QUERY, options());
    const again = await executeRule(
      lab.backend,
      QUERY,
      options({ startedAt: new Date(STARTED.getTime() + 5 * MINUTE) }),
    );
    expect(eventIdsOf(again.alerts)).to.deep.equal(["e3"]);
    expect(again.alreadyAlerted).to.equal(2);
    expect(again.warnings).to.deep.equal([]);
  });

  it("counts a finding the alerts index refused as a duplicate as already alerted", async function () {
    const execution = await executeRule(cluster(["e1"], { bulkStatus: 409 }).backend, QUERY, options());
    expect(execution.alerts).to.deep.equal([]);
    expect(execution.alreadyAlerted).to.equal(1);
  });

  it("fails when the alerts index refuses an alert for another reason", async function () {
    const failed = await executeRule(cluster(["e1"], { bulkStatus: 400 }).backend, QUERY, options()).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(String(failed)).to.match(/Elasticsearch refused an alert/);
  });

  it("searches each catch-up window after a missed execution, oldest first, and warns of what it cannot cover", async function () {
    const lab = cluster(["e1"]);
    const previous = new Date(STARTED.getTime() - 40 * MINUTE);
    const execution = await executeRule(lab.backend, QUERY, options({ previousStartedAt: previous }));
    expect(execution.windows).to.have.lengthOf(5);
    const ranges = ruleSearches(lab).map(
      (s) =>
        (s.query?.bool?.filter as { range?: Record<string, { gte: string }> }[])[1]?.range?.["@timestamp"]
          ?.gte,
    );
    expect(ranges).to.deep.equal(execution.windows.map((w) => w.gte.toISOString()));
    // The same event in overlapping windows is one alert.
    expect(execution.alerts).to.have.lengthOf(1);
    expect(execution.alreadyAlerted).to.equal(4);
    expect(execution.warnings).to.deep.equal([
      "660 s since the previous execution lie outside every window (Kibana catches up at most 4 intervals)",
    ]);
  });

  it("searches nothing when no index matches the rule, and says so", async function () {
    const lab = cluster(["e1"], { indices: [] });
    const execution = await executeRule(lab.backend, QUERY, options());
    expect(lab.searches).to.deep.equal([]);
    expect(execution).to.deep.include({ alerts: [], alreadyAlerted: 0, indices: [] });
    expect(execution).to.not.have.property("skipped");
    expect(execution.warnings).to.deep.equal(["no index matches scanproof-firewall*: nothing was searched"]);
  });

  it("skips a rule whose fields no index maps, naming the reason", async function () {
    const unmapped: Rule = { ...QUERY, timestampField: "event.ingested" };
    const lab = cluster(["e1"]);
    const execution = await executeRule(lab.backend, unmapped, options());
    expect(lab.searches).to.deep.equal([]);
    expect(execution.skipped).to.equal(
      "the timestamp field event.ingested is not mapped as a date in scanproof-firewall, so no event falls in a window",
    );
  });

  it("confines a rule with the inventory filter to nothing when the inventory is empty, and warns", async function () {
    const lab = cluster(["e1"]);
    const filtered: Rule = { ...QUERY, inventoryFilter: "undeclared-services" };
    const execution = await executeRule(lab.backend, filtered, options());
    expect(execution.warnings).to.deep.equal([
      "its undeclared-services filter needs the asset inventory, which is empty here: it matches nothing",
    ]);
    expect(ruleSearches(lab)[0]?.query?.bool?.filter).to.deep.include({ match_none: {} });
  });

  it("asks a threshold rule's history of the alerts index before its search", async function () {
    const threshold: ThresholdRule = {
      ...QUERY,
      type: "threshold",
      threshold: { fields: ["source.ip"], value: 1, cardinality: [] },
    };
    const lab = cluster([]);
    await executeRule(lab.backend, threshold, options());
    const history = lab.searches.find((s) => s.index === ALERTS_INDEX && s.query?.bool);
    expect(history?.query?.bool?.filter).to.deep.include.members([
      { term: { "rule.id": "r-query" } },
      { term: { "scanproof.scope": "run-1/unit" } },
      { range: { "scanproof.evidence.last_seen": { gte: "2026-11-28T12:51:00.000Z" } } },
    ]);
  });

  it("warns of no empty inventory when the scope places one", async function () {
    const lab = cluster(["e1"]);
    const filtered: Rule = { ...QUERY, inventoryFilter: "undeclared-services" };
    const inventory = [
      { name: "web", address: "10.20.0.10", criticality: "high" as const, why: "", services: [] },
    ];
    const execution = await executeRule(lab.backend, filtered, options({ scope: { ...SCOPE, inventory } }));
    expect(execution.warnings).to.deep.equal([]);
    expect(ruleSearches(lab)[0]?.query?.bool?.filter).to.deep.include({
      bool: { filter: [{ terms: { "destination.ip": ["10.20.0.10"] } }] },
    });
  });

  it("runs a new terms rule's search", async function () {
    const lab = cluster([]);
    const newTerms: Rule = {
      ...QUERY,
      type: "new_terms",
      newTerms: { fields: ["source.ip"], historyWindowMs: 86_400_000 },
    };
    const execution = await executeRule(lab.backend, newTerms, options());
    expect(execution.alerts).to.deep.equal([]);
    expect(ruleSearches(lab).map((s) => Object.keys(s.aggs ?? {}))).to.deep.equal([["terms"]]);
  });

  it("fills max_signals across pages: what earlier pages admitted counts against the rest", async function () {
    const many = Array.from({ length: 1000 }, (_, i) => `e${i}`);
    const execution = await executeRule(cluster(many).backend, { ...QUERY, maxSignals: 501 }, options());
    expect(execution.alerts).to.have.lengthOf(501);
    expect(execution.warnings).to.have.lengthOf(1);
  });

  describe("several rules at once (on demand)", function () {
    it("escalates each finding knowing every rule's findings", async function () {
      const lab = cluster(["e1", "e2"]);
      const seen: { detection: string; peers: string[] }[] = [];
      const escalateSeeing = (d: Detection, peers: readonly Detection[]) => {
        seen.push({
          detection: `${d.rule.ruleId}:${d.group["event.id"]}`,
          peers: peers.map((p) => `${p.rule.ruleId}:${p.group["event.id"]}`),
        });
        return Promise.resolve(ESCALATION);
      };
      const other: QueryRule = { ...QUERY, ruleId: "r-other" };
      const executions = await executeRules(lab.backend, [QUERY, other], {
        startedAt: STARTED,
        scope: SCOPE,
        escalate: escalateSeeing,
      });
      const all = ["r-query:e1", "r-query:e2", "r-other:e1", "r-other:e2"];
      expect(seen.map((s) => s.detection).sort()).to.deep.equal([...all].sort());
      for (const s of seen) expect(s.peers).to.deep.equal(all);
      expect(executions.map((e) => [e.rule.ruleId, e.alerts.length, e.alreadyAlerted])).to.deep.equal([
        ["r-query", 2, 0],
        ["r-other", 2, 0],
      ]);
    });

    it("runs one window each, counts what was alerted before, and passes skipped rules through", async function () {
      const lab = cluster(["e1", "e2", "e3"]);
      await executeRule(lab.backend, QUERY, options());
      const skipped: Rule = { ...QUERY, ruleId: "r-skipped", timestampField: "event.ingested" };
      const peers: string[][] = [];
      const executions = await executeRules(lab.backend, [QUERY, skipped], {
        startedAt: STARTED,
        scope: SCOPE,
        escalate: (_d: Detection, all: readonly Detection[]) => {
          peers.push(all.map((p) => p.group["event.id"] ?? ""));
          return Promise.resolve(ESCALATION);
        },
      });
      expect(peers).to.deep.equal([["e3"]]);
      expect(executions[0]?.windows).to.have.lengthOf(1);
      expect(executions[0]).to.deep.include({ alreadyAlerted: 2 });
      expect(eventIdsOf(executions[0]?.alerts ?? [])).to.deep.equal(["e3"]);
      expect(executions[1]?.skipped).to.match(/event\.ingested is not mapped as a date/);
      expect(executions[1]?.alerts).to.deep.equal([]);
    });

    it("counts what the alerts index refused as a duplicate as already alerted", async function () {
      const executions = await executeRules(cluster(["e1"], { bulkStatus: 409 }).backend, [QUERY], options());
      expect(executions.map((e) => [e.alerts.length, e.alreadyAlerted])).to.deep.equal([[0, 1]]);
    });
  });
});
