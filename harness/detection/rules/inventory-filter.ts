import type { estypes } from "@elastic/elasticsearch";
import type { Asset } from "../../context/inventory.js";
import type { Rule } from "./rule.js";

/** The filters a rule's inventory extension adds to its searches; none when it has no extension. */
export function inventoryFilters(
  rule: Pick<Rule, "inventoryFilter">,
  inventory: readonly Asset[],
): estypes.QueryDslQueryContainer[] {
  return rule.inventoryFilter === undefined ? [] : [undeclaredServices(inventory)];
}

/** Events to an inventory asset on a port and transport it declares no service on. */
function undeclaredServices(inventory: readonly Asset[]): estypes.QueryDslQueryContainer {
  if (inventory.length === 0) return { match_none: {} };
  const declared = inventory.flatMap((asset) =>
    asset.services.map((service) => ({
      bool: {
        filter: [
          { term: { "destination.ip": asset.address } },
          { term: { "network.transport": service.protocol } },
          { term: { "destination.port": service.port } },
        ],
      },
    })),
  );
  return {
    bool: {
      filter: [{ terms: { "destination.ip": inventory.map((a) => a.address) } }],
      ...(declared.length > 0 ? { must_not: declared } : {}),
    },
  };
}
