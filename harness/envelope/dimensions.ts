import { ScanproofError } from "../core/errors.js";
import { SEGMENTS } from "../lab/segments.js";
import type { EnvelopeDimensionName } from "../report/envelope-model.js";
import type { NmapStepSpec } from "../scanners/nmap.js";

/**
 * One dimension of a scan the envelope searches: its values from the most detectable to the most
 * evasive, and the real scan each value is (an nmap step from the attacker, through the step
 * registry and the scope guard like any scenario step).
 */
export interface DimensionPlan {
  readonly name: EnvelopeDimensionName;
  readonly title: string;
  readonly unit: string;
  readonly evasive: "down" | "up";
  readonly fixed: string;
  readonly values: readonly number[];
  readonly step: (value: number) => NmapStepSpec;
}

export interface DimensionLimits {
  /** The most ports per target the vertical search starts from. */
  readonly maxPorts: number;
  /** The most DMZ addresses the horizontal search starts from. */
  readonly maxTargets: number;
  /** The longest delay between probes the pace search tries, in milliseconds. */
  readonly maxDelayMs: number;
  /** Ports per target every pace point scans. */
  readonly pacePorts: number;
}

export const DEFAULT_LIMITS: DimensionLimits = {
  maxPorts: 300,
  maxTargets: 150,
  maxDelayMs: 1_500,
  pacePorts: 120,
};

/** The horizontal sweep takes DMZ addresses from here up: .1 is the firewall, .254 reserved. */
const FIRST_SWEPT_HOST = 2;
const LAST_SWEPT_HOST = 253;

const SCAN = ["-n", "-Pn", "-sS", "--max-retries", "1"];

/** Whole numbers from `high` down to 1: size dimensions are more evasive the smaller they are. */
function descending(high: number): number[] {
  return Array.from({ length: high }, (_, i) => high - i);
}

/** Delays from none up to `maxMs`: every 25 ms up to 100, then steps that grow by about a quarter. */
export function delays(maxMs: number): number[] {
  const values = [0];
  for (let d = 25; d <= maxMs; d = d < 100 ? d + 25 : Math.round((d * 1.25) / 25) * 25) values.push(d);
  if (values.at(-1) !== maxMs) values.push(maxMs);
  return values;
}

export function dimensionPlan(
  name: EnvelopeDimensionName,
  target: string,
  limits: DimensionLimits = DEFAULT_LIMITS,
  from = "attacker",
): DimensionPlan {
  if (name === "vertical") {
    if (limits.maxPorts < 2 || limits.maxPorts > 65_535)
      throw new ScanproofError(`--max-ports: expected 2 to 65535, got ${limits.maxPorts}`);
    return {
      name,
      title: "Ports per target (vertical)",
      unit: "ports",
      evasive: "down",
      fixed: `one target (${target}), ports 1..N, nmap -sS -T3`,
      values: descending(limits.maxPorts),
      step: (n) => ({ tool: "nmap", from, target, args: [...SCAN, "-p", `1-${n}`] }),
    };
  }
  if (name === "horizontal") {
    const most = LAST_SWEPT_HOST - FIRST_SWEPT_HOST + 1;
    if (limits.maxTargets < 2 || limits.maxTargets > most)
      throw new ScanproofError(
        `--max-targets: expected 2 to ${most} (the DMZ's free addresses), got ${limits.maxTargets}`,
      );
    const base = SEGMENTS.dmz.subnet.split(".").slice(0, 3).join(".");
    return {
      name,
      title: "Targets per port (horizontal)",
      unit: "targets",
      evasive: "down",
      fixed: `port 22, DMZ addresses ${base}.${FIRST_SWEPT_HOST} up, nmap -sS -T3`,
      values: descending(limits.maxTargets),
      step: (n) => ({
        tool: "nmap",
        from,
        target: `${base}.${FIRST_SWEPT_HOST}-${FIRST_SWEPT_HOST + n - 1}`,
        args: [...SCAN, "-p", "22"],
      }),
    };
  }
  if (limits.maxDelayMs < 25)
    throw new ScanproofError(`--max-delay: expected at least 25 ms, got ${limits.maxDelayMs}`);
  return {
    name,
    title: "Delay between probes (pace)",
    unit: "ms",
    evasive: "up",
    fixed: `${limits.pacePorts} ports (1..${limits.pacePorts}) of one target (${target}), nmap -sS --scan-delay`,
    values: delays(limits.maxDelayMs),
    step: (d) => ({
      tool: "nmap",
      from,
      target,
      args: [...SCAN, "-p", `1-${limits.pacePorts}`, "--scan-delay", `${d}ms`],
    }),
  };
}
