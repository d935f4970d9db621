import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as chai from "chai";
import { expect } from "chai";
import { scanproofChai } from "../../assertions/chai.js";
import {
  ELASTIC_RULE_SCENARIOS,
  labData,
  outcomeCounts,
  ruleOutcomes,
  type RuleOutcome,
} from "../../bench/lib/elastic-outcomes.js";
import type { Backend } from "../../harness/backend/backend.js";
import { LAB_DATA_STREAMS, SOURCE_INDEX } from "../../harness/backend/templates.js";
import { settleEsqlRules } from "../../harness/detection/live/backend-rules.js";
import { wildcardMatcher } from "../../harness/detection/rules/field-values.js";
import { loadRules } from "../../harness/detection/rules/rule-loader.js";
import { assertionsDir, elasticNetworkRulesDir } from "../../harness/core/paths.js";
import type { RunResult, ScenarioResult } from "../../harness/result.js";
import { runScenarios } from "../../harness/run/run-scenarios.js";
import { loadScenario } from "../../harness/scenario/load.js";
import { sharedBackend } from "./shared-backend.js";

chai.use(scanproofChai);

const INSIDER = "10.30.0.66";
const WEB = "10.20.0.10";
const SOURCE_INDICES = Object.values(SOURCE_INDEX);

describe("Elastic's published network rules, the whole folder unmodified, in the live lab", function () {
  let backend: Backend;
  let run: RunResult;
  let insider: ScenarioResult;
  let outcomes: RuleOutcome[];

  const scenario = (id: string): ScenarioResult =>
    run.scenarios.find((s) => s.id === id) ?? expect.fail(`scenario ${id} did not run`);
  const runFilter = () => ({ term: { "labels.scanproof_run_id": run.runId } });

  before(async function () {
    backend = await sharedBackend();
    run = await runScenarios({
      scenarioFiles: ELASTIC_RULE_SCENARIOS,
      rulePaths: [elasticNetworkRulesDir()],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend,
    });
    insider = scenario("elastic-rules-internal-attacker");
    const rules = await settleEsqlRules(backend, loadRules([elasticNetworkRulesDir()]));
    outcomes = await ruleOutcomes(backend, rules.rules, rules.skipped, run);
  });

  it("passes every expectation of both scenario files: every source logged, exactly the expected Elastic alerts", function () {
    for (const s of run.scenarios) expect(s).to.have.verdict("pass");
    const everySensor = scenario("elastic-rules-every-sensor");
    for (const source of ["firewall", "ids", "flow", "web", "dns", "auth"] as const)
      expect(everySensor).to.have.logged(source);
  });

  it('fires "Potential SYN-Based Port Scan Detected" once, for the insider and the web server', function () {
    const alerts = insider.alerts.filter((a) => a.ruleName === "Potential SYN-Based Port Scan Detected");
    expect(alerts.map((a) => [a.source, a.destination])).to.deep.equal([[INSIDER, WEB]]);
    expect(alerts[0]?.distinct[0]?.field).to.equal("destination.port");
    expect(
      alerts[0]?.distinct[0]?.values,
      "ports 1-300 and 445 from the sweep, less 80: SYN, SYN-ACK and reset make three packets",
    ).to.equal(300);
  });

  it('fires "Potential Network Sweep Detected" once, for the insider across the DMZ', function () {
    const alerts = insider.alerts.filter((a) => a.ruleName === "Potential Network Sweep Detected");
    expect(alerts.map((a) => a.source)).to.deep.equal([INSIDER]);
    expect(alerts[0]?.distinct).to.deep.equal([{ field: "destination.ip", values: 256 }]);
  });

  it('fires the ES|QL rule "Potential Network Scan Detected" through _query, only for the insider and the web server', function () {
    const alerts = insider.alerts.filter((a) => a.ruleName === "Potential Network Scan Detected");
    expect(alerts.length, "the 300 ports fall in one clock minute or straddle two").to.be.within(1, 2);
    for (const a of alerts) expect([a.source, a.destination]).to.deep.equal([INSIDER, WEB]);
  });

  it("runs every query, threshold, new_terms and ES|QL rule of the folder, and reports each other rule skipped with why", function () {
    const published = loadRules([elasticNetworkRulesDir()]);
    expect(run.rules.loaded).to.have.lengthOf(published.rules.length + published.esql.length);
    const skipped = new Map(run.rules.skipped.map((s) => [s.name, s.reason]));
    expect(skipped.size).to.equal(published.skipped.length);
    for (const s of published.skipped)
      expect(skipped.get(s.name), s.file).to.match(/^(rule type "eql": |rule\.alert_suppression: )/);
  });

  describe("the per-rule outcome table", function () {
    const of = (outcome: RuleOutcome["outcome"]) => outcomes.filter((r) => r.outcome === outcome);

    it("has one outcome per rule file of the folder", function () {
      const files = readdirSync(elasticNetworkRulesDir()).filter((f) => f.endsWith(".toml"));
      expect(outcomes.map((r) => r.file).sort()).to.deep.equal(files.sort());
      const counts = outcomeCounts(outcomes);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).to.equal(files.length);
    });

    it("counts as fired exactly the rules the scenarios' expectations name, and none of them lacks anything", function () {
      const expected = ELASTIC_RULE_SCENARIOS.flatMap((file) =>
        loadScenario(file).expect.alerts.map((a) => a.rule),
      );
      expect(expected).to.not.be.empty;
      expect(of("fired").map((r) => r.name)).to.have.members([...new Set(expected)]);
      for (const r of of("fired")) expect(r.lacks, r.name).to.equal(undefined);
    });

    it("names, for every rule that cannot apply, only indices absent from the lab and fields and datasets no document it reaches holds", async function () {
      const data = labData().names;
      const published = loadRules([elasticNetworkRulesDir()]);
      const indexOf = new Map([...published.rules, ...published.esql].map((r) => [r.name, r.index]));
      const reachedBy = (rule: string) =>
        data
          .filter((n) => (indexOf.get(rule) ?? []).some((p) => wildcardMatcher(p)(n.name)))
          .map((n) => n.name);
      expect(of("cannot apply").every((r) => (r.lacks ?? []).length > 0 && (r.why ?? "") !== "")).to.equal(
        true,
      );
      for (const r of of("cannot apply"))
        for (const l of r.lacks ?? []) {
          const reached = reachedBy(r.name);
          if (l.kind === "index") {
            expect(reached, `${r.name}: ${l.name}`).to.deep.equal([]);
            continue;
          }
          expect(reached, `${r.name} reaches lab data`).to.not.be.empty;
          if (l.kind === "unusable field") {
            const caps = await backend.client.fieldCaps({ index: reached, fields: [l.name] });
            const types = Object.values(caps.fields[l.name] ?? {});
            expect(types, `${r.name}: ${l.name} is mapped`).to.not.be.empty;
            expect(
              types.some(
                (t) =>
                  !t.searchable ||
                  !t.aggregatable ||
                  ((l.why ?? "").startsWith("the timestamp field") &&
                    !["date", "date_nanos"].includes(t.type)),
              ),
              `${r.name}: ${l.name} cannot serve it`,
            ).to.equal(true);
            continue;
          }
          const query =
            l.kind === "field" ? { exists: { field: l.name } } : { term: { "data_stream.dataset": l.name } };
          const held = await backend.client.count({ index: reached, query, ignore_unavailable: true });
          expect(held.count, `${r.name}: ${l.kind} ${l.name} held by a document it reaches`).to.equal(0);
        }
    });

    it("counts as silent only rules whose patterns reach lab data, and skips only EQL and alert suppression", function () {
      const names = labData().names.map((n) => n.name);
      const published = loadRules([elasticNetworkRulesDir()]);
      const indexOf = new Map([...published.rules, ...published.esql].map((r) => [r.name, r.index]));
      for (const r of of("silent")) {
        const reached = (indexOf.get(r.name) ?? []).filter((p) => names.some(wildcardMatcher(p)));
        expect(reached, r.name).to.not.be.empty;
      }
      for (const r of of("skipped"))
        expect(r.why, r.name).to.match(/^(rule type "eql": |rule\.alert_suppression: )/);
    });
  });

  describe("the lab's events in Elastic's data streams", function () {
    it("gives every event of every source data_stream.type, dataset and namespace, each dataset one of its source's", async function () {
      for (const [source, index] of Object.entries(SOURCE_INDEX)) {
        const datasets = LAB_DATA_STREAMS.filter((d) => d.source === source).map((d) => d.dataset);
        const outside = await backend.client.count({
          index,
          query: {
            bool: {
              filter: [
                runFilter(),
                { term: { "data_stream.type": "logs" } },
                { term: { "data_stream.namespace": "scanproof" } },
              ],
              must_not: [{ terms: { "data_stream.dataset": datasets } }],
            },
          },
        });
        const all = await backend.client.count({ index, query: runFilter() });
        expect(all.count, `${index} holds the run's events`).to.be.greaterThan(0);
        const shaped = await backend.client.count({
          index,
          query: { bool: { filter: [runFilter(), { terms: { "data_stream.dataset": datasets } }] } },
        });
        expect(outside.count, index).to.equal(0);
        expect(shaped.count, `${index}: every event in one of ${datasets.join(", ")}`).to.equal(all.count);
      }
    });

    it("reads every document once when a search reaches an index both by its name and through its aliases", async function () {
      const query = runFilter();
      const byIndex = await backend.client.count({ index: SOURCE_INDICES, query });
      const byAliases = await backend.client.count({ index: "logs-*", query });
      const both = await backend.client.count({ index: [...SOURCE_INDICES, "logs-*"], query });
      expect(byAliases.count, "every event is in some data stream").to.equal(byIndex.count);
      expect(both.count).to.equal(byIndex.count);
      let perAlias = 0;
      for (const d of LAB_DATA_STREAMS) {
        const { count } = await backend.client.count({ index: `logs-${d.dataset}-scanproof`, query });
        expect(count, `the scenarios put events in logs-${d.dataset}-scanproof`).to.be.greaterThan(0);
        perAlias += count;
      }
      expect(perAlias, "the aliases' filters split each index without overlap").to.equal(byIndex.count);
    });
  });
});
