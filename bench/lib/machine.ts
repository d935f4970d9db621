import { availableParallelism, cpus, loadavg, release, totalmem } from "node:os";
import { docker } from "../../harness/docker/client.js";

/** What the figures were measured on. */
export interface Machine {
  /** CPUs this process may use, as `nproc` counts them. */
  readonly nproc: number;
  readonly cpuModel: string;
  readonly totalMemoryBytes: number;
  readonly kernel: string;
  readonly node: string;
  readonly dockerEngine: string;
}

/** The 1-minute load average when a bench started and when it ended: how busy the machine was. */
export interface LoadAverage {
  readonly start: number;
  readonly end: number;
}

export async function describeMachine(): Promise<Machine> {
  const engine = await docker().version();
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    totalMemoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
    dockerEngine: engine.Version,
  };
}

export function loadAverage1m(): number {
  return loadavg()[0] ?? 0;
}

const MIB = 1024 * 1024;

/** One markdown sentence: the machine and how busy it was. */
export function describeMachineLine(m: Machine, load: LoadAverage): string {
  return (
    `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${Math.round(m.totalMemoryBytes / MIB).toLocaleString("en-US")} MiB, ` +
    `Linux ${m.kernel}, Node ${m.node}, Docker ${m.dockerEngine}; 1-minute load average ` +
    `${load.start.toFixed(2)} at the start, ${load.end.toFixed(2)} at the end.`
  );
}
