import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const DETECTORS = ["psad", "scanlogd"] as const;
export type DetectorName = (typeof DETECTORS)[number];

/** One scan a detector reported: when rsyslog received the line, who scanned whom. */
export interface DetectorReport {
  readonly detector: DetectorName;
  readonly at: string;
  readonly source: string;
  readonly destination: string;
  readonly line: string;
}

const TIMESTAMP = String.raw`(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d))`;
const IPV4 = String.raw`(\d{1,3}(?:\.\d{1,3}){3})`;

/** `… psad: scan detected (Nmap -sT or -sS scan): 198.18.0.10 -> 10.20.0.10 tcp: [1-1000] …` */
const PSAD = new RegExp(String.raw`^${TIMESTAMP} psad: scan detected\b.*?: ${IPV4} -> ${IPV4}\b`);
/** `… scanlogd: 198.18.0.10[:port] to 10.20.0.10 [and others,] ports 443, 53, …, fSrpauxy, TOS 00 @16:09:29` */
const SCANLOGD = new RegExp(String.raw`^${TIMESTAMP} scanlogd: ${IPV4}(?::\d+)? to ${IPV4}\b.* ports `);

/** The scans in one detector log written by containers/detectors (rsyslog, RFC 3339 timestamps). */
export function parseDetectorLog(detector: DetectorName, text: string): DetectorReport[] {
  const pattern = detector === "psad" ? PSAD : SCANLOGD;
  return text.split(/\r?\n/).flatMap((line) => {
    const match = pattern.exec(line);
    if (!match) return [];
    const [, at = "", source = "", destination = ""] = match;
    return [{ detector, at: new Date(at).toISOString(), source, destination, line }];
  });
}

/**
 * Every scan reported in a scenario's log folder: `psad/detector.log` beside the firewall and
 * `scanlogd/<target>/detector.log` in each target, oldest first.
 */
export function readDetectorReports(logDir: string, detector: DetectorName): DetectorReport[] {
  const dir = join(logDir, detector);
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith("detector.log"))
    .map((f) => join(dir, f));
  return files
    .flatMap((f) => parseDetectorLog(detector, readFileSync(f, "utf8")))
    .sort((a, b) => a.at.localeCompare(b.at));
}
