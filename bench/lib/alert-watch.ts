import type { Backend } from "../../harness/backend/backend.js";
import { ALERTS_INDEX } from "../../harness/backend/templates.js";
import type { StoredAlert } from "../../harness/detection/live/alerts.js";

/** scenario id → rule id → when a search first found an alert of that rule (epoch ms). */
export type FirstAlerts = ReadonlyMap<string, ReadonlyMap<string, number>>;

export interface AlertWatch {
  stop(): Promise<FirstAlerts>;
}

const INTERVAL_MS = 250;

/**
 * Searches the alerts index four times a second, without forcing a refresh, and notes when each
 * (scenario, rule) first became searchable: the moment an analyst's query would have shown it.
 */
export function watchAlerts(backend: Backend, scenarioIds: readonly string[]): AlertWatch {
  const first = new Map<string, Map<string, number>>();
  const poll = async (): Promise<void> => {
    const atMs = Date.now();
    const response = await backend.client.search<StoredAlert>({
      index: ALERTS_INDEX,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: 1000,
      _source: ["labels.scanproof_scenario", "rule.id"],
      query: { terms: { "labels.scanproof_scenario": [...scenarioIds] } },
    });
    for (const hit of response.hits.hits) {
      const scenario = hit._source?.labels?.scanproof_scenario;
      const rule = hit._source?.rule?.id;
      if (!scenario || !rule) continue;
      const rules = first.get(scenario) ?? new Map<string, number>();
      if (!rules.has(rule)) rules.set(rule, atMs);
      first.set(scenario, rules);
    }
  };
  let round: Promise<void> | undefined;
  const timer = setInterval(() => {
    round ??= poll()
      .catch(() => undefined)
      .finally(() => {
        round = undefined;
      });
  }, INTERVAL_MS);
  return {
    async stop() {
      clearInterval(timer);
      await round;
      await poll();
      return first;
    },
  };
}
