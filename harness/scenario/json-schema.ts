import { z } from "zod";
import { ScenarioSchema } from "./schema.js";

/**
 * The JSON Schema of a scenario file as an author writes it (defaults optional, durations as text),
 * generated from the validator itself so editors and scanproof agree. Cross-field rules (unique
 * names, addresses inside their networks, `from` naming a traffic source) are only in the validator.
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(ScenarioSchema, { io: "input", target: "draft-2020-12" });
  return {
    $schema: generated.$schema,
    title: "scanproof scenario",
    description:
      "One T1595 scenario: the lab, the steps run from its hosts, and what must be logged, detected and escalated.",
    ...generated,
  };
}

export function renderScenarioJsonSchema(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
