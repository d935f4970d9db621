import { docker } from "../docker/client.js";
import type { Teardown } from "../core/lifecycle.js";
import type { SegmentName } from "./segments.js";

export type NetworkName = "outside" | "dmz" | "lan" | "mgmt";

/** The Docker network each overlay segment rides on: hosts behind NAT share the outside one. */
export const UNDERLAY: Record<SegmentName, NetworkName> = {
  outside: "outside",
  dmz: "dmz",
  lan: "lan",
  nat: "outside",
};

/** The lab's internal Docker networks (the LAN only when a host sits there), each removed at teardown. */
export async function createNetworks(
  prefix: string,
  withLan: boolean,
  labels: Record<string, string>,
  teardown: Teardown,
): Promise<Record<NetworkName, string>> {
  const names: Record<NetworkName, string> = {
    outside: `${prefix}-outside`,
    dmz: `${prefix}-dmz`,
    lan: `${prefix}-lan`,
    mgmt: `${prefix}-mgmt`,
  };
  for (const [key, name] of Object.entries(names)) {
    if (key === "lan" && !withLan) continue;
    const network = await docker().createNetwork({
      Name: name,
      Internal: true,
      Labels: labels,
      CheckDuplicate: true,
    });
    teardown.defer(`remove network ${name}`, () => network.remove());
  }
  return names;
}
