export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Columns whose cells are numbers, right-aligned in text. */
  readonly numeric?: readonly number[];
}

/** Columns padded to their widest cell, for a terminal. */
export function textTable(table: Table): string {
  const widths = table.header.map((h, i) =>
    Math.max(h.length, ...table.rows.map((r) => (r[i] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) =>
        table.numeric?.includes(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return [line(table.header), widths.map((w) => "─".repeat(w)).join("  "), ...table.rows.map(line)].join(
    "\n",
  );
}

export function markdownTable(table: Table): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  const rule = table.header.map((_, i) => (table.numeric?.includes(i) ? "---:" : "---"));
  return [line(table.header), line(rule), ...table.rows.map(line)].join("\n");
}
