import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { scenariosDir } from "../../harness/core/paths.js";
import { loadScenario, type Scenario } from "../../harness/scenario/load.js";

/** A copy of a library scenario under an id unique to this bench, so its lab and alerts can be found. */
export interface Variant {
  readonly id: string;
  readonly file: string;
  readonly scenario: Scenario;
}

const MAX_ID = 31;

/** Every scenario of the library (scenarios/*.yaml), validated, in file name order. */
export function libraryScenarios(): Scenario[] {
  return readdirSync(scenariosDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => loadScenario(join(scenariosDir, f)));
}

/**
 * Writes the scenario again with a fresh id; its own escalation context, relative to the original
 * file, becomes an absolute path.
 */
export function writeVariant(scenario: Scenario, dir: string): Variant {
  const suffix = randomBytes(2).toString("hex");
  const id = `${scenario.id.slice(0, MAX_ID - suffix.length - 1)}-${suffix}`;
  const document = parseDocument(readFileSync(scenario.file, "utf8"));
  document.setIn(["id"], id);
  const from = (path: string) => resolve(dirname(scenario.file), path);
  if (scenario.context !== undefined) document.setIn(["context"], from(scenario.context));
  for (const group of ["targets", "hosts"] as const)
    scenario.lab[group].forEach((entry, i) => {
      if ("build" in entry && typeof entry.build === "string")
        document.setIn(["lab", group, i, "build"], from(entry.build));
    });
  const file = join(dir, `${id}.yaml`);
  writeFileSync(file, document.toString());
  return { id, file, scenario };
}
