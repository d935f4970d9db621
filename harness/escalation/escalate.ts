import type { Tier } from "../core/vocabulary.js";
import type { DeclaredInfrastructure, Enrichment, Reason, ReasonCode } from "./enrichment.js";
import { declaredInfrastructure, outsideDeclaration } from "../context/infrastructure.js";
import { formatPorts } from "../core/ports.js";
import { matchAdvisories } from "../context/advisories.js";
import { answerAnalysisQuestions, type Analysis } from "./analysis.js";
import { inRanges, type AllowListEntry, type EscalationContext } from "../context/context.js";
import { formatDuration } from "../context/durations.js";
import type { EscalationFacts } from "./facts.js";
import { checkReputation } from "../context/intel.js";
import type { Asset } from "../context/inventory.js";
import { recommendNextAction, type NextAction } from "./next-action.js";
import { matchPatterns } from "../context/patterns.js";
import { targetedServices } from "../context/services.js";
import { describeEvidence, findPostScanActivity, type PostScanKind } from "./post-scan.js";
import { reviewAssets } from "./asset-review.js";

export interface Escalation {
  readonly tier: Tier;
  readonly reasons: readonly Reason[];
  readonly analysis: Analysis;
  readonly enrichment: Enrichment;
  readonly nextAction: NextAction;
}

/**
 * The playbook's "Decision for Escalation". An authorised scanner inside its engagement window is
 * suppressed. Otherwise every Tier 2 condition that holds is a reason — an external source never
 * seen before, a critical target, persistence, a range of services, several methods, rate-limit
 * evasion, a known-vulnerable or recently disclosed service, exploit attempts after the scan, a
 * malicious reputation, an authorised scanner outside its window — and no reason means L1 triage.
 */
export function escalate(
  facts: EscalationFacts,
  context: EscalationContext,
  inventory: readonly Asset[],
): Escalation {
  const at = new Date(facts.detection.lastSeen);
  const limits = context.escalation;
  const enrichment = enrich(facts, context, inventory, at);
  const reasons: Reason[] = [];
  const add = (code: ReasonCode, message: string): void => {
    reasons.push({ code, message });
  };
  const source = facts.source;
  const allowed = enrichment.allowList;
  if (allowed?.inWindow) {
    const reasons: Reason[] = [
      {
        code: "authorised-scanner",
        message: `${source} is ${allowed.owner}'s authorised scanner (${allowed.purpose})${describeWindow(allowed)}`,
      },
    ];
    return finish("suppressed", reasons);
  }
  const infrastructure = enrichment.infrastructure;
  if (infrastructure?.outside.length === 0) {
    const attacks = attackReasons(enrichment, source);
    if (attacks.length > 0) return finish("tier2", attacks);
    return finish(infrastructure.tier, [
      {
        code: "declared-infrastructure",
        message: `${source} is ${infrastructure.owner}'s ${infrastructure.role} host "${infrastructure.name}", inside its declaration: ${describeDeclaration(infrastructure)}`,
      },
    ]);
  }
  if (infrastructure)
    add(
      "infrastructure-outside-declaration",
      `${source} is ${infrastructure.owner}'s ${infrastructure.role} host "${infrastructure.name}" but stepped outside its declaration (${describeDeclaration(infrastructure)}): ${infrastructure.outside.join("; ")}`,
    );
  if (allowed)
    add(
      "authorised-scanner-outside-window",
      `${source} is ${allowed.owner}'s authorised scanner (${allowed.purpose}) but scanned on ${at.toISOString().slice(0, 10)}, outside its engagement window${describeWindow(allowed)}`,
    );
  if (facts.source !== "" && !enrichment.internal && facts.priorEvents === 0)
    add(
      "external-never-seen",
      `${source} is outside the internal networks and has no events in the ${formatDuration(context.history_window)} before this activity began (${facts.activityStart})`,
    );
  for (const asset of inventory.filter(
    (a) => a.criticality === "critical" && facts.targets.includes(a.address),
  ))
    add("critical-target", `targets ${asset.name} (${asset.address}), a critical system: ${asset.why}`);
  const { activity } = facts;
  const days = facts.history.alertDays;
  const spanMs = span(activity.firstSeen, activity.lastSeen);
  if (days.length >= limits.persistence.min_active_days)
    add(
      "persistent-activity",
      `${source} raised alerts on ${days.length} days in the last ${formatDuration(context.history_window)} (the last alert of each earlier 24-hour period, counted back from this activity's start: ${days.slice(0, -1).join(", ")}; and this activity, from ${days.at(-1) ?? "?"})`,
    );
  else if (spanMs >= limits.persistence.min_duration)
    add(
      "persistent-activity",
      `${source} kept probing for ${formatDuration(spanMs)} (${activity.firstSeen ?? "?"} to ${activity.lastSeen ?? "?"}), at least ${formatDuration(limits.persistence.min_duration)}`,
    );
  if (activity.distinctPorts >= limits.range_of_services.min_ports)
    add(
      "range-of-services",
      `${source} probed ${activity.distinctPorts} distinct ports on ${activity.targets.length} host${activity.targets.length === 1 ? "" : "s"} (${limits.range_of_services.min_ports} or more is a range of services)`,
    );
  const several = severalMethods(facts, limits.several_methods);
  if (several.length > 0)
    add("several-methods", `${source} used several scanning methods: ${several.join("; ")}`);
  if (activity.slowestRun.probes >= limits.slow_scan.min_probes)
    add(
      "evasion-slow-scan",
      `${activity.slowestRun.probes} probes in a row from ${source}, each at least ${formatDuration(activity.slowestRun.minGapMs ?? limits.slow_scan.min_interval)} after the previous: slower than rate-based detectors look (interval threshold ${formatDuration(limits.slow_scan.min_interval)})`,
    );
  const fragments = facts.ids.filter((s) => s.evasion.includes("fragmentation"));
  if (fragments.length > 0)
    add(
      "evasion-fragmentation",
      `the IDS saw tiny IP fragments from ${source} (${fragments.map((s) => `${s.id} "${s.name}"`).join(", ")}): fragmented probes slip past filters that do not reassemble`,
    );
  const fixedPorts = activity.trustedSourcePorts.filter(
    (p) => p.destinationPorts >= limits.trusted_source_ports.min_ports,
  );
  const portSignatures = facts.ids.filter((s) => s.evasion.includes("source-port"));
  if (fixedPorts.length > 0 || portSignatures.length > 0)
    add(
      "evasion-source-port",
      `${source} probed from a trusted source port: ${[
        ...fixedPorts.map(
          (p) => `source port ${p.port} to ${p.destinationPorts} destination ports (firewall)`,
        ),
        ...portSignatures.map((s) => `IDS ${s.id} "${s.name}"`),
      ].join("; ")}`,
    );
  const decoys = facts.decoys.filter((d) => d.sharedPorts >= limits.decoys.min_shared_ports);
  if (decoys.length > 0)
    add(
      "evasion-decoys",
      `${decoys.map((d) => `${d.source} (${d.sharedPorts} ports)`).join(", ")} probed the same ports of the same targets at the same time as ${source}: decoy scanning hides the real source among them`,
    );
  const vulnerable = enrichment.targetedServices.filter((s) => s.cves.length > 0);
  for (const s of vulnerable)
    add(
      "known-vulnerable-service",
      `targets ${s.asset} ${s.port}/${s.protocol}${s.product ? ` (${[s.product, s.version].filter(Boolean).join(" ")})` : ""}, which has known vulnerabilities: ${s.cves.join(", ")}`,
    );
  reasons.push(...attackReasons(enrichment, source));
  reasons.push(...postScanReasons(enrichment, context));
  return finish(reasons.length > 0 ? "tier2" : "l1", reasons);

  function finish(tier: Tier, given: readonly Reason[]): Escalation {
    return {
      tier,
      reasons: given,
      analysis: answerAnalysisQuestions(facts, enrichment, context),
      enrichment,
      nextAction: recommendNextAction(tier, source, enrichment),
    };
  }
}

function enrich(
  facts: EscalationFacts,
  context: EscalationContext,
  inventory: readonly Asset[],
  at: Date,
): Enrichment {
  const limits = context.escalation;
  const allowList = allowListEntry(context, facts.source, at);
  const exploitEnd = at.getTime() + limits.exploit_window;
  const scanStart = Date.parse(facts.detection.firstSeen);
  const { ports, services, minutes, probedPorts, slowestRun, trustedSourcePorts, ...activity } =
    facts.activity;
  const postScan = findPostScanActivity(facts.postScan, {
    source: facts.source,
    internalNetworks: context.internal_networks,
    minTransferBytes: limits.post_scan.transfer.min_bytes,
    ephemeralPorts: limits.post_scan.ephemeral_ports,
  });
  return {
    targets: facts.targets,
    activity,
    idsSignatures: facts.ids,
    internal: inRanges(facts.source, context.internal_networks),
    ...(allowList ? { allowList } : {}),
    ...optionalInfrastructure(infrastructureOf(facts, context)),
    reputation: checkReputation(facts.source, context.intel, limits.reputation, at),
    history: { ...facts.history, priorEvents: facts.priorEvents },
    targetedServices: targetedServices(inventory, facts.activity.probedPorts),
    advisories: matchAdvisories(
      facts.activity.probedPorts,
      inventory,
      context.advisories,
      limits.advisory_recency,
      at,
    ),
    postScan,
    assetReview: reviewAssets(facts.postScan.scanned, facts.postScan.answered, inventory, postScan),
    exploitAttempts: facts.ids.filter((s) => {
      const first = Date.parse(s.firstSeen);
      return limits.exploit_categories.includes(s.category) && first >= scanStart && first <= exploitEnd;
    }),
    patterns: matchPatterns(
      {
        transports: facts.activity.transports,
        distinctPorts: facts.activity.distinctPorts,
        ...(facts.activity.ports ? { ports: facts.activity.ports } : {}),
        targets: facts.activity.targets.length,
        probes: facts.activity.probes,
        durationMs: span(facts.activity.firstSeen, facts.activity.lastSeen),
      },
      context.patterns,
    ),
    methods: methodsOf(facts),
  };
}

/** Reasons no declaration excuses: exploit attempts after the scan, and a malicious reputation. */
function attackReasons(enrichment: Enrichment, source: string): Reason[] {
  const found: Reason[] = [];
  if (enrichment.exploitAttempts.length > 0)
    found.push({
      code: "exploit-attempt",
      message: `${source} followed the scan with exploit attempts the IDS flagged: ${enrichment.exploitAttempts.map((s) => `${s.id} "${s.name}" (${s.category}) at ${s.firstSeen}`).join("; ")}`,
    });
  if (enrichment.reputation.verdict === "malicious")
    found.push({ code: "malicious-reputation", message: enrichment.reputation.message });
  return found;
}

const POST_SCAN_REASONS: Readonly<Record<PostScanKind, { code: ReasonCode; what: string }>> = {
  login: { code: "post-scan-login", what: "tried to log in to a host it scanned" },
  outbound: { code: "post-scan-outbound", what: "a host it scanned then opened connections out" },
  exfiltration: {
    code: "post-scan-exfiltration",
    what: "a host it scanned then sent it more data than it ever sent in one connection",
  },
  "follow-up": {
    code: "post-scan-follow-up",
    what: "it came back for paths or services the scan found",
  },
};

/**
 * One reason per kind of post-scan activity found, within the scan's first event and its last plus
 * `post_scan.window`, each finding with its evidence (index, document ids, time).
 */
function postScanReasons(enrichment: Enrichment, context: EscalationContext): Reason[] {
  const window = formatDuration(context.escalation.post_scan.window);
  return Object.entries(POST_SCAN_REASONS).flatMap(([kind, { code, what }]) => {
    const found = enrichment.postScan.filter((f) => f.kind === kind);
    if (found.length === 0) return [];
    return [
      {
        code,
        message: `after the scan (within ${window} of its last event) ${what}: ${found
          .map((f) => `${f.summary} [evidence: ${describeEvidence(f.evidence)}]`)
          .join("; ")}`,
      },
    ];
  });
}

function describeDeclaration(d: DeclaredInfrastructure): string {
  const schedule = d.schedule
    ? `, ${[d.schedule.days?.join("/"), d.schedule.hours ? `${d.schedule.hours} UTC` : undefined].filter(Boolean).join(" ")}`
    : "";
  return `targets ${d.targets.join(", ")}, services ${d.services.join(", ")}${schedule}`;
}

function infrastructureOf(
  facts: EscalationFacts,
  context: EscalationContext,
): DeclaredInfrastructure | undefined {
  if (facts.source === "") return undefined;
  const observed = {
    targets: [...new Set([...facts.activity.targets, ...facts.targets])],
    services: facts.activity.services,
    minutes: facts.activity.minutes,
  };
  const judged = declaredInfrastructure(context.infrastructure, facts.source).map((entry) => ({
    entry,
    outside: outsideDeclaration(entry, observed),
  }));
  const { entry, outside } = judged.find((j) => j.outside.length === 0) ?? judged[0] ?? {};
  if (!entry || !outside) return undefined;
  return {
    name: entry.name,
    role: entry.role,
    owner: entry.owner,
    source: entry.source,
    targets: entry.targets,
    services: entry.services.map((s) =>
      s.ports === undefined ? s.protocol : `${formatPorts(s.ports)}/${s.protocol}`,
    ),
    ...(entry.schedule ? { schedule: entry.schedule } : {}),
    tier: entry.tier,
    outside,
  };
}

/**
 * The allow-list entry covering a source at a moment: one whose engagement window (inclusive days)
 * holds that day if any does, else the first that lists the source, marked as outside its window.
 */
export function allowListEntry(
  context: Pick<EscalationContext, "allow_list">,
  source: string,
  at: Date,
): (AllowListEntry & { readonly inWindow: boolean }) | undefined {
  const day = at.toISOString().slice(0, 10);
  const listed = context.allow_list.filter((a) => inRanges(source, [a.source]));
  const inWindow = (a: AllowListEntry) =>
    (a.valid_from === undefined || a.valid_from <= day) &&
    (a.valid_until === undefined || day <= a.valid_until);
  const entry = listed.find(inWindow) ?? listed[0];
  return entry ? { ...entry, inWindow: inWindow(entry) } : undefined;
}

/** Each method the source used, as an analyst would name it. */
function methodsOf(facts: EscalationFacts): string[] {
  return [
    ...facts.activity.transports.map((x) => `${x} probes`),
    ...facts.activity.tcpFlags.map((f) => `TCP ${TCP_SHAPES[f] ?? `flags "${f}"`}`),
    ...toolsOf(facts).map((x) => `${x} (IDS signature)`),
    ...facts.rules.map((r) => `rule "${r.name}"`),
  ];
}

/** Flag sets as the firewall writes them (S A F R P U E C, in that order) and the scan each one is. */
const TCP_SHAPES: Record<string, string> = {
  S: "SYN (half-open or connect scan)",
  A: "ACK scan or ACK ping",
  F: "FIN scan",
  FPU: "Xmas scan",
  "": "NULL scan",
  AF: "Maimon scan (FIN/ACK)",
};

function toolsOf(facts: EscalationFacts): string[] {
  return [...new Set(facts.ids.flatMap((s) => s.tools))].sort();
}

function severalMethods(
  facts: EscalationFacts,
  limits: EscalationContext["escalation"]["several_methods"],
): string[] {
  const tools = toolsOf(facts);
  const found: string[] = [];
  const techniques = rulesByScanningMethod(facts);
  if (techniques.size >= limits.min_subtechniques)
    found.push(
      `${techniques.size} T1595 sub-techniques (${[...techniques]
        .map(([id, names]) => `${id}: ${names.map((n) => `"${n}"`).join(", ")}`)
        .join("; ")})`,
    );
  if (tools.length >= limits.min_tools)
    found.push(`IDS signatures of ${tools.length} tools (${tools.join(", ")})`);
  if (facts.activity.transports.length >= limits.min_transports)
    found.push(`${facts.activity.transports.length} transports (${facts.activity.transports.join(", ")})`);
  return found;
}

/**
 * The rules that fired for the source under each T1595 sub-technique they map to (scanning IP
 * blocks, vulnerability scanning, wordlist scanning: the scanning methods ATT&CK names), in id order.
 */
function rulesByScanningMethod(facts: EscalationFacts): Map<string, string[]> {
  const byId = new Map<string, string[]>();
  for (const rule of facts.rules)
    for (const id of rule.techniques.filter((x) => x.startsWith("T1595.")))
      byId.set(id, [...(byId.get(id) ?? []), rule.name]);
  return new Map([...byId].sort(([a], [b]) => a.localeCompare(b)));
}

function describeWindow(a: AllowListEntry): string {
  if (a.valid_from === undefined && a.valid_until === undefined) return "";
  return ` from ${a.valid_from ?? "any time"} until ${a.valid_until ?? "further notice"}`;
}

function optionalInfrastructure(d: DeclaredInfrastructure | undefined): {
  infrastructure?: DeclaredInfrastructure;
} {
  return d ? { infrastructure: d } : {};
}

function span(first: string | undefined, last: string | undefined): number {
  return first === undefined || last === undefined ? 0 : Math.max(0, Date.parse(last) - Date.parse(first));
}
