import { expect } from "chai";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { scenariosDir } from "../../harness/core/paths.js";
import {
  describeToolStep,
  planStep,
  TOOL_STEP_SCHEMAS,
  TOOL_STEPS,
} from "../../harness/scanners/registry.js";
import { loadScenario } from "../../harness/scenario/load.js";
import { plannedScope } from "../../harness/scenario/scope.js";

describe("step registry", () => {
  it("has one kind for every tool the scenario schema accepts, in the same order", () => {
    expect(TOOL_STEPS.map((k) => k.tool)).to.deep.equal(TOOL_STEP_SCHEMAS.map((s) => s.shape.tool.value));
  });

  it("describes and plans every tool step of the library through its kind", () => {
    const used = new Set<string>();
    for (const file of readdirSync(scenariosDir).filter((f) => f.endsWith(".yaml"))) {
      const scenario = loadScenario(join(scenariosDir, file));
      const { guard, uplinkOf } = plannedScope(scenario);
      scenario.steps.forEach((step, i) => {
        used.add(step.tool);
        expect(describeToolStep(step), `${file} steps[${i}]`).to.match(
          new RegExp(`^(${step.tool}|gobuster|AXFR)`),
        );
        expect(planStep(step, i, guard, uplinkOf(step)), `${file} steps[${i}]`)
          .to.have.property("run")
          .that.is.a("function");
      });
    }
    expect([...used].sort()).to.deep.equal(TOOL_STEPS.map((k) => k.tool).sort());
  });

  it("refuses a destination outside the lab in whichever field the tool names it", () => {
    const scenario = loadScenario(join(scenariosDir, "wordlist-web-and-dns.yaml"));
    const { guard } = plannedScope(scenario);
    expect(() =>
      planStep({ tool: "axfr", from: "attacker", server: "192.0.2.53", domain: "lab.example" }, 3, guard, ""),
    ).to.throw(/^steps\[3\]\.server: /);
    expect(() =>
      planStep(
        { tool: "masscan", from: "attacker", target: "192.0.2.0/24", ports: "80", rate: 10 },
        1,
        guard,
        "",
      ),
    ).to.throw(/^steps\[1\]\.target: /);
  });
});
