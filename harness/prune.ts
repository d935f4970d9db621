import { docker, LABEL_MANAGED, LABEL_RUN } from "./docker/client.js";

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
  for (const n of networks) await alreadyGoneIsDone(docker().getNetwork(n.Id).remove());
  return { containers: containers.length, networks: networks.length };
}

/** Something another teardown removed meanwhile (404) is as good as removed. */
async function alreadyGoneIsDone(removal: Promise<unknown>): Promise<void> {
  try {
    await removal;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
}

export async function countLeftovers(): Promise<PruneResult> {
  const label = [`${LABEL_MANAGED}=true`];
  const [containers, networks] = await Promise.all([
    docker().listContainers({ all: true, filters: { label } }),
    docker().listNetworks({ filters: { label } }),
  ]);
  return { containers: containers.length, networks: networks.length };
}
