import type { EnvelopeContender, EnvelopeResult } from "./envelope-model.js";
import { boundaryCell } from "./envelope-table.js";

/** A contender's boundary in one dimension that differs between two envelopes, or that one lacks. */
export interface BoundaryMove {
  readonly dimension: string;
  readonly unit: string;
  readonly contender: string;
  readonly name: string;
  readonly before?: { readonly lastDetected?: number; readonly firstMissed?: number };
  readonly after?: { readonly lastDetected?: number; readonly firstMissed?: number };
  /** How far the most evasive value still detected moved (after minus before), when both have one. */
  readonly by?: number;
  /** The cells as the envelope tables show them. */
  readonly beforeText: string;
  readonly afterText: string;
}

export interface EnvelopeDiff {
  readonly kind: "scanproof-envelope-diff";
  readonly before: string;
  readonly after: string;
  readonly moves: readonly BoundaryMove[];
}

/** What matches a contender across envelopes: a rule by its rule_id whatever its origin, a detector by name. */
function matchKey(c: EnvelopeContender): string {
  return c.ruleId === undefined ? `${c.kind}:${c.id}` : `rule:${c.ruleId}`;
}

/** The envelope of one origin's contenders only (a baseline or a changed rule set measured in one lab). */
export function envelopeOfOrigins(result: EnvelopeResult, origins: readonly string[]): EnvelopeResult {
  const contenders = result.contenders.filter((c) => origins.includes(c.origin));
  const ids = new Set(contenders.map((c) => c.id));
  return {
    ...result,
    contenders,
    dimensions: result.dimensions.map((d) => ({
      ...d,
      points: d.points.map((p) => ({
        ...p,
        detected: Object.fromEntries(Object.entries(p.detected).filter(([id]) => ids.has(id))),
      })),
      boundaries: d.boundaries.filter((b) => ids.has(b.contender)),
    })),
  };
}

/**
 * Every boundary that moved between two envelopes, dimension by dimension: a contender whose last
 * detected or first missed value differs, or that only one envelope measured in that dimension.
 * Contenders match by rule_id (rules) or name (detectors), so a changed copy of a rule meets its original.
 */
export function diffEnvelopes(
  before: { label: string; result: EnvelopeResult },
  after: { label: string; result: EnvelopeResult },
): EnvelopeDiff {
  const moves: BoundaryMove[] = [];
  for (const dimension of before.result.dimensions) {
    const other = after.result.dimensions.find((d) => d.name === dimension.name);
    if (!other) continue;
    const side = (result: EnvelopeResult, d: typeof dimension) =>
      new Map(
        result.contenders.flatMap((c) => {
          const b = d.boundaries.find((x) => x.contender === c.id);
          return b ? [[matchKey(c), { c, b }] as const] : [];
        }),
      );
    const was = side(before.result, dimension);
    const now = side(after.result, other);
    for (const key of [...new Set([...was.keys(), ...now.keys()])].sort()) {
      const w = was.get(key);
      const n = now.get(key);
      if (w && n && w.b.lastDetected === n.b.lastDetected && w.b.firstMissed === n.b.firstMissed) continue;
      const bounds = (b: { lastDetected?: number | undefined; firstMissed?: number | undefined }) => ({
        ...(b.lastDetected === undefined ? {} : { lastDetected: b.lastDetected }),
        ...(b.firstMissed === undefined ? {} : { firstMissed: b.firstMissed }),
      });
      const by =
        w?.b.lastDetected !== undefined && n?.b.lastDetected !== undefined
          ? n.b.lastDetected - w.b.lastDetected
          : undefined;
      moves.push({
        dimension: dimension.name,
        unit: dimension.unit,
        contender: key,
        name: (n ?? w)?.c.name ?? key,
        ...(w ? { before: bounds(w.b) } : {}),
        ...(n ? { after: bounds(n.b) } : {}),
        ...(by === undefined ? {} : { by }),
        beforeText: w ? boundaryCell(dimension, w.b) : "not measured",
        afterText: n ? boundaryCell(other, n.b) : "not measured",
      });
    }
  }
  return { kind: "scanproof-envelope-diff", before: before.label, after: after.label, moves };
}

export function renderEnvelopeDiffSummary(diff: EnvelopeDiff): string {
  if (diff.moves.length === 0) return `No envelope boundary moved between ${diff.before} and ${diff.after}.`;
  return [
    `${diff.moves.length} envelope boundar${diff.moves.length === 1 ? "y" : "ies"} moved between ${diff.before} and ${diff.after}:`,
    ...diff.moves.map(
      (m) =>
        `  ${m.dimension}: ${m.name}: ${m.beforeText} → ${m.afterText}${m.by === undefined ? "" : ` (${m.by > 0 ? "+" : ""}${m.by} ${m.unit})`}`,
    ),
  ].join("\n");
}

export function renderEnvelopeDiffMarkdown(diff: EnvelopeDiff): string {
  if (diff.moves.length === 0) return `**Detection envelope:** no boundary moved.\n`;
  return [
    `**Detection envelope:** ${diff.moves.length} boundar${diff.moves.length === 1 ? "y" : "ies"} moved.`,
    "",
    "| Dimension | Contender | Before | After | Moved by |",
    "| --- | --- | --- | --- | --- |",
    ...diff.moves.map(
      (m) =>
        `| ${m.dimension} | ${m.name.replace(/\|/g, "\\|")} | ${m.beforeText} | ${m.afterText} | ${m.by === undefined ? "–" : `${m.by > 0 ? "+" : ""}${m.by} ${m.unit}`} |`,
    ),
    "",
  ].join("\n");
}
