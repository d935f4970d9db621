import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface UlogdRecord {
  "oob.time.sec"?: number;
  "oob.time.usec"?: number;
}

/** How many records ulogd2 wrote, and the packet times (epoch ms, microsecond precision) of the first and last. */
export interface LogWindow {
  readonly records: number;
  readonly firstMs: number;
  readonly lastMs: number;
  readonly seconds: number;
}

/** Reads the firewall's raw JSON log (one record per line, microsecond packet times). */
export function firewallLogWindow(file: string): LogWindow | undefined {
  if (!existsSync(file)) return undefined;
  const times = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const record = JSON.parse(line) as UlogdRecord;
      return (record["oob.time.sec"] ?? 0) * 1000 + (record["oob.time.usec"] ?? 0) / 1000;
    });
  if (times.length === 0) return undefined;
  const firstMs = times.reduce((a, b) => Math.min(a, b));
  const lastMs = times.reduce((a, b) => Math.max(a, b));
  return { records: times.length, firstMs, lastMs, seconds: (lastMs - firstMs) / 1000 };
}

/** The firewall log of one scenario of a run. */
export function scenarioFirewallLog(resultsDir: string, scenarioId: string): string {
  return join(resultsDir, scenarioId, "logs", "firewall", "firewall.json");
}
