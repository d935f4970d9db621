import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadRules } from "../../harness/detection/rules/rule-loader.js";
import { assertionsDir, projectRoot, scenariosDir } from "../../harness/core/paths.js";
import {
  CATALOGUE_END,
  CATALOGUE_START,
  catalogueSection,
  outcomeOf,
  renderCatalogue,
  replaceCatalogue,
  ruleNamesOf,
} from "../../harness/report/catalogue.js";
import { loadScenario } from "../../harness/scenario/load.js";
import { ScenarioSchema, type ScenarioSpec } from "../../harness/scenario/schema.js";
import { InputError } from "../../harness/core/problems.js";
import { main } from "../../harness/cli.js";
import { fixture, inputErrorOf } from "./fixture-helpers.js";

const README = join(projectRoot, "README.md");

/** A scenario as a file would give it, every default filled in by the validator. */
function spec(fields: Record<string, unknown>): ScenarioSpec {
  return ScenarioSchema.parse({
    id: "s",
    title: "a scenario",
    technique: "T1595.001",
    lab: { targets: [{ name: "web", kind: "web" }] },
    steps: [{ tool: "nmap", target: "web" }],
    ...fields,
  });
}

function rowOf(catalogue: string, id: string): string {
  return catalogue.split("\n").find((l) => l.startsWith(`| \`${id}\` |`)) ?? expect.fail(`no row for ${id}`);
}

describe("the scenario catalogue", () => {
  describe("README.md", () => {
    it("holds exactly the catalogue generated from scenarios/ (run `npm run catalogue` after changing a scenario)", () => {
      const scenarios = readdirSync(scenariosDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => loadScenario(join(scenariosDir, f)));
      const rules = loadRules([join(assertionsDir, "rules")]);
      const generated = renderCatalogue(scenarios, ruleNamesOf([...rules.rules, ...rules.esql]));
      const written = catalogueSection(readFileSync(README, "utf8"), "README.md");
      expect(written, "README.md's catalogue differs from the scenarios: run `npm run catalogue`").to.equal(
        generated,
      );
      for (const s of scenarios) expect(written).to.include(`| \`${s.id}\` | ${s.technique} |`);
    });
  });

  describe("renderCatalogue", () => {
    const scan = spec({
      id: "scan",
      title: "SYN scan | of the <web> server",
      tags: ["port-scan"],
      lab: {
        targets: [{ name: "web", kind: "web" }],
        hosts: [{ name: "decoy", role: "attacker" }],
        sensors: ["ids"],
      },
      expect: {
        logs: ["firewall", "ids"],
        ids_signatures: [9100001, 9101010],
        alerts: [
          {
            rule: "5b7c1f0e-2a59-4e53-9d1a-0f3f7c9f6a01",
            tier: "tier2",
            reasons: ["external-never-seen"],
            within: "3m",
          },
          {
            rule: "5b7c1f0e-2a59-4e53-9d1a-0f3f7c9f6a01",
            from: "decoy",
            tier: "tier2",
            reasons: ["external-never-seen"],
            within: "3m",
          },
          { rule: "Persistent Port Probing", count: 2, within: "45s" },
          {
            rule: "Undeclared Services",
            tier: "suppressed",
            enrichment: {
              reputation: "malicious",
              seen_before: false,
              cves: ["CVE-2024-6387"],
              next_action: "block",
            },
          },
        ],
        absent: ["Masscan Probe Shape"],
      },
    });
    const benign = spec({
      id: "browse",
      title: "Browsing",
      technique: "T1595",
      tags: ["benign"],
      steps: [{ tool: "http", target: "web", paths: ["/"] }],
      expect: { logs: ["firewall", "web"], silent: true },
    });
    const contained = spec({
      id: "contain",
      title: "Contained",
      tags: ["containment"],
      steps: [{ tool: "contain" }, { tool: "nmap", target: "web" }],
      expect: { alerts: [{ rule: "Vertical Port Scan" }], containment: { ids_flagged: false } },
    });
    const names = new Map([["5b7c1f0e-2a59-4e53-9d1a-0f3f7c9f6a01", "Vertical Port Scan"]]);

    it("states every expectation of a scenario, one claim a line, sources named unless the attacker", () => {
      expect(outcomeOf(scan, names)).to.deep.equal([
        "logs complete: firewall, ids",
        "IDS signatures 9100001, 9101010",
        "`Vertical Port Scan` for `attacker`, `decoy` → **Tier 2** (`external-never-seen`) within 3m",
        "`Persistent Port Probing` ×2 within 45s",
        "`Undeclared Services` → **suppressed**; enrichment: reputation malicious, never seen before, CVEs CVE-2024-6387, next action block",
        "must not fire: `Masscan Probe Shape`",
      ]);
    });

    it("shows a rule by the rule_id written when no name is known for it", () => {
      expect(outcomeOf(scan)[2]).to.match(/^`5b7c1f0e-2a59-4e53-9d1a-0f3f7c9f6a01` for `attacker`, `decoy`/);
    });

    it("says no alert for a silent scenario, and what containment must do", () => {
      expect(outcomeOf(benign)).to.deep.equal(["logs complete: firewall, web", "**no alert**"]);
      expect(outcomeOf(contained)).to.deep.equal([
        "`Vertical Port Scan`",
        "containment: `attacker` blocked at Tier 2, everything it sent afterwards denied and logged",
      ]);
    });

    it("groups rows by technique and tags, in a fixed order of groups and by id within one", () => {
      const scan2 = spec({ ...scan, id: "another-scan", expect: { silent: true } });
      const table = renderCatalogue([benign, contained, scan, scan2], names);
      const lines = table.split("\n").filter((l) => l.startsWith("| **") || l.startsWith("| `"));
      expect(lines.map((l) => l.split(" | ")[0])).to.deep.equal([
        "| **T1595.001 — port scans**",
        "| `another-scan`",
        "| `scan`",
        "| **Escalation: containment, exploits, enrichment, allow-lists**",
        "| `contain`",
        "| **Benign**",
        "| `browse`",
      ]);
      expect(table).to.include(
        "| Scenario | Technique | Emulates | Proven outcome (the scenario's `expect`) |",
      );
    });

    it("keeps titles from breaking out of their cell or into HTML", () => {
      const row = rowOf(renderCatalogue([scan], names), "scan");
      expect(row).to.include("| SYN scan \\| of the &lt;web&gt; server |");
      expect(row.split(/(?<!\\)\|/)).to.have.length(6);
    });

    it("renders the scenario fixtures of the unit tests that load", () => {
      const file = fixture("scenarios", "unit", "valid-full.yaml");
      const table = renderCatalogue([loadScenario(file)]);
      expect(table).to.include("`vertical-port-scan`");
    });
  });

  describe("the README section between the markers", () => {
    const doc = `# t\n\nbefore\n\n${CATALOGUE_START}\nold table\n${CATALOGUE_END}\n\nafter\n`;

    it("is replaced whole, the text around it kept", () => {
      const replaced = replaceCatalogue(doc, "new table\n", "t.md");
      expect(replaced).to.equal(
        `# t\n\nbefore\n\n${CATALOGUE_START}\nnew table\n${CATALOGUE_END}\n\nafter\n`,
      );
      expect(catalogueSection(replaced, "t.md")).to.equal("new table\n");
    });

    it("is refused as input when a marker is missing, doubled or out of order", () => {
      for (const bad of [
        "no markers",
        `${CATALOGUE_START}\n`,
        `${CATALOGUE_END}\n${CATALOGUE_START}\n`,
        `${CATALOGUE_START}\n${CATALOGUE_START}\n${CATALOGUE_END}\n`,
      ]) {
        const error = inputErrorOf(() => catalogueSection(bad, "t.md"));
        expect(error).to.be.instanceOf(InputError);
        expect(error.message).to.match(/^t\.md:1:1: the catalogue goes between one <!-- catalogue:start -->/);
      }
    });
  });

  describe("scanproof catalogue", () => {
    it("prints the same catalogue as README.md's", async () => {
      let out = "";
      const code = await main(["node", "scanproof", "catalogue"], {
        out: (t) => (out += t),
        err: () => undefined,
      });
      expect(code).to.equal(0);
      expect(out).to.equal(catalogueSection(readFileSync(README, "utf8"), "README.md"));
    });
  });
});
