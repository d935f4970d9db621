import { availableParallelism, cpus, release, totalmem } from "node:os";
import { docker } from "../harness/docker/client.js";

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
