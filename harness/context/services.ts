import type { Asset } from "./inventory.js";

/** A declared service of an inventory asset that the source probed. */
export interface TargetedService {
  readonly asset: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: "tcp" | "udp";
  readonly product?: string;
  readonly version?: string;
  readonly cves: readonly string[];
  /** How many of the source's events went to this service. */
  readonly probes: number;
}

/** One (address, port, protocol) the source sent probes to, with how many. */
export interface ProbedPort {
  readonly address: string;
  readonly port: number;
  readonly protocol: string;
  readonly probes: number;
}

/** The inventory's declared services among the probed ports. */
export function targetedServices(
  inventory: readonly Asset[],
  probed: readonly ProbedPort[],
): TargetedService[] {
  return inventory.flatMap((asset) =>
    asset.services.flatMap((s): TargetedService[] => {
      const hit = probed.find(
        (p) => p.address === asset.address && p.port === s.port && p.protocol === s.protocol,
      );
      return hit
        ? [
            {
              asset: asset.name,
              address: asset.address,
              port: s.port,
              protocol: s.protocol,
              ...(s.product === undefined ? {} : { product: s.product }),
              ...(s.version === undefined ? {} : { version: s.version }),
              cves: s.cves,
              probes: hit.probes,
            },
          ]
        : [];
    }),
  );
}
