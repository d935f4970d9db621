import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { scenariosDir } from "../../harness/core/paths.js";
import { renderScenarioJsonSchema, scenarioJsonSchema } from "../../harness/scenario/json-schema.js";

const SCHEMA_COMMENT = "# yaml-language-server: $schema=./scenario.schema.json";

describe("scenario JSON Schema", () => {
  it("is committed exactly as the validator generates it (run `npm run schema` after changing the format)", () => {
    expect(readFileSync(join(scenariosDir, "scenario.schema.json"), "utf8")).to.equal(
      renderScenarioJsonSchema(),
    );
  });

  it("describes the format as authors write it: defaults optional, unknown keys refused", () => {
    const schema = scenarioJsonSchema() as {
      required: string[];
      additionalProperties: boolean;
      properties: {
        expect: { properties: Record<string, unknown> };
        lab: { properties: Record<string, unknown> };
      };
    };
    expect(schema.required).to.have.members(["id", "title", "technique", "lab", "steps", "expect"]);
    expect(schema.additionalProperties).to.equal(false);
    expect(schema.properties.expect.properties).to.have.keys([
      "logs",
      "ids_signatures",
      "alerts",
      "absent",
      "silent",
      "containment",
    ]);
    expect(schema.properties.lab.properties).to.include.keys(["targets", "hosts", "sensors"]);
  });

  it("is named by every scenario file on its first line, for editors", () => {
    const files = readdirSync(scenariosDir).filter((f) => f.endsWith(".yaml"));
    expect(files).to.not.be.empty;
    for (const file of files) {
      expect(readFileSync(join(scenariosDir, file), "utf8").split("\n")[0], file).to.equal(SCHEMA_COMMENT);
    }
  });
});
