const MIB = 1024 * 1024;

export const mibText = (bytes: number): string => `${Math.round(bytes / MIB).toLocaleString("en-US")} MiB`;
export const gibText = (bytes: number): string => `${(bytes / (1024 * MIB)).toFixed(2)} GiB`;

/** "✔ met" or "✖ missed" beside a figure and its target. */
export function verdictText(met: boolean): string {
  return met ? "✔ met" : "✖ missed";
}
