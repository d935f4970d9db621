import { expect } from "chai";
import { join } from "node:path";
import { assertionsDir } from "../../harness/core/paths.js";
import { loadInputs } from "../../harness/run/inputs.js";
import { loadScenario, type Scenario } from "../../harness/scenario/load.js";
import { fixture, inputErrorOf, lineOf, onlyProblem, shownAs } from "./fixture-helpers.js";

const scenario = (name: string): string => fixture("scenarios", "unit", name);

describe("loadScenario: escalation, enrichment and containment fields", () => {
  it("resolves the scenario's own context file against the scenario's folder", () => {
    const s = loadScenario(scenario("with-context.yaml"));
    expect(s.context).to.equal("../../context/allow-list.yaml");
    expect(s.contextFile).to.equal(fixture("context", "allow-list.yaml"));
  });

  it("reads a contain step with the attacker as its default source", () => {
    expect(loadScenario(scenario("with-context.yaml")).steps[1]).to.deep.equal({
      tool: "contain",
      source: "attacker",
    });
  });

  it("fills in the containment expectation's defaults", () => {
    expect(loadScenario(scenario("with-context.yaml")).expect.containment).to.deep.equal({
      source: "attacker",
      blocked: true,
      denied: true,
      ids_flagged: true,
    });
  });

  it("fills in the enrichment expectation's defaults", () => {
    expect(loadScenario(scenario("with-context.yaml")).expect.alerts[0]?.enrichment).to.deep.equal({
      reputation: "malicious",
      patterns: [],
      cves: [],
      advisories: [],
      exploit_signatures: [9101020],
    });
  });

  it("has no contextFile without a context", () => {
    expect(loadScenario(scenario("valid-minimal.yaml"))).to.not.have.property("contextFile");
  });

  describe("schema problems", () => {
    const path = scenario("containment-problems.yaml");
    const problems = () => inputErrorOf(() => loadScenario(path)).problems;

    it("names the allowed reputation verdicts and asks for CVE ids", () => {
      const byPath = new Map(problems().map((p) => [p.path, p]));
      expect(lineOf(path, 15)).to.equal("        reputation: evil");
      expect(byPath.get("expect.alerts[0].enrichment.reputation")).to.include({ line: 15 });
      expect(byPath.get("expect.alerts[0].enrichment.reputation")?.message).to.include('"malicious"');
      expect(byPath.get("expect.alerts[0].enrichment.cves[0]")?.message).to.equal(
        'a CVE id such as "CVE-2024-6387"',
      );
    });
  });

  describe("cross-field problems", () => {
    it("refuses a context file that does not exist, a contain step for a target, an unknown source and the IDS flag without the IDS", () => {
      const schemaFree = inputErrorOf(() => loadScenario(scenario("containment-cross.yaml"))).problems;
      expect(schemaFree.map((p) => [p.line, p.path, p.message])).to.deep.equal([
        [11, "steps[0].source", '"web" sends no traffic to contain; use one of "attacker"'],
        [17, "expect.containment.source", '"outsider" is not a traffic source of this lab'],
        [18, "expect.containment.ids_flagged", 'the IDS block list needs the IDS: add "ids" to lab.sensors'],
        [4, "context", "no-such-context.yaml does not exist (relative to this file)"],
      ]);
      expect(schemaFree.every((p) => p.file === shownAs(scenario("containment-cross.yaml")))).to.equal(true);
    });

    it("refuses a containment expectation without a contain step", () => {
      const path = scenario("containment-without-step.yaml");
      expect(onlyProblem(() => loadScenario(path))).to.deep.equal({
        file: shownAs(path),
        line: 12,
        column: 16,
        path: "expect.containment",
        message: "containment needs a step `tool: contain` before the scans it should stop",
      });
    });
  });
});

describe("loadInputs: each scenario's escalation context", () => {
  const inputs = (...names: string[]) =>
    loadInputs({
      scenarioFiles: names.map(scenario),
      rulePaths: [join(assertionsDir, "rules")],
      contextFile: join(assertionsDir, "context", "default.yaml"),
    });

  it("gives a scenario its own context and the others the run's", () => {
    const { scenarios, contextOf, context } = inputs("with-context.yaml", "valid-minimal.yaml");
    const [own, plain] = scenarios;
    expect(contextOf(own as Scenario).file).to.equal(shownAs(fixture("context", "allow-list.yaml")));
    expect(contextOf(plain as Scenario)).to.equal(context);
  });

  it("reports the problems of a scenario's context file with that file's lines", () => {
    const problems = inputErrorOf(() => inputs("with-broken-context.yaml")).problems;
    expect(problems.map((p) => [p.file, p.line, p.path])).to.deep.equal([
      [shownAs(fixture("context", "invalid.yaml")), 3, "internal_networks[1]"],
      [shownAs(fixture("context", "invalid.yaml")), 9, "assets[0]"],
      [shownAs(fixture("context", "invalid.yaml")), 11, "history_window"],
    ]);
  });
});
