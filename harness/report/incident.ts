import { createHash } from "node:crypto";
import type { Analysis } from "../escalation/analysis.js";
import type { ContainmentRecord } from "../escalation/containment.js";
import type { Enrichment, Reason } from "../escalation/enrichment.js";
import { blockRule, type NextAction } from "../escalation/next-action.js";
import { describeEvidence } from "../escalation/post-scan.js";
import type { AlertSummary, RunResult, ScenarioResult } from "../result.js";
import type { Tier } from "../core/vocabulary.js";
import { markdownText as md } from "./markdown.js";

/** An alert that went to Tier 2, with everything escalation attached to it. */
type EscalatedAlert = AlertSummary & {
  readonly analysis: Analysis;
  readonly enrichment: Enrichment;
  readonly nextAction: NextAction;
};

export interface TimelineEntry {
  readonly at: string;
  readonly what: string;
}

/** The playbook's incident report for one Tier 2 alert, as data (written as JSON and Markdown). */
export interface IncidentReport {
  readonly schemaVersion: 1;
  readonly id: string;
  readonly runId: string;
  readonly scenario: { readonly id: string; readonly title: string };
  readonly summary: string;
  readonly source: {
    readonly address: string;
    readonly internal: boolean;
    readonly allowList?: Enrichment["allowList"];
    readonly infrastructure?: Enrichment["infrastructure"];
    readonly reputation: Enrichment["reputation"];
    readonly history: Enrichment["history"];
  };
  readonly targets: {
    readonly hosts: readonly string[];
    readonly services: Enrichment["targetedServices"];
    readonly advisories: Enrichment["advisories"];
  };
  readonly timeline: readonly TimelineEntry[];
  /** The playbook's "secondary actions taken post-scan": what the source and the scanned hosts did next. */
  readonly secondaryActions: Enrichment["postScan"];
  /** The playbook's asset review: what answered on each scanned host against what the inventory declares. */
  readonly assetReview: Enrichment["assetReview"];
  readonly indicators: {
    readonly sourceAddress: string;
    readonly probes: number;
    readonly distinctPorts: number;
    readonly topPorts: readonly number[];
    readonly transports: readonly string[];
    readonly tcpFlags: readonly string[];
    readonly idsSignatures: readonly { readonly id: string; readonly name: string; readonly count: number }[];
    readonly methods: readonly string[];
    readonly patterns: Enrichment["patterns"];
  };
  readonly analysis: Analysis;
  readonly decision: {
    readonly tier: Tier;
    readonly rule: { readonly id: string; readonly name: string };
    readonly reasons: readonly Reason[];
  };
  readonly containment: readonly ContainmentRecord[];
  readonly recommendations: readonly string[];
}

/** An id that can be a file or folder name as it is: letters, digits, dot, dash, underscore; no "..". */
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Names Windows keeps for devices, whatever the extension. */
const DEVICE_NAME = /^(?:con|prn|aux|nul|com\d|lpt\d)(?:\.|$)/i;

/**
 * The file or folder name an id is written under: the id itself when it is a plain name, else a
 * slug of its letters and digits and a hash of the whole id after "~" (which no plain name has, so
 * two ids never share a name). Never empty, never a path separator, never "." or "..".
 */
export function safeFileName(id: unknown): string {
  const text = typeof id === "string" ? id : ((JSON.stringify(id) as string | undefined) ?? "");
  if (PLAIN_NAME.test(text) && !text.includes("..") && !DEVICE_NAME.test(text)) return text;
  const slug = text
    .replace(/[^A-Za-z0-9]+/g, "-")
    .slice(0, 48)
    .replace(/^-+|-+$/g, "");
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 12);
  return `${slug || "id"}~${hash}`;
}

/** Where an alert's incident reports are written, relative to the run's report folder, with "/" between names. */
export function incidentFiles(scenarioId: unknown, alertId: unknown): { md: string; json: string } {
  const base = `incidents/${safeFileName(scenarioId)}/${safeFileName(alertId)}`;
  return { md: `${base}.md`, json: `${base}.json` };
}

export function isEscalated(alert: AlertSummary): alert is EscalatedAlert {
  return (
    alert.tier === "tier2" &&
    alert.analysis !== undefined &&
    alert.enrichment !== undefined &&
    alert.nextAction !== undefined
  );
}

/** Every Tier 2 alert of the run with the scenario it belongs to. */
export function escalatedAlerts(run: RunResult): { scenario: ScenarioResult; alert: EscalatedAlert }[] {
  return run.scenarios.flatMap((scenario) =>
    scenario.alerts.filter(isEscalated).map((alert) => ({ scenario, alert })),
  );
}

export function buildIncidentReport(
  run: RunResult,
  scenario: ScenarioResult,
  alert: EscalatedAlert,
): IncidentReport {
  const e = alert.enrichment;
  const source = alert.source ?? "unknown source";
  const containment = (scenario.containment ?? []).filter((c) => c.source === alert.source);
  const blocked = containment.find((c) => c.blocked);
  const hosts = alert.targets ?? e.targets;
  const summary = [
    `Tier 2: "${alert.ruleName}" fired for ${source} (${e.internal ? "internal" : "external"}),`,
    `${e.activity.probes} probes to ${e.activity.distinctPorts} ports of ${hosts.join(", ") || "no host"}`,
    `between ${e.activity.firstSeen ?? alert.firstSeen ?? "?"} and ${e.activity.lastSeen ?? alert.lastSeen ?? "?"}.`,
    `${alert.reasons.length} reason${alert.reasons.length === 1 ? "" : "s"} (${alert.reasons.map((r) => r.code).join(", ")}).`,
    blocked
      ? `Contained at ${blocked.at}: blocked at the firewall${blocked.verification ? `, ${blocked.verification.deniedAfter} later events denied` : ""}.`
      : "Not contained.",
  ].join(" ");
  const recommendations = [
    alert.nextAction.message,
    ...(blocked ? [] : [`block at the perimeter: ${alert.nextAction.firewallRule ?? blockRule(source)}`]),
    ...e.targetedServices
      .filter((s) => s.cves.length > 0)
      .map((s) => `patch or shield ${s.asset} ${s.port}/${s.protocol} (${s.cves.join(", ")})`),
    ...e.advisories.map(
      (a) => `check ${a.asset ?? a.address} ${a.port}/${a.protocol} against ${a.cve} (${a.title})`,
    ),
    ...(e.exploitAttempts.length > 0
      ? [`review ${hosts.join(", ")} for signs of compromise after the exploit attempts`]
      : []),
    ...e.assetReview.flatMap((a) =>
      (a.answered ?? []).flatMap((s) =>
        s.closeRule
          ? [`close ${a.host} ${s.port}/${s.transport}, exposed but not declared: ${s.closeRule}`]
          : [],
      ),
    ),
    ...[...new Set(e.postScan.map((f) => f.host))].map(
      (host) =>
        `review ${host} for signs of compromise: ${e.postScan
          .filter((f) => f.host === host)
          .map((f) => POST_SCAN_CONCERN[f.kind])
          .join(", ")} after the scan`,
    ),
  ];
  return {
    schemaVersion: 1,
    id: alert.id,
    runId: run.runId,
    scenario: { id: scenario.id, title: scenario.title },
    summary,
    source: {
      address: source,
      internal: e.internal,
      ...(e.allowList ? { allowList: e.allowList } : {}),
      ...(e.infrastructure ? { infrastructure: e.infrastructure } : {}),
      reputation: e.reputation,
      history: e.history,
    },
    targets: { hosts, services: e.targetedServices, advisories: e.advisories },
    timeline: timelineOf(alert, containment),
    secondaryActions: e.postScan,
    assetReview: e.assetReview,
    indicators: {
      sourceAddress: source,
      probes: e.activity.probes,
      distinctPorts: e.activity.distinctPorts,
      topPorts: e.activity.topPorts.map((p) => p.port),
      transports: e.activity.transports,
      tcpFlags: e.activity.tcpFlags,
      idsSignatures: e.idsSignatures.map((s) => ({ id: s.id, name: s.name, count: s.count })),
      methods: e.methods,
      patterns: e.patterns,
    },
    analysis: alert.analysis,
    decision: { tier: alert.tier, rule: { id: alert.ruleId, name: alert.ruleName }, reasons: alert.reasons },
    containment,
    recommendations,
  };
}

const POST_SCAN_CONCERN: Readonly<Record<Enrichment["postScan"][number]["kind"], string>> = {
  login: "logins from the scanning source",
  outbound: "connections the host opened out",
  exfiltration: "a large transfer to the scanning source",
  "follow-up": "the scanning source came back for what the scan found",
};

function describeReview(a: Enrichment["assetReview"][number]): string {
  const name = a.asset
    ? `${md(a.asset.name)} (${md(a.host)}, ${a.asset.criticality})`
    : `${md(a.host)} (not in the inventory)`;
  const answered =
    a.answered === undefined
      ? "what answered is unknown (no connection records: switch on the flow sensor)"
      : a.answered.length === 0
        ? "nothing answered the scan"
        : `answered: ${a.answered
            .map(
              (s) =>
                `${s.port}/${s.transport} ${s.declared ? `declared${s.product ? ` ${md([s.product, s.version].filter(Boolean).join(" "))}` : ""}${s.cves.length > 0 ? `, known vulnerabilities ${md(s.cves.join(", "))}` : ""}` : "NOT DECLARED (exposed undeclared service)"} [${md(s.evidence.index)} ${md(s.evidence.id)}]`,
            )
            .join("; ")}`;
  const silent =
    a.silentDeclared.length > 0 ? `; declared but silent: ${md(a.silentDeclared.join(", "))}` : "";
  const after =
    a.postScan.length > 0
      ? `; after the scan: ${a.postScan.map((k) => POST_SCAN_CONCERN[k]).join(", ")}`
      : "; nothing followed the scan here";
  return `${name}: ${answered}${silent}${after}`;
}

function timelineOf(alert: EscalatedAlert, containment: readonly ContainmentRecord[]): TimelineEntry[] {
  const e = alert.enrichment;
  const entries: TimelineEntry[] = [];
  const add = (at: string | undefined, what: string) => {
    if (at !== undefined) entries.push({ at, what });
  };
  add(e.history.firstSeen, `first event from ${alert.source ?? "the source"} in the history window`);
  add(e.activity.firstSeen, "first probe of this activity (firewall)");
  add(alert.firstSeen, `first event of "${alert.ruleName}"`);
  for (const s of e.idsSignatures)
    add(s.firstSeen, `IDS ${s.id} "${s.name}" (${s.category || "no category"}), ${s.count}×`);
  for (const s of e.exploitAttempts) add(s.firstSeen, `exploit attempt linked: IDS ${s.id} "${s.name}"`);
  for (const f of e.postScan)
    add(f.evidence[0]?.firstSeen, `after the scan, ${POST_SCAN_CONCERN[f.kind]}: ${f.summary}`);
  add(alert.lastSeen, `last event of "${alert.ruleName}"`);
  add(e.activity.lastSeen, "last probe of this activity (firewall)");
  for (const c of containment) {
    add(c.at, c.blocked ? `contained: ${c.commands.join("; ")}` : `containment not applied: ${c.reason}`);
    add(c.verification?.firstDenied, "first denied event after the block (firewall)");
  }
  return entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

export function renderIncidentJson(report: IncidentReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function renderIncidentMarkdown(r: IncidentReport): string {
  const lines: string[] = [];
  const out = (...l: string[]) => lines.push(...l);
  const list = (items: readonly string[], empty: string) =>
    out(...(items.length > 0 ? items.map((i) => `- ${i}`) : [`- ${empty}`]));
  out(`# Incident: ${md(r.decision.rule.name)} from ${md(r.source.address)}`, "");
  out(`Run ${md(r.runId)}, scenario ${md(r.scenario.id)} (${md(r.scenario.title)}), alert \`${r.id}\``, "");
  out("## Summary", "", md(r.summary), "");
  out("## Source", "");
  const h = r.source.history;
  list(
    [
      `Address: ${md(r.source.address)} (${r.source.internal ? "internal" : "external"})`,
      r.source.allowList
        ? `Allow-list: ${md(r.source.allowList.owner)} — ${md(r.source.allowList.purpose)}${r.source.allowList.inWindow ? "" : " (outside its engagement window)"}`
        : "Allow-list: not listed",
      r.source.infrastructure
        ? `Declared infrastructure: ${md(r.source.infrastructure.role)} "${md(r.source.infrastructure.name)}" of ${md(r.source.infrastructure.owner)}${r.source.infrastructure.outside.length === 0 ? "" : ` — outside its declaration: ${md(r.source.infrastructure.outside.join("; "))}`}`
        : "Declared infrastructure: not declared",
      `Reputation: ${r.source.reputation.verdict} — ${md(r.source.reputation.message)}`,
      `History: ${h.events} events, first seen ${md(h.firstSeen ?? "never")}, last seen ${md(h.lastSeen ?? "never")}, active on ${h.activeDays.length} day${h.activeDays.length === 1 ? "" : "s"}, alerts on ${h.alertDays.length} (${md(h.alertDays.join(", "))}); ${h.priorEvents} before this activity`,
      `Targets over the history window: ${md(h.targets.join(", ") || "none")}; ports: ${md(h.ports.join(", ") || "none")}; methods: ${md(h.methods.join(", ") || "none")}`,
    ],
    "",
  );
  out("", "## Targets", "");
  list([`Hosts: ${md(r.targets.hosts.join(", ") || "none")}`], "");
  list(
    r.targets.services.map(
      (s) =>
        `${md(s.asset)} (${md(s.address)}) ${s.port}/${s.protocol}${s.product ? ` ${md([s.product, s.version].filter(Boolean).join(" "))}` : ""}: ${s.probes} probe${s.probes === 1 ? "" : "s"}${s.cves.length > 0 ? `, known vulnerabilities ${md(s.cves.join(", "))}` : ""}`,
    ),
    "no declared service of the inventory was probed",
  );
  list(
    r.targets.advisories.map(
      (a) =>
        `Advisory ${md(a.cve)} (${md(a.published)}): ${md(a.title)} — ${md(a.asset ?? a.address)} ${a.port}/${a.protocol}, matched by ${a.matchedBy}`,
    ),
    "no recent advisory matches the probed services",
  );
  out("", "## Timeline", "", "| Time (UTC) | Event |", "| --- | --- |");
  for (const t of r.timeline) out(`| ${md(t.at)} | ${md(t.what)} |`);
  out("", "## Secondary actions after the scan", "");
  list(
    r.secondaryActions.map(
      (f) =>
        `${md(f.host)}, ${POST_SCAN_CONCERN[f.kind]}: ${md(f.summary)} (evidence: ${md(describeEvidence(f.evidence))})`,
    ),
    "no login, outbound connection, large transfer or return to what the scan found followed it",
  );
  out("", "## Asset review", "");
  list(r.assetReview.map(describeReview), "no host was scanned");
  out("", "## Indicators", "");
  const i = r.indicators;
  list(
    [
      `Source address: ${md(i.sourceAddress)}`,
      `${i.probes} probes, ${i.distinctPorts} distinct ports; most probed: ${md(i.topPorts.join(", ") || "none")}`,
      `Transports: ${md(i.transports.join(", ") || "none")}; TCP flags: ${md(i.tcpFlags.map((f) => f || "none").join(", ") || "none")}`,
      `Methods: ${md(i.methods.join("; ") || "none")}`,
      ...i.idsSignatures.map((s) => `IDS signature ${md(s.id)}: ${md(s.name)} (${s.count}×)`),
      ...i.patterns.map(
        (p) =>
          `Known pattern ${md(p.name)} (${p.confidence} confidence, ${md(p.tool)}): ${md(p.because.join("; "))}`,
      ),
    ],
    "",
  );
  out("", "## Analysis", "");
  for (const a of [
    r.analysis.internalOrKnown,
    r.analysis.portsAndServices,
    r.analysis.volume,
    r.analysis.similarRecently,
  ])
    out(`- **${md(a.question)}** ${md(a.answer)}`);
  out(
    "",
    "## Decision",
    "",
    `**${r.decision.tier}** for rule ${md(r.decision.rule.name)} (\`${r.decision.rule.id}\`):`,
    "",
  );
  list(
    r.decision.reasons.map((x) => `\`${x.code}\`: ${md(x.message)}`),
    "no reason",
  );
  out("", "## Containment performed", "");
  list(
    r.containment.map((c) => {
      const v = c.verification;
      const after = v
        ? `; afterwards ${v.deniedAfter} events denied and ${v.allowedAfter} allowed by the firewall, ${v.idsFlags} IDS block-list alerts`
        : "";
      return `${md(c.at)}: ${c.blocked ? "blocked" : "not blocked"} — ${md(c.reason)}${c.commands.length > 0 ? ` (${c.commands.map((x) => `\`${x.replace(/`/g, "'")}\``).join(", ")})` : ""}${after}`;
    }),
    "none",
  );
  out("", "## Recommendations", "");
  list(r.recommendations.map(md), "none");
  return `${lines.join("\n")}\n`;
}
