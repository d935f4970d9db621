import type { EnvelopeContender, EnvelopeDimension } from "./envelope-model.js";
import { html, type Markup } from "./markup.js";

const WIDTH = 900;
const LABEL_WIDTH = 300;
const RIGHT = 30;
const TOP = 40;
const ROW = 24;
const AXIS = 46;
const NAME_CHARS = 44;

function shorten(name: string): string {
  return name.length > NAME_CHARS ? `${name.slice(0, NAME_CHARS - 1)}…` : name;
}

/** Round tick values covering [low, high]: 1, 2 or 5 times a power of ten apart, about five of them. */
export function ticks(low: number, high: number): number[] {
  const span = high - low;
  if (span <= 0) return [low];
  const raw = span / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(low / step) * step; t <= high + 1e-9; t += step) out.push(Math.round(t * 1e6) / 1e6);
  return out;
}

/** 1, 2 and 5 times each power of ten within [low, high], for a logarithmic axis. */
export function logTicks(low: number, high: number): number[] {
  const out: number[] = [];
  for (let power = 1; power <= high; power *= 10)
    for (const m of [1, 2, 5]) if (m * power >= low && m * power <= high) out.push(m * power);
  return out;
}

/** Sizes spanning more than a factor of 20 (1 to 300 ports) read on a logarithmic axis; pace starts at 0. */
export function logarithmic(low: number, high: number): boolean {
  return low >= 1 && high / low >= 20;
}

/**
 * One dimension as a strip chart, every contender on it: a row per contender, each measured point a
 * filled circle where it detected and a hollow one where it missed, and the boundary drawn between
 * the last point detected and the first missed. The x axis runs in the dimension's own units.
 */
export function envelopeChart(
  dimension: EnvelopeDimension,
  contenders: readonly EnvelopeContender[],
): Markup {
  const low = Math.min(...dimension.range);
  const high = Math.max(...dimension.range);
  const height = TOP + contenders.length * ROW + AXIS;
  const plotWidth = WIDTH - LABEL_WIDTH - RIGHT;
  const log = logarithmic(low, high);
  const scaled = (v: number) => (log ? Math.log(v) : v);
  const x = (v: number) =>
    LABEL_WIDTH + (high === low ? 0 : ((scaled(v) - scaled(low)) / (scaled(high) - scaled(low))) * plotWidth);
  const rowY = (i: number) => TOP + i * ROW + ROW / 2;
  const axisY = TOP + contenders.length * ROW + 6;
  const rows = contenders.map((c, i) => {
    const y = rowY(i);
    const b = dimension.boundaries.find((bound) => bound.contender === c.id);
    const bracket =
      b?.lastDetected !== undefined && b.firstMissed !== undefined
        ? html`<line
            class="boundary"
            x1="${x(b.lastDetected).toFixed(1)}"
            x2="${x(b.firstMissed).toFixed(1)}"
            y1="${y}"
            y2="${y}"
            stroke="#cf222e"
            stroke-width="6"
            stroke-opacity="0.35"
            ><title>
              ${c.name}: detected at ${b.lastDetected}, missed at ${b.firstMissed} ${dimension.unit}
            </title></line
          >`
        : html``;
    const marks = dimension.points.map((p) => {
      const hit = p.detected[c.id] === true;
      return html`<circle
        class="${hit ? "detected" : "missed"}"
        data-value="${p.value}"
        cx="${x(p.value).toFixed(1)}"
        cy="${y}"
        r="4.5"
        fill="${hit ? "#1a7f37" : "#ffffff"}"
        stroke="${hit ? "#1a7f37" : "#57606a"}"
        stroke-width="1.5"
        ><title>${c.name} at ${p.value} ${dimension.unit}: ${hit ? "detected" : "missed"}</title></circle
      >`;
    });
    return html`<g class="contender" data-contender="${c.id}">
      <text x="${LABEL_WIDTH - 8}" y="${y + 4}" text-anchor="end" font-size="12">${shorten(c.name)}</text>
      <line x1="${LABEL_WIDTH}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" stroke="#d0d7de" />
      ${bracket} ${marks}
    </g>`;
  });
  const tickMarks = (log ? logTicks(low, high) : ticks(low, high)).map(
    (t) =>
      html`<line
          x1="${x(t).toFixed(1)}"
          x2="${x(t).toFixed(1)}"
          y1="${axisY}"
          y2="${axisY + 5}"
          stroke="#57606a"
        /><text class="tick" x="${x(t).toFixed(1)}" y="${axisY + 18}" text-anchor="middle" font-size="11"
          >${t}</text
        >`,
  );
  return html`<svg
    xmlns="http://www.w3.org/2000/svg"
    viewBox="0 0 ${WIDTH} ${height}"
    width="${WIDTH}"
    height="${height}"
    role="img"
    font-family="system-ui, sans-serif"
  >
    <title>${dimension.title}: detection against ${dimension.unit}</title>
    <text x="${LABEL_WIDTH}" y="18" font-size="13" font-weight="600">${dimension.title}</text>
    <text x="${WIDTH - RIGHT}" y="18" font-size="11" text-anchor="end">● detected ○ missed ▬ boundary</text>
    ${rows}
    <line x1="${LABEL_WIDTH}" x2="${WIDTH - RIGHT}" y1="${axisY}" y2="${axisY}" stroke="#57606a" />
    ${tickMarks}
    <text x="${LABEL_WIDTH + plotWidth / 2}" y="${height - 6}" text-anchor="middle" font-size="12">
      ${dimension.unit}${log ? ", logarithmic" : ""}
      (${dimension.evasive === "down" ? "fewer is more evasive" : "more is more evasive"})
    </text>
  </svg>`;
}

/** The chart as a file of its own. */
export function renderEnvelopeSvg(
  dimension: EnvelopeDimension,
  contenders: readonly EnvelopeContender[],
): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${envelopeChart(dimension, contenders).html}\n`;
}
