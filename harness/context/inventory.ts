import { z } from "zod";
import { ipv4AddressField } from "../core/addresses.js";
import { cve, port, transport } from "./fields.js";

const address = ipv4AddressField("context files");

const labTargetName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,30}$/,
    "the name of a lab target such as web (lower-case letters, digits, dashes)",
  );

const CRITICALITIES = ["critical", "high", "medium", "low"] as const;

/** A service the asset owner declares: what should answer on this port, and what is known to be wrong with it. */
const AssetServiceSchema = z.strictObject({
  port,
  protocol: transport,
  product: z.string().min(1).optional(),
  version: z.string({ error: 'a version in quotes such as "1.22.1"' }).min(1).optional(),
  cves: z.array(cve).default([]),
});

/** One system of the asset inventory, found by its address or by the name of a lab target. */
export const AssetSchema = z
  .strictObject({
    name: z.string().min(1),
    address: address.optional(),
    target: labTargetName.optional(),
    criticality: z.enum(CRITICALITIES),
    why: z.string().min(1),
    services: z.array(AssetServiceSchema).default([]),
  })
  .superRefine((asset, ctx) => {
    if ((asset.address === undefined) === (asset.target === undefined))
      ctx.addIssue({
        code: "custom",
        path: asset.address === undefined ? [] : ["target"],
        message: "exactly one of address (an IPv4 address) or target (a lab target name)",
      });
  });

export type AssetSpec = z.output<typeof AssetSchema>;
export type AssetServiceSpec = z.output<typeof AssetServiceSchema>;
export type Criticality = (typeof CRITICALITIES)[number];

/** An inventory asset placed in one lab: its address is known, whether declared or a lab target's. */
export interface Asset {
  readonly name: string;
  readonly address: string;
  readonly criticality: Criticality;
  readonly why: string;
  readonly services: readonly AssetServiceSpec[];
}

/** A lab target as the inventory sees it. */
export interface InventoryTarget {
  readonly name: string;
  readonly address: string;
  /** Services the target moved off their default port: default port → the port it listens on. */
  readonly portMoves?: Readonly<Record<string, number>>;
  /** A scenario's own target image: it enters the inventory with the ports it serves unless an asset lists it. */
  readonly own?: {
    readonly criticality: Criticality;
    readonly why: string;
    readonly services: readonly { readonly port: number; readonly transport: "tcp" | "udp" }[];
  };
}

/**
 * The inventory as it applies to one lab: assets declared by address always, assets declared by lab
 * target name only when the lab has a target of that name (at that target's address). An asset that
 * is a lab target declares its services where the target runs them: a service the target moved to
 * another port is declared on that port. A scenario's own target image that no asset lists enters
 * the inventory with the ports the scenario says it serves.
 */
export function placeInventory(
  assets: readonly AssetSpec[],
  labTargets: readonly InventoryTarget[],
): Asset[] {
  const byName = new Map(labTargets.map((t) => [t.name, t]));
  const byAddress = new Map(labTargets.map((t) => [t.address, t]));
  const placed = assets.flatMap((a): Asset[] => {
    const target = a.target === undefined ? undefined : byName.get(a.target);
    const address = a.address ?? target?.address;
    if (address === undefined) return [];
    const moves = byAddress.get(address)?.portMoves ?? {};
    const services = a.services.map((s) => ({ ...s, port: moves[String(s.port)] ?? s.port }));
    return [{ name: a.name, address, criticality: a.criticality, why: a.why, services }];
  });
  const listed = new Set(placed.map((a) => a.address));
  const own = labTargets.flatMap((t): Asset[] =>
    t.own === undefined || listed.has(t.address)
      ? []
      : [
          {
            name: t.name,
            address: t.address,
            criticality: t.own.criticality,
            why: t.own.why,
            services: t.own.services.map((s) => ({ port: s.port, protocol: s.transport, cves: [] })),
          },
        ],
  );
  return [...placed, ...own];
}

/** The asset at an address, if the inventory has one. */
export function assetAt(inventory: readonly Asset[], address: string): Asset | undefined {
  return inventory.find((a) => a.address === address);
}
