import type { EscalationContext } from "../harness/context/context.js";
import { declaredInfrastructure, outsideDeclaration } from "../harness/context/infrastructure.js";
import { allowListEntry } from "../harness/escalation/escalate.js";
import { planLab } from "../harness/lab/topology.js";
import type { AlertSummary, ScenarioResult, Verdict } from "../harness/result.js";
import type { Scenario } from "../harness/scenario/load.js";
import type { FirstAlerts } from "./lib/alert-watch.js";
import type { DetectorName, DetectorReport } from "../harness/logs/detector-reports.js";
import { firewallLogWindow, scenarioFirewallLog } from "./lib/firewall-log.js";
import { spread } from "./lib/stats.js";

export const CONTENDERS = [
  "scanproof",
  "elastic",
  "psad",
  "psad-allow-list",
  "scanlogd",
  "scanlogd-allow-list",
] as const;
export type Contender = (typeof CONTENDERS)[number];

export const CONTENDER_TITLES: Record<Contender, string> = {
  scanproof: "scanproof rule pack",
  elastic: "Elastic's published rules",
  psad: "psad, shipped",
  "psad-allow-list": "psad + context",
  scanlogd: "scanlogd, shipped",
  "scanlogd-allow-list": "scanlogd + context",
};

/** The scenario library (scenarios/*.yaml), or the seeded challenge corpus (bench/lib/challenge-corpus.ts). */
export type RowSet = "library" | "corpus";
export const ROW_SETS: readonly RowSet[] = ["library", "corpus"];

/** How every cell and summary below is decided; printed with every table the bench writes. */
export const MATRIX_DEFINITIONS: readonly string[] = [
  "Rows: every scenario of the library (scenarios/*.yaml), and the challenge corpus: scenarios drawn by bench/lib/challenge-corpus.ts from the printed seed (SCANPROOF_CORPUS_SEED) over scanners, scan types, timing, port sets, targets, sources and benign traffic mixed in. Each set has its own summary.",
  "Same traffic: each scenario runs once, with NetFlow, psad and scanlogd observing beside its own sensors, and scanproof's rule pack as the run's only rules, so no other contender's alert can change its verdict.",
  "Verdict: decided on the scenario as written. Rules of scanproof's pack that read only the observers' sources (its NetFlow rules, where the scenario declares no NetFlow sensor) do not run for it, so the observers cannot add alerts the scenario does not expect; the observers' events are still shipped and accounted, for Elastic's rules and the detectors.",
  "Elastic: the published rules of detection-rules' rules/network, loaded unmodified from the shared copy (ES|QL and EQL rules are reported skipped), run by scanproof's engine after the run over the same run's indexed events of the scenario, as of the moment scanproof's pack ran (the same look-back windows). Their flows are the network_traffic.flow connection documents, the opener as source. Their alerts go through the same escalation as scanproof's, in the scenario's context.",
  "Attacking hosts: the addresses the sensors see for each host a step is sent from whose role is attacker or scanner (clients and monitors only browse), and for each host the scenario expects a non-suppressed alert from.",
  "Counted: a non-suppressed alert, or a detector report, whose source is an attacking host. One naming any other address (a victim, a decoy, a browsing client) is listed as naming another host and never counts.",
  "scanproof, library: ✔ only when the scenario's verdict (its own column) is pass; otherwise ✖ with the verdict, whatever fired.",
  "scanproof, corpus: scored like the other contenders, not by verdict. The scenario schema cannot say 'some non-suppressed alert names this source', so a drawn attack's file names only the rule of its class, to load; its verdict is recorded, not scored.",
  "Attacks: every row that is not benign — scans a SOC must see, benign activity it triages at L1 included (its expected alerts name the host): ✔ when anything counted; ✖ missed when nothing fired, ✖ named another host when only other addresses were named.",
  "Benign (silent: true, or every expected alert suppressed: an authorised scanner, declared infrastructure inside its declaration): ✔ silent when nothing non-suppressed fired and no report remained; any, naming whomever, is a false positive.",
  "psad and scanlogd, two columns each: as shipped, and with the scenario's escalation context: a report is dropped whose source is an authorised scanner on a day inside its engagement window, or declared infrastructure reported against a host its declaration names at a moment its schedule holds (a report names no ports, so every port counts as declared), as escalation suppresses scanproof's and Elastic's alerts. Escalation suppresses nothing for being internal, so neither does this.",
  "Time to detect: from the firewall's first logged packet of the scenario (else the tools' start) to the first counted finding: its alert first searchable (alerts index polled 4 times a second) or the detector's report logged; shown as a ratio to scanproof's. Elastic's rules run after the run and are not timed.",
  "Rows whose verdict is error or skip count for no contender. This is the scoring of the code that ran: a change to it is committed as a rerun, never as a reclassification of committed figures.",
];

/** An alert as the matrix scores it. */
export type RuleAlert = Pick<AlertSummary, "ruleId" | "ruleName" | "source" | "destination" | "tier">;

export interface Detection {
  /** The cell is ✔: an attack detected, or benign traffic left alone. */
  readonly ok: boolean;
  /** From the scan's first packet until the first counted finding. */
  readonly detectMs?: number;
  /** detectMs divided by scanproof's, when both are known. */
  readonly ratioToScanproof?: number;
  /** What counted: each rule and the host it named, or the detector's first lines. */
  readonly evidence: readonly string[];
  /** What named another address than an attacking host: never counted. */
  readonly wrongHost: readonly string[];
}

export interface MatrixRow {
  readonly scenario: string;
  readonly title: string;
  readonly set: RowSet;
  readonly technique: string;
  readonly benign: boolean;
  readonly verdict: Verdict;
  readonly reason?: string;
  readonly attackers: readonly string[];
  readonly detections: Readonly<Record<Contender, Detection>>;
}

export interface ContenderSummary {
  readonly set: RowSet;
  readonly contender: Contender;
  readonly attacksDetected: number;
  readonly attacks: number;
  readonly benignQuiet: number;
  readonly benign: number;
  /** Attack rows where it named another host than an attacking one. */
  readonly namedAnotherHost: number;
  /** Median of the per-scenario time ratios to scanproof, over attacks both detected. */
  readonly medianRatio?: number;
}

/**
 * A scenario counts as benign when nothing in it is to be reported: it demands silence, or every
 * alert it expects is suppressed (an authorised scanner, declared infrastructure). Benign activity a
 * SOC triages at L1 is to be reported, so it is scored like an attack, by whom the findings name.
 */
export function isBenign(scenario: Scenario): boolean {
  const alerts = scenario.expect.alerts;
  return scenario.expect.silent || (alerts.length > 0 && alerts.every((a) => a.tier === "suppressed"));
}

const ATTACKING_ROLES: ReadonlySet<string> = new Set(["attacker", "scanner"]);

/**
 * The addresses sensors see for every host a step is sent from whose role is attacker or scanner,
 * and for every host the scenario expects a non-suppressed alert from (an L1 triage case's source).
 */
export function attackingHosts(scenario: Pick<Scenario, "lab" | "steps" | "expect">): string[] {
  const senders = new Set(scenario.steps.flatMap((s) => ("from" in s ? [s.from] : [])));
  const reported = new Set(scenario.expect.alerts.filter((a) => a.tier !== "suppressed").map((a) => a.from));
  const hosts = planLab(scenario).hosts.filter(
    (h) => (senders.has(h.name) && ATTACKING_ROLES.has(h.role)) || reported.has(h.name),
  );
  return [...new Set(hosts.map((h) => h.seenAs))];
}

/** Only scenarios that ran to a verdict on detection say anything about it. */
export function isScored(row: Pick<MatrixRow, "verdict">): boolean {
  return row.verdict === "pass" || row.verdict === "fail";
}

/**
 * Reports that remain once the scenario's context has said which sources may scan: an authorised
 * scanner inside its engagement window, or declared infrastructure reported against a host it
 * declares at a moment its schedule holds. A report names no ports, so a declaration is taken to
 * cover them all: the detectors get the benefit of the doubt.
 */
export function withoutKnownSources(
  reports: readonly DetectorReport[],
  context: Pick<EscalationContext, "allow_list" | "infrastructure">,
): DetectorReport[] {
  const declared = (r: DetectorReport) =>
    declaredInfrastructure(context.infrastructure, r.source).some(
      (entry) =>
        outsideDeclaration(entry, {
          targets: [r.destination],
          services: [],
          minutes: [new Date(Math.floor(Date.parse(r.at) / 60_000) * 60_000).toISOString()],
        }).length === 0,
    );
  return reports.filter(
    (r) => allowListEntry(context, r.source, new Date(r.at))?.inWindow !== true && !declared(r),
  );
}

export interface RowInputs {
  readonly set: RowSet;
  readonly scenario: Scenario;
  readonly variantId: string;
  readonly result: ScenarioResult | undefined;
  readonly resultsDir: string;
  readonly firstAlerts: FirstAlerts;
  /** Elastic's rules run over the scenario's events after the run. */
  readonly elastic: readonly RuleAlert[];
  readonly reports: Readonly<Record<DetectorName, readonly DetectorReport[]>>;
  /** The scenario's escalation context: its own, or the run's. */
  readonly context: Pick<EscalationContext, "allow_list" | "infrastructure">;
}

/** One thing a contender reported: whom it named and, where known, when it became visible. */
interface Finding {
  readonly source?: string;
  readonly atMs?: number;
  readonly label: string;
}

const EVIDENCE_LINES = 5;

/**
 * When the scan started: the firewall's first logged packet (microseconds), or else the tools' own
 * start times (nmap reports whole seconds).
 */
function scanStartedMs(result: ScenarioResult | undefined, resultsDir: string): number | undefined {
  if (!result) return undefined;
  const logged = firewallLogWindow(scenarioFirewallLog(resultsDir, result.id));
  if (logged) return logged.firstMs;
  const starts = result.groundTruth.map((t) => Date.parse(t.startedAt));
  return starts.length > 0 ? Math.min(...starts) : undefined;
}

function alertFindings(alerts: readonly RuleAlert[], firstSeen?: ReadonlyMap<string, number>): Finding[] {
  return alerts
    .filter((a) => a.tier !== "suppressed")
    .map((a) => {
      const atMs = firstSeen?.get(a.ruleId);
      return {
        ...(a.source === undefined ? {} : { source: a.source }),
        ...(atMs === undefined ? {} : { atMs }),
        label: `${a.ruleName} → ${a.source ?? "no source"}`,
      };
    });
}

function reportFindings(reports: readonly DetectorReport[]): Finding[] {
  return reports.map((r) => ({
    source: r.source,
    atMs: Date.parse(r.at),
    label: r.line.replace(/^\S+ /, ""),
  }));
}

const lines = (findings: readonly Finding[]) =>
  [...new Set(findings.map((f) => f.label))].slice(0, EVIDENCE_LINES);

/**
 * Scores one contender's findings on one row: on an attack only findings naming an attacking host
 * count; on benign traffic every finding is a false positive.
 */
function scoreFindings(
  findings: readonly Finding[],
  attackers: ReadonlySet<string>,
  benign: boolean,
  startMs: number | undefined,
): Omit<Detection, "ratioToScanproof"> {
  const named = (f: Finding) => f.source !== undefined && attackers.has(f.source);
  const counted = benign ? findings : findings.filter(named);
  const wrongHost = benign ? [] : findings.filter((f) => !named(f));
  const times = counted.flatMap((f) => (f.atMs === undefined ? [] : [f.atMs]));
  const detectMs =
    benign || times.length === 0 || startMs === undefined
      ? undefined
      : // A detector on the packet path may log within a millisecond of the firewall's own first
        // record, and the two clocks' records can come out a fraction of a millisecond apart.
        Math.max(0, Math.min(...times) - startMs);
  return {
    ok: benign ? counted.length === 0 : counted.length > 0,
    ...(detectMs === undefined ? {} : { detectMs }),
    evidence: lines(counted),
    wrongHost: lines(wrongHost),
  };
}

export function matrixRow(inputs: RowInputs): MatrixRow {
  const { scenario, result } = inputs;
  const benign = isBenign(scenario);
  const attackers = attackingHosts(scenario);
  const verdict = result?.verdict ?? "error";
  const start = scanStartedMs(result, inputs.resultsDir);
  const score = (findings: readonly Finding[]) => scoreFindings(findings, new Set(attackers), benign, start);
  const pack = score(alertFindings(result?.alerts ?? [], inputs.firstAlerts.get(inputs.variantId)));
  const scanproof =
    inputs.set === "corpus"
      ? pack
      : verdict === "pass"
        ? { ...pack, ok: true }
        : { ok: false, evidence: pack.evidence, wrongHost: pack.wrongHost };
  const allowed = (detector: DetectorName) => withoutKnownSources(inputs.reports[detector], inputs.context);
  const raw: Record<Contender, Omit<Detection, "ratioToScanproof">> = {
    scanproof,
    elastic: score(alertFindings(inputs.elastic)),
    psad: score(reportFindings(inputs.reports.psad)),
    "psad-allow-list": score(reportFindings(allowed("psad"))),
    scanlogd: score(reportFindings(inputs.reports.scanlogd)),
    "scanlogd-allow-list": score(reportFindings(allowed("scanlogd"))),
  };
  return {
    scenario: scenario.id,
    title: scenario.title,
    set: inputs.set,
    technique: scenario.technique,
    benign,
    verdict,
    ...(result?.reason === undefined ? {} : { reason: result.reason }),
    attackers,
    detections: withRatios(raw),
  };
}

function withRatios(
  raw: Record<Contender, Omit<Detection, "ratioToScanproof">>,
): Record<Contender, Detection> {
  const reference = raw.scanproof.detectMs;
  return Object.fromEntries(
    CONTENDERS.map((c) => {
      const d = raw[c];
      const ratio =
        d.detectMs !== undefined && reference !== undefined && reference > 0
          ? { ratioToScanproof: d.detectMs / reference }
          : {};
      return [c, { ...d, ...ratio }];
    }),
  ) as Record<Contender, Detection>;
}

/** Per set and contender, over the rows that were scored. */
export function summarise(rows: readonly MatrixRow[]): ContenderSummary[] {
  return ROW_SETS.flatMap((set) => {
    if (rows.every((r) => r.set !== set)) return [];
    const scored = rows.filter((r) => r.set === set && isScored(r));
    const attacks = scored.filter((r) => !r.benign);
    const benign = scored.filter((r) => r.benign);
    return CONTENDERS.map((contender) => {
      const ratio = spread(
        attacks.flatMap((r) => {
          const value = r.detections[contender].ratioToScanproof;
          return value === undefined ? [] : [value];
        }),
      );
      return {
        set,
        contender,
        attacksDetected: attacks.filter((r) => r.detections[contender].ok).length,
        attacks: attacks.length,
        benignQuiet: benign.filter((r) => r.detections[contender].ok).length,
        benign: benign.length,
        namedAnotherHost: attacks.filter((r) => r.detections[contender].wrongHost.length > 0).length,
        ...(ratio ? { medianRatio: ratio.median } : {}),
      };
    });
  });
}
