import { envelopeChart } from "./envelope-svg.js";
import type { EnvelopeResult } from "./envelope-model.js";
import { detectingContenders, envelopeTable } from "./envelope-table.js";
import { STYLE } from "./html.js";
import { html } from "./markup.js";

/** The envelope as one self-contained page: the table, then one chart per dimension, inline SVG, no script. */
export function renderEnvelopeHtml(result: EnvelopeResult): string {
  const table = envelopeTable(result);
  const contenders = detectingContenders(result);
  const page = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>scanproof envelope ${result.runId}</title>
        <style>
          ${STYLE}
        </style>
      </head>
      <body>
        <h1>Detection envelope ${result.runId}</h1>
        <p>Every scan sent by ${result.source}. ${result.isolation}</p>
        <table class="envelope">
          <thead>
            <tr>
              ${table.header.map((h) => html`<th>${h}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${table.rows.map(
              (r) =>
                html`<tr>
                  ${r.map((cell) => html`<td>${cell}</td>`)}
                </tr>`,
            )}
          </tbody>
        </table>
        ${table.silent.length > 0
          ? html`<p>
              Detected at no point: ${table.silent.map((c) => `${c.name} (${c.origin})`).join("; ")}
            </p>`
          : html``}
        ${result.dimensions.map(
          (d) =>
            html`<section>
              <h2>${d.title}</h2>
              <p>
                ${d.points.length} points, searched ${d.range[0]}…${d.range[1]} ${d.unit}; fixed: ${d.fixed}
              </p>
              <figure>
                ${envelopeChart(d, contenders)}
                <figcaption>Every measured point per contender: filled detected, hollow missed.</figcaption>
              </figure>
            </section>`,
        )}
      </body>
    </html> `;
  return page.html;
}
