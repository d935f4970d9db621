import { hostname } from "node:os";
import { docker, LABEL_MANAGED, LABEL_OWNER, LABEL_RUN } from "../docker/client.js";
import { recordedLabs } from "./lab-records.js";

export interface PruneResult {
  readonly containers: number;
  readonly networks: number;
}

/** Removes every container and network scanproof labelled (or only one run's), whatever state it is in. */
export async function prune(runId?: string): Promise<PruneResult> {
  const label = runId ? [`${LABEL_RUN}=${runId}`] : [`${LABEL_MANAGED}=true`];
  const containers = await docker().listContainers({ all: true, filters: { label } });
  await Promise.all(
    containers.map((c) => alreadyGoneIsDone(docker().getContainer(c.Id).remove({ force: true, v: true }))),
  );
  const networks = await docker().listNetworks({ filters: { label } });
  for (const n of networks) await alreadyGoneIsDone(removeNetwork(n.Id));
  return { containers: containers.length, networks: networks.length };
}

/** How long a container create that was in flight when a run was interrupted may take to land. */
const IN_FLIGHT_CREATE_MS = 1_500;

/**
 * Removes whatever still carries the run's label: a container whose start was interrupted (Ctrl-C
 * while it waited to be ready) was never registered for teardown. A second pass catches a create
 * request that was still on its way to Docker during the first.
 */
export async function pruneRun(runId: string): Promise<void> {
  await prune(runId);
  await new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_CREATE_MS));
  await prune(runId);
}

/**
 * Disconnects whatever is still attached first: a cluster scanproof did not start for this run (a
 * shared or kept Elasticsearch) stays joined to a lab's management network until its lab is gone.
 */
async function removeNetwork(id: string): Promise<void> {
  const network = docker().getNetwork(id);
  const info = (await network.inspect()) as { Containers?: Record<string, unknown> };
  for (const container of Object.keys(info.Containers ?? {}))
    await alreadyGoneIsDone(network.disconnect({ Container: container, Force: true }));
  await network.remove();
}

/** Something another teardown removed meanwhile (404) is as good as removed. */
async function alreadyGoneIsDone(removal: Promise<unknown>): Promise<void> {
  try {
    await removal;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
}

/**
 * Whether the harness process named by an owner label ("<machine>/<pid>") has ended. Only a
 * process on this machine can be checked; an unknown or foreign owner counts as alive.
 */
export function ownerGone(owner: string | undefined, machine = hostname()): boolean {
  const slash = owner?.lastIndexOf("/") ?? -1;
  if (!owner || slash < 0 || owner.slice(0, slash) !== machine) return false;
  const pid = Number(owner.slice(slash + 1));
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export interface Leftovers extends PruneResult {
  /** Runs whose harness process is gone (killed, crashed): their resources are leftovers. */
  readonly orphanedRuns: readonly string[];
}

/** Labelled containers and networks, and the runs among them whose harness process has ended. */
export async function countLeftovers(): Promise<Leftovers> {
  const label = [`${LABEL_MANAGED}=true`];
  const [containers, networks] = await Promise.all([
    docker().listContainers({ all: true, filters: { label } }),
    docker().listNetworks({ filters: { label } }),
  ]);
  const orphaned = new Set<string>();
  for (const labels of [...containers.map((c) => c.Labels), ...networks.map((n) => n.Labels ?? {})]) {
    const run = labels[LABEL_RUN];
    if (run && ownerGone(labels[LABEL_OWNER])) orphaned.add(run);
  }
  return { containers: containers.length, networks: networks.length, orphanedRuns: [...orphaned] };
}

/**
 * Removes what runs whose harness process was killed left behind, and nothing of runs still
 * going nor of labs kept on purpose (`lab up`, `--keep-lab`) until `lab down`: every run does this before it starts, and `scanproof prune` by default.
 */
export async function pruneOrphans(): Promise<PruneResult & { runs: readonly string[] }> {
  const kept = new Set(recordedLabs().map((r) => r.runId));
  const orphanedRuns = (await countLeftovers()).orphanedRuns.filter((run) => !kept.has(run));
  let containers = 0;
  let networks = 0;
  for (const run of orphanedRuns) {
    const removed = await prune(run);
    containers += removed.containers;
    networks += removed.networks;
  }
  return { containers, networks, runs: orphanedRuns };
}
