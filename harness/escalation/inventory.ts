import type { AssetServiceSpec, AssetSpec, Criticality } from "./context.js";

/** An inventory asset placed in one lab: its address is known, whether declared or a lab target's. */
export interface Asset {
  readonly name: string;
  readonly address: string;
  readonly criticality: Criticality;
  readonly why: string;
  readonly services: readonly AssetServiceSpec[];
}

/**
 * The inventory as it applies to one lab: assets declared by address always, assets declared by lab
 * target name only when the lab has a target of that name (at that target's address).
 */
export function placeInventory(
  assets: readonly AssetSpec[],
  labTargets: readonly { readonly name: string; readonly address: string }[],
): Asset[] {
  const byName = new Map(labTargets.map((t) => [t.name, t.address]));
  return assets.flatMap((a) => {
    const placed = a.address ?? (a.target === undefined ? undefined : byName.get(a.target));
    return placed === undefined
      ? []
      : [{ name: a.name, address: placed, criticality: a.criticality, why: a.why, services: a.services }];
  });
}

/** The asset at an address, if the inventory has one. */
export function assetAt(inventory: readonly Asset[], address: string): Asset | undefined {
  return inventory.find((a) => a.address === address);
}
