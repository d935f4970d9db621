import type Docker from "dockerode";
import { docker } from "../harness/docker/client.js";

/** The highest `docker stats` figures one container reached while it was sampled. */
export interface ResourcePeak {
  readonly cpuPercent: number;
  /** Memory usage minus inactive page cache (inactive_file), as `docker stats` shows it. */
  readonly memoryBytes: number;
  readonly samples: number;
}

/** Label values a container must carry (all of them) to be sampled as one role. */
export type LabelSelector = Readonly<Record<string, string>>;

export interface PeakSampler<Role extends string> {
  /** Stops sampling and returns each role's peaks; undefined for a role that never had a container. */
  stop(): Promise<Record<Role, ResourcePeak | undefined>>;
}

const INTERVAL_MS = 1000;

/** CPU % over the window between the two readings of one stats answer, scaled to all CPUs like `docker stats`. */
export function cpuPercent(stats: Docker.ContainerStats): number | undefined {
  const cpuDelta = stats.cpu_stats.cpu_usage.total_usage - stats.precpu_stats.cpu_usage.total_usage;
  const systemDelta = stats.cpu_stats.system_cpu_usage - stats.precpu_stats.system_cpu_usage;
  if (!stats.precpu_stats.system_cpu_usage || systemDelta <= 0) return undefined;
  const cpus = stats.cpu_stats.online_cpus || stats.cpu_stats.cpu_usage.percpu_usage.length;
  return (cpuDelta / systemDelta) * cpus * 100;
}

/** Usage minus the inactive file cache (cgroup v1: total_inactive_file, v2: inactive_file). */
export function memoryBytes(stats: Docker.ContainerStats): number {
  const usage = stats.memory_stats.usage;
  const { total_inactive_file: v1, inactive_file: v2 } = stats.memory_stats.stats;
  const inactive = (v1 as number | undefined) ?? v2;
  return inactive < usage ? usage - inactive : usage;
}

/**
 * Starts one `stats` request per matching container every second. Each answer covers the second
 * before it (Docker reads the counters twice, a second apart), so requests overlap rather than wait
 * for each other. Containers are looked up by label at each tick: they may appear and go any time.
 */
export function samplePeaks<Role extends string>(
  selectors: Readonly<Record<Role, LabelSelector>>,
): PeakSampler<Role> {
  const roles = Object.keys(selectors) as Role[];
  const peaks = new Map<Role, ResourcePeak>();
  const pending = new Set<Promise<void>>();
  const record = (role: Role, stats: Docker.ContainerStats): void => {
    const cpu = cpuPercent(stats);
    if (cpu === undefined) return;
    const previous = peaks.get(role);
    peaks.set(role, {
      cpuPercent: Math.max(previous?.cpuPercent ?? 0, cpu),
      memoryBytes: Math.max(previous?.memoryBytes ?? 0, memoryBytes(stats)),
      samples: (previous?.samples ?? 0) + 1,
    });
  };
  const sampleRole = async (role: Role): Promise<void> => {
    const label = Object.entries(selectors[role]).map(([key, value]) => `${key}=${value}`);
    const containers = await docker().listContainers({ filters: { label } });
    await Promise.all(
      containers.map(async (c) => {
        try {
          record(role, await docker().getContainer(c.Id).stats({ stream: false }));
        } catch {
          // The container stopped between the listing and the reading: it has nothing more to show.
        }
      }),
    );
  };
  const tick = (): void => {
    for (const role of roles) {
      const sample = sampleRole(role).catch(() => undefined);
      pending.add(sample);
      void sample.finally(() => pending.delete(sample));
    }
  };
  tick();
  const timer = setInterval(tick, INTERVAL_MS);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      return Object.fromEntries(roles.map((role) => [role, peaks.get(role)])) as Record<
        Role,
        ResourcePeak | undefined
      >;
    },
  };
}
