import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Asset } from "../../harness/context/inventory.js";
import { evaluateRuleInMemory } from "../../harness/detection/fixtures/fixture-engine.js";
import { inventoryFilters } from "../../harness/detection/rules/inventory-filter.js";
import { loadRuleTests } from "../../harness/detection/fixtures/rule-fixtures.js";
import { loadRuleFile } from "../../harness/detection/rules/rule-loader.js";
import type { Rule } from "../../harness/detection/rules/rule.js";
import { runRuleTests } from "../../harness/detection/fixtures/rule-tests.js";
import { fixture, inputErrorOf, shownAs } from "./fixture-helpers.js";

const folder = fixture("rule-tests", "inventory");
const RULE = join(folder, "reconnaissance_undeclared_ports_firewall.toml");

function load(path: string): Rule {
  const loaded = loadRuleFile(path);
  if (!loaded.ok || !("rule" in loaded)) throw new Error(`${path} did not load as a rule`);
  return loaded.rule;
}

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "scanproof-")), name);
  writeFileSync(path, text);
  return path;
}

const asset = (address: string, services: Asset["services"]): Asset => ({
  name: address,
  address,
  criticality: "low",
  why: "test",
  services,
});

describe("scanproof's inventory filter extension", function () {
  it("is read from the rule file's [scanproof] table", function () {
    expect(load(RULE).inventoryFilter).to.equal("undeclared-services");
    expect(
      load(fixture("rule-tests", "passing", "reconnaissance_port_probes_firewall.toml")).inventoryFilter,
    ).to.equal(undefined);
  });

  it("refuses an unknown filter, naming the key", function () {
    const path = tempFile(
      "rule.toml",
      '[rule]\nrule_id = "x"\nname = "x"\ntype = "query"\nindex = ["i"]\nquery = "a:b"\nseverity = "low"\nrisk_score = 1\n[scanproof]\ninventory_filter = "declared"\n',
    );
    const problems = inputErrorOf(() => loadRuleFile(path)).problems;
    expect(problems.map((p) => p.path)).to.deep.equal(["scanproof.inventory_filter"]);
  });

  it("adds no filter to a rule without the extension", function () {
    const plain = load(fixture("rule-tests", "passing", "reconnaissance_port_probes_firewall.toml"));
    expect(inventoryFilters(plain, [asset("10.20.0.10", [])])).to.deep.equal([]);
  });

  it("keeps attempts to inventory assets on undeclared port and protocol pairs, in the engine's DSL", function () {
    const rule = load(RULE);
    const inventory = [
      asset("10.20.0.11", [{ port: 22, protocol: "tcp", cves: [] }]),
      asset("10.20.0.50", []),
    ];
    const attempt = (ip: string, port: number, transport: string) => ({
      id: `${ip}/${transport}/${port}`,
      index: "scanproof-firewall",
      source: {
        "@timestamp": "2026-11-28T12:00:00Z",
        source: { ip: "198.18.0.66" },
        destination: { ip, port },
        network: { transport },
      },
    });
    const events = [
      attempt("10.20.0.11", 22, "tcp"),
      attempt("10.20.0.11", 22, "udp"),
      attempt("10.20.0.11", 80, "tcp"),
      attempt("10.20.0.50", 9100, "tcp"),
      attempt("10.20.0.99", 80, "tcp"),
    ];
    const run = (assets: readonly Asset[]) =>
      evaluateRuleInMemory(rule, events, {
        now: new Date("2026-11-28T12:05:00Z"),
        filters: inventoryFilters(rule, assets),
      }).map((d) => d.group["event.id"]);
    expect(run(inventory)).to.deep.equal(["10.20.0.11/udp/22", "10.20.0.11/tcp/80", "10.20.0.50/tcp/9100"]);
    expect(run([]), "an empty inventory declares nothing and places nothing").to.deep.equal([]);
  });

  it("reads the fixture file's inventory from an escalation context, placing targets by name", function () {
    const tests = loadRuleTests(
      join(folder, "tests", "reconnaissance_undeclared_ports_firewall.yaml"),
      load(RULE),
    );
    expect(tests.inventory.map((a) => [a.name, a.address, a.services.length])).to.deep.equal([
      ["bastion", "10.20.0.11", 1],
      ["site", "10.20.0.10", 2],
      ["printer", "10.20.0.50", 0],
    ]);
    expect(runRuleTests([folder]).reports.flatMap((r) => r.cases.map((c) => c.failures))).to.deep.equal([
      [],
      [],
    ]);
  });

  it("asks for an inventory where the rule needs one, and refuses one where it reads none", function () {
    const cases =
      "cases:\n  - name: one\n    events:\n      - event: { '@timestamp': 2026-11-28T12:00:00Z, event: { dataset: scanproof.firewall } }\n    expect: none\n";
    const missing = tempFile("missing.yaml", cases);
    expect(
      inputErrorOf(() => loadRuleTests(missing, load(RULE))).problems.map((p) => p.message),
    ).to.deep.equal([
      "the rule's undeclared-services filter reads the asset inventory: add inventory: { context: <escalation context file>, targets: { <target name>: <address> } }",
    ]);
    const unused = tempFile(
      "unused.yaml",
      `inventory: { context: ${join(folder, "context.yaml")} }\n${cases}`,
    );
    const plain = load(fixture("rule-tests", "passing", "reconnaissance_port_probes_firewall.toml"));
    const problem = inputErrorOf(() => loadRuleTests(unused, plain)).problems[0];
    expect(`${problem?.file}:${problem?.line}: ${problem?.path}: ${problem?.message}`).to.equal(
      `${shownAs(unused)}:1: inventory: the rule has no inventory filter ([scanproof] inventory_filter), so no inventory is read`,
    );
  });
});
