import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "../core/paths.js";
import type { StartedLab } from "./started-lab.js";

/** A lab left running for inspection, and how to reach it. */
export interface KeptLab {
  readonly runId: string;
  /** The attacker's container name, for `docker exec`. */
  readonly attacker: string;
  readonly elasticsearch: string;
  readonly logDir: string;
}

/** How to look at a lab left running, and how to remove it. */
export function keptLab(lab: StartedLab, elasticsearch: string): KeptLab {
  return {
    runId: lab.runId,
    attacker: lab.attacker.container.getName().replace(/^\//, ""),
    elasticsearch,
    logDir: lab.logDir,
  };
}

/** What `lab down` needs to find a lab left running: by `lab up` (with its process) or `--keep-lab`. */
export interface LabRecord extends KeptLab {
  readonly scenarioId: string;
  /** The `lab up` process holding the lab, which `lab down` asks to tear it down itself. */
  readonly pid?: number;
}

function recordsDir(): string {
  return join(cacheDir(), "labs");
}

export function recordLab(record: LabRecord): void {
  mkdirSync(recordsDir(), { recursive: true });
  writeFileSync(
    join(recordsDir(), `${record.runId}.${record.scenarioId}.json`),
    `${JSON.stringify(record, null, 2)}\n`,
  );
}

export function recordedLabs(): LabRecord[] {
  if (!existsSync(recordsDir())) return [];
  return readdirSync(recordsDir())
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(recordsDir(), f), "utf8")) as LabRecord);
}

/** Forgets every lab of a run: they share its label, so `lab down` removes them together. */
export function forgetLab(runId: string): void {
  if (!existsSync(recordsDir())) return;
  for (const f of readdirSync(recordsDir()).filter((name) => name.startsWith(`${runId}.`)))
    rmSync(join(recordsDir(), f), { force: true });
}
