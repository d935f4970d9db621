import type Docker from "dockerode";
import { docker } from "../../harness/docker/client.js";

/** The highest `docker stats` figures one container reached while it was sampled. */
export interface ResourcePeak {
  readonly cpuPercent: number;
  /** Memory usage minus inactive page cache (inactive_file), as `docker stats` shows it. */
  readonly memoryBytes: number;
  readonly samples: number;
}

/** Label values a container must carry (all of them) to be sampled as one role. */
export type LabelSelector = Readonly<Record<string, string>>;
/** One selector, or several whose containers are taken together (a lab and its Elasticsearch). */
export type Selection = LabelSelector | readonly LabelSelector[];

function selectorList(selection: Selection): readonly LabelSelector[] {
  return Array.isArray(selection) ? (selection as readonly LabelSelector[]) : [selection as LabelSelector];
}

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
 * Reads `stats` of every matching container once a second. Each answer covers the second before it
 * (Docker reads the counters twice, a second apart), so ticks overlap rather than wait for each
 * other. Containers are looked up by label at each tick: they may appear and go any time. A role's
 * figure at one tick is the sum over its containers, so a selector that matches a whole lab gives
 * the whole lab's footprint.
 */
export function samplePeaks<Role extends string>(
  selectors: Readonly<Record<Role, Selection>>,
): PeakSampler<Role> {
  const roles = Object.keys(selectors) as Role[];
  const peaks = new Map<Role, ResourcePeak>();
  const pending = new Set<Promise<void>>();
  const record = (role: Role, readings: readonly Docker.ContainerStats[]): void => {
    const cpus = readings.map(cpuPercent).filter((c): c is number => c !== undefined);
    if (cpus.length === 0) return;
    const previous = peaks.get(role);
    peaks.set(role, {
      cpuPercent: Math.max(
        previous?.cpuPercent ?? 0,
        cpus.reduce((a, b) => a + b, 0),
      ),
      memoryBytes: Math.max(
        previous?.memoryBytes ?? 0,
        readings.map(memoryBytes).reduce((a, b) => a + b, 0),
      ),
      samples: (previous?.samples ?? 0) + 1,
    });
  };
  const sampleRole = async (role: Role): Promise<void> => {
    const ids = new Set<string>();
    for (const selector of selectorList(selectors[role])) {
      const label = Object.entries(selector).map(([key, value]) => `${key}=${value}`);
      for (const c of await docker().listContainers({ filters: { label } })) ids.add(c.Id);
    }
    const readings = await Promise.all(
      [...ids].map(async (id) => {
        try {
          return await docker().getContainer(id).stats({ stream: false });
        } catch {
          // The container stopped between the listing and the reading: it has nothing more to show.
          return undefined;
        }
      }),
    );
    record(
      role,
      readings.filter((r): r is Docker.ContainerStats => r !== undefined),
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
