import type {
  EnvelopeBoundary,
  EnvelopeContender,
  EnvelopeDimension,
  EnvelopeResult,
} from "./envelope-model.js";

/** What each dimension's column asks of a contender. */
const COLUMN: Readonly<Record<EnvelopeDimension["name"], string>> = {
  vertical: "Fewest ports detected",
  horizontal: "Fewest targets detected",
  pace: "Slowest pace detected",
};

/**
 * One cell: the most evasive value still detected and, in brackets, the first measured value
 * missed beyond it. A contender that never missed shows the search's end; one never detected, where
 * it was first missed. A star marks a bracket that measured points contradict (not monotone).
 */
export function boundaryCell(dimension: EnvelopeDimension, b: EnvelopeBoundary | undefined): string {
  if (!b) return "–";
  const unit = dimension.unit === "ms" ? " ms" : "";
  const star = b.monotone ? "" : " *";
  const evasiveEnd = dimension.range[1];
  if (b.lastDetected === undefined)
    return `never (missed at ${b.firstMissed ?? dimension.range[0]}${unit})${star}`;
  if (b.firstMissed === undefined)
    return `${dimension.evasive === "down" ? "≤" : "≥"} ${evasiveEnd}${unit} (never missed)${star}`;
  return `${b.lastDetected}${unit} (missed at ${b.firstMissed}${unit})${star}`;
}

/** Contenders detected at some point of some dimension: the others are listed, not tabled. */
export function detectingContenders(result: EnvelopeResult): EnvelopeContender[] {
  return result.contenders.filter((c) =>
    result.dimensions.some((d) => d.points.some((p) => p.detected[c.id] === true)),
  );
}

export interface EnvelopeTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Contenders no point of any dimension raised. */
  readonly silent: readonly EnvelopeContender[];
}

export function envelopeTable(result: EnvelopeResult): EnvelopeTable {
  const detecting = detectingContenders(result);
  const header = ["Contender", "Origin", ...result.dimensions.map((d) => `${COLUMN[d.name]} (${d.unit})`)];
  const rows = detecting.map((c) => [
    c.name,
    c.origin,
    ...result.dimensions.map((d) =>
      boundaryCell(
        d,
        d.boundaries.find((b) => b.contender === c.id),
      ),
    ),
  ]);
  return { header, rows, silent: result.contenders.filter((c) => !detecting.includes(c)) };
}

function pad(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

function dimensionLines(result: EnvelopeResult): string[] {
  return result.dimensions.map(
    (d) =>
      `${d.title}: ${d.points.length} points in ${(d.durationMs / 1000).toFixed(0)} s, searched ${d.range[0]}…${d.range[1]} ${d.unit}; fixed: ${d.fixed}`,
  );
}

const NOT_MONOTONE =
  "* measured points contradict a single boundary (detected beyond a miss): the bracket is a local one";

export function renderEnvelopeText(result: EnvelopeResult): string {
  const table = envelopeTable(result);
  return [
    `Detection envelope ${result.runId} (${(result.durationMs / 1000).toFixed(0)} s), every scan sent by ${result.source}`,
    ...dimensionLines(result),
    "",
    ...pad([table.header, ...table.rows]),
    "",
    ...(table.silent.length > 0
      ? [`Detected at no point: ${table.silent.map((c) => `${c.name} (${c.origin})`).join("; ")}`]
      : []),
    ...(result.dimensions.some((d) => d.boundaries.some((b) => !b.monotone)) ? [NOT_MONOTONE] : []),
  ].join("\n");
}

function markdownCell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

export function renderEnvelopeMarkdown(result: EnvelopeResult): string {
  const table = envelopeTable(result);
  return [
    `| ${table.header.join(" | ")} |`,
    `| ${table.header.map(() => "---").join(" | ")} |`,
    ...table.rows.map((r) => `| ${r.map(markdownCell).join(" | ")} |`),
    "",
    `- Every scan sent by ${result.source}.`,
    ...dimensionLines(result).map((l) => `- ${l}`),
    ...(table.silent.length > 0
      ? [`- Detected at no point: ${table.silent.map((c) => `${c.name} (${c.origin})`).join("; ")}`]
      : []),
    ...(result.dimensions.some((d) => d.boundaries.some((b) => !b.monotone)) ? [`- ${NOT_MONOTONE}`] : []),
  ].join("\n");
}
