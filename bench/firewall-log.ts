import { existsSync, readFileSync } from "node:fs";

interface UlogdRecord {
  "oob.time.sec"?: number;
  "oob.time.usec"?: number;
}

/** How many records ulogd2 wrote and how many seconds lay between the first and the last one. */
export interface LogWindow {
  readonly records: number;
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
      return (record["oob.time.sec"] ?? 0) + (record["oob.time.usec"] ?? 0) / 1e6;
    });
  if (times.length < 2) return undefined;
  const seconds = times.reduce((a, b) => Math.max(a, b)) - times.reduce((a, b) => Math.min(a, b));
  return { records: times.length, seconds };
}
