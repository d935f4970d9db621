import { seconds } from "../core/format.js";
import type { LogSourceReport } from "../logs/accounting.js";
import {
  overallVerdict,
  type AlertSummary,
  type ExpectationResult,
  type RunResult,
  type ScenarioResult,
  type Verdict,
} from "../result.js";
import { wireFindings, type GroundTruth } from "../scanners/ground-truth.js";
import type { Tier } from "../core/vocabulary.js";
import { countVerdicts } from "./json.js";
import { incidentFiles, isEscalated } from "./incident.js";
import { html, Markup } from "./markup.js";
import { timeline } from "./html-timeline.js";

const VERDICT_LABEL: Readonly<Record<Verdict, string>> = {
  pass: "✓ PASS",
  fail: "✗ FAIL",
  error: "! ERROR",
};

export const STYLE = new Markup(`
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #fff; margin: 0 auto; max-width: 1180px; padding: 1.5rem; }
h1, h2, h3 { line-height: 1.25; }
h2 { margin-top: 2.5rem; padding-top: 1rem; border-top: 2px solid #d0d7de; }
code, pre { font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
pre, .command { white-space: pre-wrap; overflow-wrap: anywhere; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: 0.75rem; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { border: 1px solid #d0d7de; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
thead th { background: #f6f8fa; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.broken { background: #fff5f5; }
ul.reasons { margin: 0; padding-left: 1.1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.verdict, .tier { display: inline-block; padding: 0 0.45rem; border-radius: 0.3rem; font-weight: 700; border: 1px solid; font-size: 0.9em; }
.verdict-pass { background: #dafbe1; color: #116329; border-color: #4ac26b; }
.verdict-fail { background: #ffebe9; color: #a40e26; border-color: #ff8182; }
.verdict-error { background: #fff1e5; color: #953800; border-color: #fb8f44; }
.held { color: #116329; font-weight: 600; }
.failed { color: #a40e26; font-weight: 600; }
.tier-tier2 { color: #a40e26; }
.tier-l1 { color: #7d4e00; }
.tier-suppressed { color: #424a53; }
figure { margin: 0.5rem 0 1rem; }
figcaption { font-size: 0.9em; color: #57606a; }
svg { max-width: 100%; height: auto; }
`);

function displayTime(iso: string): string {
  const epoch = Date.parse(iso);
  return Number.isNaN(epoch) ? iso : `${new Date(epoch).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

function time(iso: string): Markup {
  return html`<time datetime="${iso}">${displayTime(iso)}</time>`;
}

function verdictBadge(verdict: Verdict): Markup {
  return html`<span class="verdict verdict-${verdict}">${VERDICT_LABEL[verdict]}</span>`;
}

function tierBadge(tier: Tier): Markup {
  return html`<span class="tier tier-${tier}">${tier}</span>`;
}

function anchor(scenario: ScenarioResult): string {
  return `scenario-${scenario.id}`;
}

function shellWord(arg: unknown): string {
  const word = typeof arg === "string" ? arg : JSON.stringify(arg);
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function phaseName(key: string): string {
  return key.replace(/Ms$/, "").replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

function skippedRules(run: RunResult): Markup {
  if (run.rules.skipped.length === 0) return html``;
  const items = run.rules.skipped.map((r) => html`<li><code>${r.file}</code>: ${r.reason}</li>`);
  return html`<h2>Rules skipped</h2>
    <ul>
      ${items}
    </ul>`;
}

function runHeader(run: RunResult): Markup {
  const counts = countVerdicts(run.scenarios);
  const runMs = Date.parse(run.endedAt) - Date.parse(run.startedAt);
  return html`<header>
    <h1>scanproof run <code>${run.runId}</code></h1>
    <p>
      Overall verdict: ${verdictBadge(overallVerdict(run.scenarios))} — ${counts.pass} passed, ${counts.fail}
      failed, ${counts.error} errored, of ${run.scenarios.length} scenarios.
    </p>
    <dl class="facts">
      <dt>Started</dt>
      <dd>${time(run.startedAt)}</dd>
      <dt>Ended</dt>
      <dd>${time(run.endedAt)} (${seconds(runMs)})</dd>
      <dt>Backend</dt>
      <dd>${run.backend}</dd>
      <dt>Rules</dt>
      <dd>${run.rules.loaded.length} loaded, ${run.rules.skipped.length} skipped</dd>
      <dt>Results</dt>
      <dd><code>${run.resultsDir}</code></dd>
    </dl>
    ${skippedRules(run)}
  </header>`;
}

function scenarioRow(s: ScenarioResult): Markup {
  const held = s.expectations.filter((e) => e.passed).length;
  return html`<tr>
    <th scope="row"><a href="#${anchor(s)}">${s.id}</a></th>
    <td>${s.title}</td>
    <td>${s.technique}</td>
    <td>${verdictBadge(s.verdict)}</td>
    <td class="number">${held}/${s.expectations.length}</td>
    <td class="number">${s.alerts.length}</td>
    <td class="number">${seconds(s.durationMs)}</td>
  </tr>`;
}

/** A table with column headers, one row per item, and an optional caption. */
function table(headers: readonly string[], rows: readonly Markup[], caption?: string): Markup {
  return html`<table>
    ${caption === undefined
      ? ""
      : html`<caption>
          ${caption}
        </caption>`}
    <thead>
      <tr>
        ${headers.map((h) => html`<th scope="col">${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}

function scenarioTable(run: RunResult): Markup {
  return table(
    ["Scenario", "Title", "Technique", "Verdict", "Expectations held", "Alerts", "Duration"],
    run.scenarios.map(scenarioRow),
    "Scenarios",
  );
}

function expectationRow(e: ExpectationResult): Markup {
  const result = e.passed ? html`<td class="held">✓ held</td>` : html`<td class="failed">✗ failed</td>`;
  return html`<tr class="${e.passed ? "held" : "broken"}">
    ${result}
    <td><code>${e.id}</code><br />${e.description}</td>
    <td>${e.expected}</td>
    <td>${e.observed}</td>
  </tr>`;
}

function expectationsTable(expectations: readonly ExpectationResult[]): Markup {
  if (expectations.length === 0) return html`<p>No expectations were judged.</p>`;
  const failedFirst = [...expectations].sort((a, b) => Number(a.passed) - Number(b.passed));
  return table(["Result", "Expectation", "Expected", "Observed"], failedFirst.map(expectationRow));
}

function nextActionCell(a: AlertSummary, scenarioId: string): Markup {
  const reputation = a.enrichment?.reputation;
  const files = incidentFiles(scenarioId, a.id);
  const incident = (ext: "md" | "json", label: string): Markup => html`<a href="${files[ext]}">${label}</a>`;
  return html`<td>
    ${a.nextAction?.message ?? "—"}
    ${reputation && reputation.verdict !== "unknown" ? html`<br />Reputation: ${reputation.message}` : ""}
    ${isEscalated(a) ? html`<br />${incident("md", "Incident report")} (${incident("json", "JSON")})` : ""}
  </td>`;
}

function alertRow(a: AlertSummary, scenarioId: string): Markup {
  const reasons = a.reasons.map((r) => html`<li><code>${r.code}</code>: ${r.message}</li>`);
  const distinct = a.distinct.map((d) => `, ${d.values} distinct ${d.field}`).join("");
  return html`<tr>
    <td>${a.ruleName}<br /><code>${a.ruleId}</code></td>
    <td>${a.source ?? "—"} → ${a.destination ?? "—"}</td>
    <td>${tierBadge(a.tier)}</td>
    <td>
      ${reasons.length > 0
        ? html`<ul class="reasons">
            ${reasons}
          </ul>`
        : "none"}
    </td>
    <td>${a.severity}, risk ${a.riskScore}; ${a.events} events${distinct}; ${a.techniques.join(", ")}</td>
    ${nextActionCell(a, scenarioId)}
  </tr>`;
}

function alertsTable(alerts: readonly AlertSummary[], scenarioId: string): Markup {
  if (alerts.length === 0) return html`<p>No alerts.</p>`;
  return table(
    ["Rule", "Source → destination", "Tier", "Reasons", "Evidence", "Next action"],
    alerts.map((a) => alertRow(a, scenarioId)),
  );
}

function logRow(l: LogSourceReport): Markup {
  return html`<tr>
    <th scope="row">${l.source}</th>
    <td class="number">${l.sensorRecords}</td>
    <td class="number">${l.indexed}</td>
    <td class="number">${l.parseFailures}</td>
    <td class="number">${l.seenEvents}/${l.expectedEvents}</td>
    <td class="number">${seconds(l.ingestWaitMs)}</td>
    <td>${l.missing.length > 0 ? l.missing.join(", ") : "—"}</td>
  </tr>`;
}

function logsTable(logs: readonly LogSourceReport[]): Markup {
  if (logs.length === 0) return html`<p>No log sources were accounted.</p>`;
  return table(
    ["Source", "Written", "Indexed", "Unparsed", "Expected events seen", "Ingest wait", "First missing"],
    logs.map(logRow),
  );
}

function stepRow(g: GroundTruth): Markup {
  const tookMs = Date.parse(g.endedAt) - Date.parse(g.startedAt);
  return html`<tr>
    <th scope="row">${g.step + 1}</th>
    <td>${g.tool}</td>
    <td>${time(g.startedAt)}</td>
    <td class="number">${seconds(tookMs)}</td>
    <td class="number">${g.wire ? g.wire.probes.length : "—"}</td>
    <td class="number">${g.wire ? g.wire.http.length + g.wire.dns.length : "—"}</td>
    <td class="number">${g.wire ? `${g.wire.claimsOnWire}/${g.wire.toolClaims}` : "—"}</td>
    <td>${g.summary}</td>
    <td><code class="command">${g.command.map(shellWord).join(" ")}</code></td>
  </tr>`;
}

/** Each step's flows and requests across the firewall (the accounting's reference), and the tool's report checked against them. */
function stepsTable(truths: readonly GroundTruth[]): Markup {
  if (truths.length === 0) return html`<p>No step ran.</p>`;
  const findings = truths.flatMap(wireFindings);
  return html`${table(
    [
      "Step",
      "Tool",
      "Started",
      "Took",
      "Flows across the firewall",
      "HTTP and DNS requests",
      "Tool's claims on the wire",
      "Summary",
      "Command",
    ],
    truths.map(stepRow),
  )}${findings.length === 0
    ? html``
    : html`<ul class="wire-findings">
        ${findings.map((f) => html`<li>${f}</li>`)}
      </ul>`}`;
}

/** Rows of the timeline, in milliseconds from the first step's start. */
function reasonBlock(s: ScenarioResult): Markup {
  if (s.reason === undefined) return html``;
  return html`<p><strong>Reason for ${VERDICT_LABEL[s.verdict]}:</strong></p>
    <pre>${s.reason}</pre>`;
}

function phases(s: ScenarioResult): string {
  const entries = Object.entries(s.timings).map(([key, ms]) => `${phaseName(key)} ${seconds(ms)}`);
  return entries.length > 0 ? entries.join(" · ") : "—";
}

function scenarioSection(s: ScenarioResult, index: number): Markup {
  return html`<section id="${anchor(s)}" aria-labelledby="${anchor(s)}-heading">
    <h2 id="${anchor(s)}-heading"><code>${s.id}</code> ${verdictBadge(s.verdict)}</h2>
    <p>${s.title}</p>
    <dl class="facts">
      <dt>Technique</dt>
      <dd>${s.technique}</dd>
      <dt>File</dt>
      <dd><code>${s.file}</code></dd>
      <dt>Duration</dt>
      <dd>${seconds(s.durationMs)} (${phases(s)})</dd>
    </dl>
    ${reasonBlock(s)}
    <h3>Timeline</h3>
    ${timeline(s, index)}
    <h3>Expectations</h3>
    ${expectationsTable(s.expectations)}
    <h3>Alerts</h3>
    ${alertsTable(s.alerts, s.id)}
    <h3>Log sources</h3>
    ${logsTable(s.logs)}
    <h3>Steps</h3>
    ${stepsTable(s.groundTruth)}
  </section>`;
}

/** One self-contained page: inline CSS and SVG, no script, no external resource. */
export function renderHtml(run: RunResult): string {
  const page = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>scanproof ${run.runId}: ${VERDICT_LABEL[overallVerdict(run.scenarios)]}</title>
        <style>
          ${STYLE}
        </style>
      </head>
      <body>
        ${runHeader(run)}
        <main>${scenarioTable(run)} ${run.scenarios.map(scenarioSection)}</main>
      </body>
    </html> `;
  return page.html;
}
