import { docker, LABEL_MANAGED, LABEL_RUN } from "./docker/client.js";

export interface PruneResult {
  readonly containers: number;
  readonly networks: number;
}

/** Removes every container and network scanproof labelled (or only one run's), whatever state it is in. */
export async function prune(runId?: string): Promise<PruneResult> {
  const label = runId ? [`${LABEL_RUN}=${runId}`] : [`${LABEL_MANAGED}=true`];
  const containers = await docker().listContainers({ all: true, filters: { label } });
  await Promise.all(containers.map((c) => docker().getContainer(c.Id).remove({ force: true, v: true })));
  const networks = await docker().listNetworks({ filters: { label } });
  for (const n of networks) await docker().getNetwork(n.Id).remove();
  return { containers: containers.length, networks: networks.length };
}

export async function countLeftovers(): Promise<PruneResult> {
  const label = [`${LABEL_MANAGED}=true`];
  const [containers, networks] = await Promise.all([
    docker().listContainers({ all: true, filters: { label } }),
    docker().listNetworks({ filters: { label } }),
  ]);
  return { containers: containers.length, networks: networks.length };
}
