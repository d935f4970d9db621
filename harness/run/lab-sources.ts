import { LOG_SOURCES, type LogSourceName } from "../core/vocabulary.js";
import { sourcesShippedBy } from "../lab/sensors.js";
import { SOURCE_BY_KIND } from "../lab/target-kinds.js";
import type { LabPlan } from "../lab/topology.js";
import type { Scenario } from "../scenario/load.js";

/** Every source the lab writes as the scenario declares it: the firewall, its sensors', its targets'. */
export function labSources(plan: LabPlan, scenario: Scenario): LogSourceName[] {
  const present = new Set<LogSourceName>([
    "firewall",
    ...sourcesShippedBy(scenario.lab.sensors),
    ...scenario.expect.logs,
  ]);
  for (const t of plan.targets) {
    const source = t.image.kind === "custom" ? undefined : SOURCE_BY_KIND[t.image.kind];
    if (source) present.add(source);
  }
  return LOG_SOURCES.filter((s) => present.has(s));
}
