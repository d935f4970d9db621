import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../backend/backend.js";
import { SOURCE_INDEX } from "../backend/templates.js";

type Query = estypes.QueryDslQueryContainer;

/** The label of every event scanproof moved into the past as a scenario's history. */
export const HISTORY_LABEL = "labels.scanproof_history";

/** Leaves out the history a scenario declared: what its own steps caused is accounted without it. */
export const NOT_HISTORY: Query = { bool: { must_not: [{ term: { [HISTORY_LABEL]: "true" } }] } };

/** The events one history entry caused in the lab, and the past moments its runs began. */
export interface RecordedRun {
  /** When the entry's steps began: each past run is this moment moved to an occurrence. */
  readonly anchor: number;
  /** The events that are the entry's: from `from` until (exclusive) `until`. */
  readonly from: number;
  readonly until: number;
  /** Epoch ms at which each past run begins, oldest first. */
  readonly occurrences: readonly number[];
}

export interface Relocated {
  /** Events the entry's steps caused in the lab, in every log source. */
  readonly recorded: number;
  /** Events now in the past: recorded × occurrences. */
  readonly indexed: number;
}

/** Time fields of the shipped events that say when something happened. */
const MOMENTS = ["@timestamp", "event.start", "event.end", "event.created"] as const;
const PAGE = 5_000;

/**
 * Moves what one history entry caused into the past: each of its events is written anew at every
 * occurrence, shifted by the occurrence's distance from the entry's start and labelled as history,
 * and the event itself is deleted — the scenario's own lab ships under the ids the history lab used
 * (run, scenario, file and offset), so nothing may stay under them. Only events of `filters` (one
 * run's one scenario) are read, written or deleted.
 */
export async function relocateRun(
  backend: Backend,
  filters: readonly Query[],
  run: RecordedRun,
): Promise<Relocated> {
  const indices = Object.values(SOURCE_INDEX);
  await backend.client.indices.refresh({ index: indices, ignore_unavailable: true, allow_no_indices: true });
  let recorded = 0;
  let indexed = 0;
  const shifts = run.occurrences.map((at) => at - run.anchor);
  let page = await backend.client.search<Record<string, unknown>>({
    index: indices,
    ignore_unavailable: true,
    allow_no_indices: true,
    scroll: "2m",
    size: PAGE,
    sort: ["_doc"],
    query: {
      bool: {
        filter: [
          ...filters,
          NOT_HISTORY,
          {
            range: {
              "@timestamp": { gte: new Date(run.from).toISOString(), lt: new Date(run.until).toISOString() },
            },
          },
        ],
      },
    },
  });
  try {
    while (page.hits.hits.length > 0) {
      const perEvent = page.hits.hits.map((hit) => [
        ...shifts.flatMap((shift) => [{ create: { _index: hit._index } }, moved(hit._source ?? {}, shift)]),
        { delete: { _index: hit._index, _id: hit._id } },
      ]);
      await bulk(backend, perEvent);
      recorded += page.hits.hits.length;
      indexed += page.hits.hits.length * shifts.length;
      if (!page._scroll_id) break;
      page = await backend.client.scroll({ scroll_id: page._scroll_id, scroll: "2m" });
    }
  } finally {
    if (page._scroll_id)
      await backend.client.clearScroll({ scroll_id: page._scroll_id }).catch(() => undefined);
  }
  await backend.client.indices.refresh({ index: indices, ignore_unavailable: true, allow_no_indices: true });
  return { recorded, indexed };
}

/** Sends each event's operations (its copies, then its delete) in batches of about PAGE copies. */
async function bulk(backend: Backend, perEvent: readonly (readonly object[])[]): Promise<void> {
  let batch: object[] = [];
  const send = async () => {
    if (batch.length === 0) return;
    const response = await backend.client.bulk({ operations: batch });
    batch = [];
    if (response.errors) {
      const failed = response.items.find((item) => (item.create ?? item.delete)?.error);
      const error = (failed?.create ?? failed?.delete)?.error;
      throw new Error(
        `Elasticsearch refused a history event: ${error?.type ?? "?"}: ${error?.reason ?? "?"}`,
      );
    }
  };
  for (const operations of perEvent) {
    batch.push(...operations);
    if (batch.length >= 2 * PAGE) await send();
  }
  await send();
}

/** An event shifted by `shift` ms in every time field it has, and labelled as history. */
export function moved(doc: Readonly<Record<string, unknown>>, shift: number): Record<string, unknown> {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const shiftIn = (holder: Record<string, unknown> | undefined, key: string) => {
    const value = holder?.[key];
    if (holder && typeof value === "string" && !Number.isNaN(Date.parse(value)))
      holder[key] = new Date(Date.parse(value) + shift).toISOString();
  };
  for (const path of MOMENTS) {
    shiftIn(copy, path);
    const [head = "", tail] = path.split(".");
    const nested = copy[head];
    if (tail !== undefined && typeof nested === "object" && nested !== null)
      shiftIn(nested as Record<string, unknown>, tail);
  }
  const labels = (copy.labels ?? {}) as Record<string, unknown>;
  copy.labels = { ...labels, scanproof_history: "true" };
  return copy;
}
