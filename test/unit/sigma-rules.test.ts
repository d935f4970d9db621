import { expect } from "chai";
import fc from "fast-check";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertionsDir } from "../../harness/core/paths.js";
import { loadRules } from "../../harness/detection/rules/rule-loader.js";
import type { RuleSet, ThresholdRule } from "../../harness/detection/rules/rule.js";
import { ensureSigmaToolchain } from "../../harness/setup/sigma-toolchain.js";
import { InputError } from "../../harness/core/problems.js";
import { fixture, inputErrorOf } from "./fixture-helpers.js";

const SHAPES = fixture("rules", "sigma");
const PORT_SCAN = join(assertionsDir, "sigma", "rules", "vertical_port_scan_firewall.yml");

function threshold(set: RuleSet, name: string): ThresholdRule {
  const rule = set.rules.find((r) => r.name === name);
  if (rule?.type !== "threshold") return expect.fail(`no threshold rule named ${name}`);
  return rule;
}

describe("Sigma rules, converted by pySigma's Elasticsearch backend with scanproof's ECS pipeline", function () {
  this.timeout(300_000);
  before(async () => {
    await ensureSigmaToolchain();
  });

  it("maps the port-scan value_count correlation onto a threshold: group-by fields, distinct ports, timespan", () => {
    const rule = threshold(loadRules([PORT_SCAN]), "Vertical Port Scan Seen by the Firewall (Sigma)");
    expect(rule).to.deep.include({
      ruleId: "9f4e2b71-8c3a-4d5e-a6f0-1b2c3d4e5f60",
      language: "lucene",
      query: "event.action:connection_attempted AND (network.transport:(tcp OR udp))",
      index: ["scanproof-firewall*"],
      severity: "medium",
      riskScore: 47,
      lookbackMs: 300_000,
      intervalMs: 300_000,
      threshold: {
        fields: ["source.ip", "destination.ip"],
        value: 1,
        cardinality: [{ field: "destination.port", value: 100 }],
      },
    });
    expect(rule.threat).to.deep.equal([
      {
        tactic: { id: "TA0043", name: "Reconnaissance" },
        techniques: [{ id: "T1595", name: "T1595", subtechniques: [{ id: "T1595.001", name: "T1595.001" }] }],
      },
    ]);
  });

  it("maps an event_count correlation with gt onto a count threshold one above it", () => {
    const rule = threshold(loadRules([SHAPES]), "Burst of Connection Attempts From One Source");
    expect(rule).to.deep.include({
      query: "destination.port:23",
      severity: "high",
      riskScore: 73,
      lookbackMs: 60_000,
      threshold: { fields: ["source.ip"], value: 50, cardinality: [] },
    });
  });

  it("reports every other rule of every file skipped, with its reason", () => {
    const set = loadRules([SHAPES]);
    expect(set.rules.map((r) => r.name)).to.deep.equal(["Burst of Connection Attempts From One Source"]);
    expect(set.skipped.map((s) => [s.name, s.reason])).to.deep.equal([
      ["Old DNS Rule", "the rule is deprecated (metadata.maturity), as Kibana no longer installs it"],
      [
        "Telnet Connection Attempt",
        "Sigma: a correlation refers to it (generate: false): it counts toward the correlation and does not alert on its own",
      ],
      [
        "Telnet Then SSH",
        "Sigma: correlation type temporal: scanproof maps event_count and value_count onto its threshold execution",
      ],
      [
        "Few Telnet Attempts",
        "Sigma: correlation condition lt: a threshold alerts when a count reaches a value (gte or gt)",
      ],
      [
        "Process Creation Somewhere",
        "Sigma: no scanproof index for the logsource (category: process_creation, product: windows): assertions/sigma/logsources.yml maps it",
      ],
    ]);
  });

  it("converts a plain Sigma rule to a Lucene query rule on the logsource's index, the ECS names mapped", () => {
    const dir = mkdtempSync(join(tmpdir(), "scanproof-sigma-"));
    const path = join(dir, "web.yml");
    writeFileSync(
      path,
      [
        "title: Scanner User-Agent",
        "id: 1a2b3c4d-0007-4000-8000-000000000007",
        "status: test",
        "logsource: { category: webserver }",
        "detection:",
        "  selection:",
        "    cs-user-agent|contains: Nikto",
        "    sc-status: 404",
        "  condition: selection",
        "level: low",
      ].join("\n"),
    );
    const [rule] = loadRules([path]).rules;
    expect(rule).to.deep.include({
      type: "query",
      language: "lucene",
      index: ["scanproof-web*"],
      severity: "low",
    });
    expect(rule?.query).to.equal("user_agent.original:*Nikto* AND http.response.status_code:404");
  });

  it("refuses a file pySigma cannot read, naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "scanproof-sigma-"));
    const path = join(dir, "broken.yml");
    writeFileSync(
      path,
      "title: Broken\nlogsource: { category: firewall }\ndetection:\n  selection: { dst_port: 23 }\n",
    );
    const problem = inputErrorOf(() => loadRules([path])).problems[0];
    expect(problem?.file).to.match(/broken\.yml$/);
    expect(problem?.message).to.match(/^Sigma: /);
  });

  it("reads mutated Sigma files as rules, skips or located problems, never anything else", () => {
    const texts = [readFileSync(PORT_SCAN, "utf8"), readFileSync(join(SHAPES, "shapes.yml"), "utf8")];
    const mutation = fc
      .tuple(
        fc.constantFrom(...texts),
        fc.nat(),
        fc.nat({ max: 40 }),
        fc.constantFrom("", ":", "- ", "|", "gte: x", "\n  ", "{"),
      )
      .map(([text, at, cut, insert]) => {
        const i = at % text.length;
        return text.slice(0, i) + insert + text.slice(i + cut);
      });
    const dir = mkdtempSync(join(tmpdir(), "scanproof-sigma-fuzz-"));
    fc.sample(mutation, { numRuns: 60, seed: 20261206 }).forEach((text, i) =>
      writeFileSync(
        join(dir, `m${i}.yml`),
        text.includes("correlation:") || text.includes("detection:") ? text : `detection:\n${text}`,
      ),
    );
    try {
      const set = loadRules([dir]);
      expect(set.rules.length + set.skipped.length).to.be.above(0);
    } catch (error) {
      expect(error).to.be.instanceOf(InputError);
      for (const p of (error as InputError).problems) expect(p.file).to.match(/m\d+\.yml$/);
    }
  });
});
