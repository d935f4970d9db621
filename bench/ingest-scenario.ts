import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { LogSourceName } from "../harness/core/vocabulary.js";

export const ALL_PORTS = "1-65535";
/** The sources that see every probe: each must hold all of them. */
export const INGEST_SOURCES: readonly LogSourceName[] = ["firewall", "ids", "flow"];

/** A scenario id unique to this bench run, so its lab's containers can be told from any other lab's. */
export function ingestScenarioId(rate: number): string {
  return `ingest-${rate}pps-${randomBytes(2).toString("hex")}`;
}

/** Writes a scenario that has masscan send one SYN to every port of the web server at `rate`. */
export function writeIngestScenario(dir: string, id: string, rate: number): string {
  const file = join(dir, `${id}.yaml`);
  const scenario = {
    id,
    title: `Ingest benchmark: masscan, all ports of the web server at ${rate} pps`,
    technique: "T1595.001",
    tags: ["bench"],
    lab: { targets: [{ name: "web", kind: "web" }], sensors: ["ids", "flow"] },
    steps: [{ tool: "masscan", target: "web", ports: ALL_PORTS, rate }],
    expect: {
      logs: INGEST_SOURCES,
      alerts: [
        { rule: "Vertical Port Scan Seen by the Firewall" },
        { rule: "Half-Open SYN Port Scan Seen in NetFlow" },
        { rule: "Masscan SYN Probe Shape Seen by the Firewall" },
        { rule: "Persistent Port Probing Over a Day Seen by the Firewall" },
        { rule: "Connection Attempts to Services an Asset Does Not Declare" },
      ],
    },
  };
  writeFileSync(file, stringify(scenario));
  return file;
}
