import { ScanproofError } from "./core/errors.js";

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

/** Reads `i/n` (1 ≤ i ≤ n), as CI matrices number their jobs. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new ScanproofError(
      `--shard ${text}: expected i/n with 1 ≤ i ≤ n, such as 1/3.`,
      "Give each CI job its own i out of the same n.",
    );
  }
  return { index, count };
}

/**
 * The scenarios shard `i` of `n` runs: sorted by id, then dealt round-robin, so every shard of the
 * same suite gets the same share on every machine, the shares differ in size by at most one, and
 * together the shards run each scenario exactly once.
 */
export function selectShard<T extends { readonly id: string }>(scenarios: readonly T[], shard: Shard): T[] {
  return [...scenarios]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .filter((_, i) => i % shard.count === shard.index - 1);
}
