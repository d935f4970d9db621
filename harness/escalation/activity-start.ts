/** A slice of a source's events: the first and last event in it (epoch ms), slices in time order. */
export interface EventSlice {
  readonly first: number;
  readonly last: number;
}

/**
 * When the source's current activity began: walking back from its latest event, the first event
 * after the last silence of at least `gapMs`, but no earlier than `earliest`. Slices must be
 * shorter than `gapMs` (so every such silence falls between two slices) and in time order; then
 * every event of one activity leads back to the same start, whichever alert asks.
 */
export function startOfActivity(
  slices: readonly EventSlice[],
  gapMs: number,
  earliest: number,
): number | undefined {
  let start: number | undefined;
  for (let i = slices.length - 1; i >= 0; i -= 1) {
    const slice = slices[i] as EventSlice;
    if (start !== undefined && start - slice.last >= gapMs) break;
    start = slice.first;
  }
  return start === undefined ? undefined : Math.max(start, earliest);
}
