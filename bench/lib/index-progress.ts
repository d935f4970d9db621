import type { Backend } from "../../harness/backend/backend.js";
import { SOURCE_INDEX } from "../../harness/backend/templates.js";
import type { LogSourceName } from "../../harness/core/vocabulary.js";

/** How many of the scenario's documents a search found in one source's index, and when. */
export interface CountSample {
  readonly atMs: number;
  readonly count: number;
}

export interface IndexProgress {
  stop(): Promise<Record<LogSourceName, readonly CountSample[]>>;
}

const INTERVAL_MS = 1000;

/**
 * Counts a scenario's documents in each source's index once a second, without forcing a refresh:
 * what any search would have found at that moment. Independent of the harness's own accounting,
 * whose polls take longer the more probes a scenario has.
 */
export function watchIndexCounts(
  backend: Backend,
  scenarioId: string,
  sources: readonly LogSourceName[],
): IndexProgress {
  const samples = new Map<LogSourceName, CountSample[]>(sources.map((s) => [s, []]));
  const count = async (source: LogSourceName): Promise<void> => {
    const atMs = Date.now();
    const result = await backend.client.count({
      index: SOURCE_INDEX[source],
      ignore_unavailable: true,
      allow_no_indices: true,
      query: { term: { "labels.scanproof_scenario": scenarioId } },
    });
    samples.get(source)?.push({ atMs, count: result.count });
  };
  let round: Promise<void> | undefined;
  const timer = setInterval(() => {
    round ??= Promise.all(sources.map(count))
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        round = undefined;
      });
  }, INTERVAL_MS);
  return {
    async stop() {
      clearInterval(timer);
      await round;
      return Object.fromEntries(samples) as Record<LogSourceName, CountSample[]>;
    },
  };
}

/** When a search first found `total` documents, or undefined if none ever did (or there were none). */
export function firstSeenAllMs(samples: readonly CountSample[], total: number): number | undefined {
  if (total === 0) return undefined;
  return samples.find((s) => s.count >= total)?.atMs;
}
