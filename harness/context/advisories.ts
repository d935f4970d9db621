import { z } from "zod";
import { cve, day, port, transport } from "./fields.js";
import { assetAt, type Asset } from "./inventory.js";
import type { ProbedPort } from "./services.js";

/** The local advisory file: recently disclosed vulnerabilities, by product and port. */
export const AdvisoriesSchema = z.strictObject({
  advisories: z
    .array(
      z.strictObject({
        cve,
        product: z.string().min(1),
        port: port.optional(),
        protocol: transport.optional(),
        published: day,
        title: z.string().min(1),
      }),
    )
    .default([]),
});
export type AdvisoriesFile = z.output<typeof AdvisoriesSchema> & { readonly file: string };
export type Advisory = AdvisoriesFile["advisories"][number];

export interface AdvisoryMatch {
  readonly cve: string;
  readonly title: string;
  readonly published: string;
  /** The inventory asset at the address, if it has one. */
  readonly asset?: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: string;
  /** "product" when the inventory declares the advisory's product on that port, "port" for a host it does not know. */
  readonly matchedBy: "product" | "port";
}

/**
 * Advisories published within `recency` before `at` that concern a probed port: by product when
 * the inventory declares that product on the port, by port and protocol when the advisory names
 * one and the host is not in the inventory at all (an inventoried host serves only what it declares).
 */
export function matchAdvisories(
  probed: readonly ProbedPort[],
  inventory: readonly Asset[],
  file: AdvisoriesFile | undefined,
  recency: number,
  at: Date,
): AdvisoryMatch[] {
  const recent = (file?.advisories ?? []).filter((a) => {
    const age = at.getTime() - Date.parse(`${a.published}T00:00:00Z`);
    return age >= 0 && age <= recency;
  });
  return probed.flatMap((p) => {
    const asset = assetAt(inventory, p.address);
    const product = asset?.services.find((s) => s.port === p.port && s.protocol === p.protocol)?.product;
    return recent.flatMap((a): AdvisoryMatch[] => {
      const onPort = a.port === p.port && (a.protocol ?? p.protocol) === p.protocol;
      const byProduct =
        product !== undefined &&
        product.toLowerCase() === a.product.toLowerCase() &&
        (a.port === undefined || onPort);
      const byPort = asset === undefined && onPort;
      if (!byProduct && !byPort) return [];
      return [
        {
          cve: a.cve,
          title: a.title,
          published: a.published,
          ...(asset ? { asset: asset.name } : {}),
          address: p.address,
          port: p.port,
          protocol: p.protocol,
          matchedBy: byProduct ? "product" : "port",
        },
      ];
    });
  });
}
