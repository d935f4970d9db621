import { seconds } from "../core/format.js";
import type { Tier } from "../core/vocabulary.js";
import type { ScenarioResult } from "../result.js";
import { html, Markup } from "./markup.js";

/** The HTML report's timeline: steps, each source's arrival and each alert, as SVG. */

const TIER_COLOUR: Readonly<Record<Tier, string>> = {
  tier2: "#cf222e",
  l1: "#9a6700",
  suppressed: "#6e7781",
};

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

interface TimelineSpan {
  readonly label: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly detail: string;
}

type TimelineRow =
  | (TimelineSpan & { readonly kind: "step" })
  | (TimelineSpan & { readonly kind: "arrival" })
  | (TimelineSpan & { readonly kind: "post-scan" })
  | (TimelineSpan & { readonly kind: "alert"; readonly tier: Tier });

const CHART = { label: 300, plot: 460, right: 90, row: 26, top: 26, axis: 34, maxLabel: 44 } as const;

function timelineRows(s: ScenarioResult, origin: number, stepsEndMs: number): TimelineRow[] {
  const steps = s.groundTruth.map(
    (g): TimelineRow => ({
      kind: "step",
      label: `step ${g.step + 1}: ${g.tool}, ${g.probes.length} probes sent`,
      startMs: Date.parse(g.startedAt) - origin,
      endMs: Date.parse(g.endedAt) - origin,
      detail: g.summary,
    }),
  );
  const arrivals = s.logs.map((l): TimelineRow => {
    const at = stepsEndMs + l.ingestWaitMs;
    return {
      kind: "arrival",
      label: `all ${l.source} events searchable`,
      startMs: at,
      endMs: at,
      detail: `${l.indexed}/${l.sensorRecords} records indexed ${seconds(l.ingestWaitMs)} after the last step`,
    };
  });
  const alertAt = s.timeToAlertMs === undefined ? undefined : stepsEndMs + s.timeToAlertMs;
  const alerts =
    alertAt === undefined
      ? []
      : s.alerts.map(
          (a): TimelineRow => ({
            kind: "alert",
            label: `alert raised: ${a.ruleName}`,
            startMs: alertAt,
            endMs: alertAt,
            detail: `${a.ruleName} → ${a.tier}, ${seconds(alertAt - stepsEndMs)} after the last step`,
            tier: a.tier,
          }),
        );
  return [...steps, ...postScanRows(s, origin), ...arrivals, ...alerts];
}

const POST_SCAN_LABEL = {
  login: "logins from the scanner",
  outbound: "connections out",
  exfiltration: "large transfer to the scanner",
  "follow-up": "the scanner used what it found",
} as const;

/** What followed the scan, once per kind and host whichever alerts found it: from its first event to its last. */
function postScanRows(s: ScenarioResult, origin: number): TimelineRow[] {
  const found = new Map<string, TimelineRow>();
  for (const f of s.alerts.flatMap((a) => a.enrichment?.postScan ?? [])) {
    const key = `${f.kind} ${f.host}`;
    const times = f.evidence.flatMap((e) => [Date.parse(e.firstSeen), Date.parse(e.lastSeen)]);
    if (found.has(key) || times.length === 0) continue;
    found.set(key, {
      kind: "post-scan",
      label: `after the scan: ${POST_SCAN_LABEL[f.kind]}, ${f.host}`,
      startMs: Math.min(...times) - origin,
      endMs: Math.max(...times) - origin,
      detail: `${f.summary} (${f.evidence.map((e) => `${e.events} events in ${e.index}`).join(", ")})`,
    });
  }
  return [...found.values()];
}

/** A round tick interval giving about five ticks over the span. */
function tickInterval(spanMs: number): number {
  const rough = Math.max(spanMs, 1) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  return ([1, 2, 5, 10].find((m) => m * magnitude >= rough) ?? 10) * magnitude;
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function rowShape(row: TimelineRow, x: (ms: number) => number, y: number): Markup {
  const title = html`<title>${row.label}: ${row.detail}</title>`;
  if (row.kind === "step") {
    const width = round1(Math.max(3, x(row.endMs) - x(row.startMs)));
    return html`<rect x="${x(row.startMs)}" y="${y - 6}" width="${width}" height="12" fill="#0969da"
      >${title}</rect
    >`;
  }
  if (row.kind === "post-scan") {
    const width = round1(Math.max(3, x(row.endMs) - x(row.startMs)));
    return html`<rect x="${x(row.startMs)}" y="${y - 6}" width="${width}" height="12" fill="#8250df"
      >${title}</rect
    >`;
  }
  if (row.kind === "arrival") {
    return html`<circle cx="${x(row.startMs)}" cy="${y}" r="6" fill="#1a7f37">${title}</circle>`;
  }
  const cx = x(row.startMs);
  const colour = TIER_COLOUR[row.tier];
  return html`<path d="M${cx},${y - 8} L${cx + 8},${y} L${cx},${y + 8} L${cx - 8},${y} Z" fill="${colour}"
      >${title}</path
    >
    <text x="${cx + 12}" y="${y + 4}" font-weight="700" fill="${colour}">${row.tier}</text>`;
}

function timelineAxis(spanMs: number, interval: number, x: (ms: number) => number, top: number): Markup {
  const ticks = Array.from({ length: Math.floor(spanMs / interval) + 1 }, (_, i) => i * interval);
  const bottom = top + 6;
  return html`<line
      x1="${CHART.label}"
      y1="${top}"
      x2="${CHART.label + CHART.plot}"
      y2="${top}"
      stroke="#57606a"
    />
    ${ticks.map(
      (t) =>
        html`<line x1="${x(t)}" y1="${CHART.top - 6}" x2="${x(t)}" y2="${bottom}" stroke="#d0d7de" />
          <text x="${x(t)}" y="${bottom + 14}" text-anchor="middle">${formatSeconds(t)}</text>`,
    )}`;
}

function timelineSvg(s: ScenarioResult, index: number): Markup {
  const origin = Math.min(...s.groundTruth.map((g) => Date.parse(g.startedAt)));
  const stepsEndMs = Math.max(...s.groundTruth.map((g) => Date.parse(g.endedAt))) - origin;
  const rows = timelineRows(s, origin, stepsEndMs);
  const interval = tickInterval(Math.max(...rows.map((r) => r.endMs)));
  const spanMs = Math.ceil(Math.max(1, ...rows.map((r) => r.endMs)) / interval) * interval;
  const x = (ms: number): number => round1(CHART.label + (ms / spanMs) * CHART.plot);
  const rowY = (i: number): number => CHART.top + i * CHART.row + CHART.row / 2;
  const axisTop = CHART.top + rows.length * CHART.row;
  const width = CHART.label + CHART.plot + CHART.right;
  const height = axisTop + CHART.axis;
  const id = `timeline-${index}`;
  const described = rows.map((r) => `${r.label} at ${formatSeconds(r.startMs)}`).join("; ");
  return html`<figure>
    <svg
      viewBox="0 0 ${width} ${height}"
      width="${width}"
      height="${height}"
      role="img"
      aria-labelledby="${id}-title ${id}-desc"
      font-family="system-ui, sans-serif"
      font-size="12"
      fill="#1f2328"
    >
      <title id="${id}-title">Timeline of ${s.id}</title>
      <desc id="${id}-desc">${described}</desc>
      ${timelineAxis(spanMs, interval, x, axisTop)}
      <line
        x1="${x(stepsEndMs)}"
        y1="${CHART.top - 10}"
        x2="${x(stepsEndMs)}"
        y2="${axisTop}"
        stroke="#57606a"
        stroke-dasharray="4 3"
      />
      <text x="${x(stepsEndMs)}" y="${CHART.top - 14}" text-anchor="middle">last step ended</text>
      ${rows.map(
        (row, i) =>
          html`<text x="${CHART.label - 10}" y="${rowY(i) + 4}" text-anchor="end"
              >${truncate(row.label, CHART.maxLabel)}</text
            >
            ${rowShape(row, x, rowY(i))}`,
      )}
    </svg>
    <figcaption>
      Time since the first step started. Blue bars: probes sent, from the step's start to its end. Purple
      bars: what followed the scan (logins, connections out, large transfers), from its first event to its
      last. Circles: every record of a log source searchable. Diamonds: alert raised, labelled with its
      escalation tier.
    </figcaption>
  </figure>`;
}

export function timeline(s: ScenarioResult, index: number): Markup {
  if (s.groundTruth.length === 0) return html`<p>No step ran, so there is no timeline.</p>`;
  return timelineSvg(s, index);
}
