import { z } from "zod";
import type { KeptLab } from "./lab/lab-records.js";
import type { Analysis } from "./escalation/analysis.js";
import type { ContainmentRecord } from "./escalation/containment.js";
import { REASON_CODES, type Enrichment, type Reason } from "./escalation/enrichment.js";
import { POST_SCAN_KINDS } from "./escalation/post-scan.js";
import { INTEL_CATEGORIES, REPUTATION_VERDICTS } from "./context/intel.js";
import type { NextAction } from "./escalation/next-action.js";
import { CONFIDENCES } from "./context/patterns.js";
import type { SkippedRule } from "./detection/rules/rule.js";
import type { LogSourceReport } from "./logs/accounting.js";
import type { GroundTruth } from "./scanners/ground-truth.js";
import { LOG_SOURCES, TIERS, type Tier } from "./core/vocabulary.js";

/** pass: every expectation held; fail: a detection or log expectation did not; error: the lab or a tool broke. */
export type Verdict = "pass" | "fail" | "error";

export interface ExpectationResult {
  readonly id: string;
  readonly description: string;
  readonly passed: boolean;
  readonly expected: string;
  readonly observed: string;
}

export interface AlertSummary {
  readonly id: string;
  readonly ruleId: string;
  readonly ruleName: string;
  readonly severity: string;
  readonly riskScore: number;
  readonly techniques: readonly string[];
  readonly source?: string;
  readonly destination?: string;
  readonly events: number;
  readonly distinct: readonly { readonly field: string; readonly values: number }[];
  readonly tier: Tier;
  readonly reasons: readonly Reason[];
  /** The alert's first and last event, and every host it names. */
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  readonly targets?: readonly string[];
  /** The playbook's analysis questions answered, the enrichment and the next step (results since escalation details). */
  readonly analysis?: Analysis;
  readonly enrichment?: Enrichment;
  readonly nextAction?: NextAction;
  /** From the end of the steps it follows until this alert was searchable. */
  readonly timeToAlertMs?: number;
}

/** One history entry as a run produced it: its steps ran once in a lab, its events were moved into the past. */
export interface HistoryRecord {
  /** Its place in the scenario's `history`. */
  readonly entry: number;
  readonly steps: number;
  /** Past runs it was indexed as, and when the first and last began. */
  readonly runs: number;
  readonly first: string;
  readonly last: string;
  /** Events its steps caused in the lab (every log source), and those indexed in the past. */
  readonly recordedEvents: number;
  readonly indexedEvents: number;
  /** When the rules ran over its past runs (one moment per 24-hour period), and the alerts they raised. */
  readonly ruleRuns: number;
  readonly alerts: number;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly file: string;
  readonly technique: string;
  readonly tags: readonly string[];
  readonly verdict: Verdict;
  /** Why the verdict is error. */
  readonly reason?: string;
  readonly durationMs: number;
  readonly timings: Readonly<Record<string, number>>;
  readonly groundTruth: readonly GroundTruth[];
  /** The history the scenario declared, as produced before its steps. */
  readonly history?: readonly HistoryRecord[];
  readonly logs: readonly LogSourceReport[];
  readonly alerts: readonly AlertSummary[];
  /** From the end of the last step until the scenario's alerts were searchable. */
  readonly timeToAlertMs?: number;
  /** What each contain step decided and did, verified against the events that followed. */
  readonly containment?: readonly ContainmentRecord[];
  readonly expectations: readonly ExpectationResult[];
  /** The lab left running because the scenario did not pass and --keep-lab was given. */
  readonly keptLab?: KeptLab;
}

export interface RunResult {
  readonly runId: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly backend: string;
  readonly rules: { readonly loaded: readonly string[]; readonly skipped: readonly SkippedRule[] };
  readonly scenarios: readonly ScenarioResult[];
  readonly resultsDir: string;
}

export function overallVerdict(results: readonly ScenarioResult[]): Verdict {
  if (results.some((r) => r.verdict === "error")) return "error";
  if (results.some((r) => r.verdict === "fail")) return "fail";
  return "pass";
}

/*
 * The schema of a results file, for `scanproof report` and `report --merge`, which read files other
 * machines wrote: every field is checked, none is cast. Each schema mirrors one interface above or
 * of the module that defines it, and ResultSchemasMatchTypes below fails to compile when the two
 * differ (a field added, removed, renamed, made optional or given another type on either side).
 */

const text = z.string();
const count = z.number().int().min(0);
const milliseconds = z.number();
const portNumber = z.number().int().min(0).max(65_535);
const strings = z.array(text);
const tier = z.enum(TIERS);

/** A map read from JSON; zod would drop a "__proto__" key silently, so it is refused here. */
function noProtoKey(input: unknown, ctx: z.RefinementCtx): unknown {
  if (typeof input === "object" && input !== null && Object.hasOwn(input, "__proto__"))
    ctx.addIssue({ code: "custom", path: ["__proto__"], message: 'a key other than "__proto__"' });
  return input;
}

const ExpectationResultSchema = z.strictObject({
  id: text,
  description: text,
  passed: z.boolean(),
  expected: text,
  observed: text,
});

const ReasonSchema = z.strictObject({ code: z.enum(REASON_CODES), message: text });

const AnswerShape = { question: text, answer: text };

const SimilarAlertSchema = z.strictObject({
  id: text,
  ruleName: text,
  source: text.exactOptional(),
  at: text,
  tier: text.exactOptional(),
});

const AnalysisSchema = z.strictObject({
  internalOrKnown: z.strictObject({
    ...AnswerShape,
    internal: z.boolean(),
    allowListed: z.boolean(),
    reputation: text,
    seenBefore: z.boolean(),
  }),
  portsAndServices: z.strictObject({
    ...AnswerShape,
    distinctPorts: count,
    topPorts: z.array(portNumber),
    declaredServices: strings,
  }),
  volume: z.strictObject({
    ...AnswerShape,
    events: count,
    baselinePerWindow: z.number().exactOptional(),
    ratio: z.number().exactOptional(),
  }),
  similarRecently: z.strictObject({ ...AnswerShape, alerts: z.array(SimilarAlertSchema) }),
});

const IdsSignatureSchema = z.strictObject({
  id: text,
  name: text,
  category: text,
  tools: strings,
  evasion: strings,
  containment: z.boolean(),
  count,
  firstSeen: text,
  lastSeen: text,
});

const IntelEntrySchema = z.strictObject({
  source: text,
  category: z.enum(INTEL_CATEGORIES),
  confidence: z.number().int().min(0).max(100),
  last_seen: text,
  description: text.exactOptional(),
  reference: text.exactOptional(),
});

const EnrichmentSchema = z.strictObject({
  targets: strings,
  activity: z.strictObject({
    probes: count,
    firstSeen: text.exactOptional(),
    lastSeen: text.exactOptional(),
    targets: strings,
    distinctPorts: count,
    topPorts: z.array(z.strictObject({ port: portNumber, probes: count })),
    transports: strings,
    tcpFlags: strings,
  }),
  idsSignatures: z.array(IdsSignatureSchema),
  internal: z.boolean(),
  allowList: z
    .strictObject({
      source: text,
      owner: text,
      purpose: text,
      valid_from: text.exactOptional(),
      valid_until: text.exactOptional(),
      inWindow: z.boolean(),
    })
    .exactOptional(),
  infrastructure: z
    .strictObject({
      name: text,
      role: text,
      owner: text,
      source: text,
      targets: strings,
      services: strings,
      schedule: z
        .strictObject({ days: strings.exactOptional(), hours: text.exactOptional() })
        .exactOptional(),
      tier: z.enum(["suppressed", "l1"]),
      outside: strings,
    })
    .exactOptional(),
  reputation: z.strictObject({
    verdict: z.enum(REPUTATION_VERDICTS),
    entry: IntelEntrySchema.exactOptional(),
    message: text,
  }),
  history: z.strictObject({
    events: count,
    firstSeen: text.exactOptional(),
    lastSeen: text.exactOptional(),
    activeDays: strings,
    alertDays: strings,
    targets: strings,
    ports: z.array(portNumber),
    methods: strings,
    priorEvents: count,
  }),
  targetedServices: z.array(
    z.strictObject({
      asset: text,
      address: text,
      port: portNumber,
      protocol: z.enum(["tcp", "udp"]),
      product: text.exactOptional(),
      version: text.exactOptional(),
      cves: strings,
      probes: count,
    }),
  ),
  advisories: z.array(
    z.strictObject({
      cve: text,
      title: text,
      published: text,
      asset: text.exactOptional(),
      address: text,
      port: portNumber,
      protocol: text,
      matchedBy: z.enum(["product", "port"]),
    }),
  ),
  exploitAttempts: z.array(IdsSignatureSchema),
  postScan: z.array(
    z.strictObject({
      kind: z.enum(POST_SCAN_KINDS),
      host: text,
      summary: text,
      evidence: z.array(
        z.strictObject({ index: text, ids: strings, events: count, firstSeen: text, lastSeen: text }),
      ),
    }),
  ),
  assetReview: z.array(
    z.strictObject({
      host: text,
      asset: z.strictObject({ name: text, criticality: text }).exactOptional(),
      answered: z
        .array(
          z.strictObject({
            port: portNumber,
            transport: z.enum(["tcp", "udp"]),
            declared: z.boolean(),
            product: text.exactOptional(),
            version: text.exactOptional(),
            cves: strings,
            evidence: z.strictObject({ index: text, id: text }),
            closeRule: text.exactOptional(),
          }),
        )
        .exactOptional(),
      silentDeclared: strings,
      postScan: z.array(z.enum(POST_SCAN_KINDS)),
    }),
  ),
  patterns: z.array(
    z.strictObject({
      name: text,
      tool: text,
      confidence: z.enum(CONFIDENCES),
      description: text,
      because: strings,
    }),
  ),
  methods: strings,
});

const NextActionSchema = z.strictObject({
  action: z.enum(["none", "triage", "investigate", "block"]),
  message: text,
  firewallRule: text.exactOptional(),
});

const AlertSummarySchema = z.strictObject({
  id: text,
  ruleId: text,
  ruleName: text,
  severity: text,
  riskScore: z.number().min(0).max(100),
  techniques: strings,
  source: text.exactOptional(),
  destination: text.exactOptional(),
  events: count,
  distinct: z.array(z.strictObject({ field: text, values: count })),
  tier,
  reasons: z.array(ReasonSchema),
  firstSeen: text.exactOptional(),
  lastSeen: text.exactOptional(),
  targets: strings.exactOptional(),
  analysis: AnalysisSchema.exactOptional(),
  enrichment: EnrichmentSchema.exactOptional(),
  nextAction: NextActionSchema.exactOptional(),
  timeToAlertMs: milliseconds.exactOptional(),
});

const logSource = z.enum(LOG_SOURCES);

const WireTruthSchema = z.strictObject({
  capture: z.strictObject({
    file: text,
    packets: count,
    dropped: count,
    bytes: count,
    bounded: z.boolean(),
    cut: count,
  }),
  seenAs: text.exactOptional(),
  probes: z.array(
    z.strictObject({
      source: text,
      destination: text,
      protocol: z.number().int().min(0).max(255),
      port: portNumber.exactOptional(),
      sourcePort: portNumber.exactOptional(),
      tcpFlags: text.exactOptional(),
      icmpType: count.exactOptional(),
      icmpCode: count.exactOptional(),
      sctpChunk: count.exactOptional(),
      packets: count,
    }),
  ),
  localFlows: count,
  http: z.array(
    z.strictObject({
      source: text,
      sourcePort: portNumber,
      destination: text,
      port: portNumber,
      method: text,
      uri: text,
      host: text.exactOptional(),
      userAgent: text.exactOptional(),
      loggedBy: logSource.exactOptional(),
    }),
  ),
  dns: z.array(
    z.strictObject({
      source: text,
      destination: text,
      transport: z.enum(["tcp", "udp"]),
      port: portNumber,
      name: text,
      type: text,
      loggedBy: logSource.exactOptional(),
    }),
  ),
  logins: z.array(
    z.strictObject({
      service: z.enum(["ssh", "ftp", "postgresql", "smb"]),
      source: text,
      sourcePort: portNumber,
      destination: text,
      port: portNumber,
      client: text,
      user: text.exactOptional(),
      outcome: z.enum(["success", "failure"]).exactOptional(),
      loggedBy: logSource.exactOptional(),
    }),
  ),
  toolClaims: count,
  claimsOnWire: count,
  unseenClaims: strings,
});

/** Results written before other services' logins were decoded kept SSH sessions as `ssh`. */
function sshSessionsAsLogins(value: unknown): unknown {
  if (typeof value !== "object" || value === null || !("ssh" in value) || "logins" in value) return value;
  const { ssh, ...rest } = value as { readonly ssh: unknown };
  return {
    ...rest,
    logins: Array.isArray(ssh) ? ssh.map((session: object) => ({ service: "ssh", ...session })) : ssh,
  };
}

const GroundTruthSchema = z.strictObject({
  step: count,
  tool: text,
  command: strings,
  source: text,
  startedAt: text,
  endedAt: text,
  probes: z.array(
    z.strictObject({
      destination: text,
      transport: z.enum(["tcp", "udp", "icmp", "sctp", "ip"]),
      ipProtocol: z.number().int().min(0).max(255).exactOptional(),
      port: portNumber.exactOptional(),
      sourcePort: portNumber.exactOptional(),
    }),
  ),
  events: z.array(
    z.strictObject({
      source: logSource,
      fields: z.preprocess(noProtoKey, z.record(text, z.union([text, z.number()]))),
    }),
  ),
  wire: z.preprocess(sshSessionsAsLogins, WireTruthSchema).exactOptional(),
  summary: text,
  artifact: text.exactOptional(),
});

const LogSourceReportSchema = z.strictObject({
  source: logSource,
  index: text,
  sensorRecords: count,
  indexed: count,
  parseFailures: count,
  expectedEvents: count,
  seenEvents: count,
  missing: strings,
  ingestWaitMs: milliseconds,
  /** Results written before sensors' own alerts were counted have none. */
  signatures: z.preprocess(noProtoKey, z.record(text, count)).default({}),
});

const ContainmentRecordSchema = z.strictObject({
  step: count,
  source: text,
  at: text,
  tier: z.enum([...TIERS, "none"]),
  alerts: strings,
  blocked: z.boolean(),
  reason: text,
  commands: strings,
  verification: z
    .strictObject({
      allowedAfter: count,
      deniedAfter: count,
      firstDenied: text.exactOptional(),
      idsFlags: count,
    })
    .exactOptional(),
});

const KeptLabSchema = z.strictObject({ runId: text, attacker: text, elasticsearch: text, logDir: text });

const ScenarioResultSchema = z.strictObject({
  id: text,
  title: text,
  file: text,
  technique: text,
  tags: strings,
  verdict: z.enum(["pass", "fail", "error"]),
  reason: text.exactOptional(),
  durationMs: milliseconds,
  timings: z.preprocess(noProtoKey, z.record(text, milliseconds)),
  groundTruth: z.array(GroundTruthSchema),
  history: z
    .array(
      z.strictObject({
        entry: count,
        steps: count,
        runs: count,
        first: text,
        last: text,
        recordedEvents: count,
        indexedEvents: count,
        ruleRuns: count,
        alerts: count,
      }),
    )
    .exactOptional(),
  logs: z.array(LogSourceReportSchema),
  alerts: z.array(AlertSummarySchema),
  timeToAlertMs: milliseconds.exactOptional(),
  containment: z.array(ContainmentRecordSchema).exactOptional(),
  expectations: z.array(ExpectationResultSchema),
  keptLab: KeptLabSchema.exactOptional(),
});

const SkippedRuleSchema = z.strictObject({
  file: text,
  ruleId: text.exactOptional(),
  name: text.exactOptional(),
  reason: text,
});

const RunResultShape = {
  runId: text,
  startedAt: text,
  endedAt: text,
  backend: text,
  rules: z.strictObject({ loaded: strings, skipped: z.array(SkippedRuleSchema) }),
  scenarios: z.array(ScenarioResultSchema),
  resultsDir: text,
};

export const RunResultSchema = z.strictObject(RunResultShape);

/** A results.json as renderJson writes it: the run, with its schema version and a summary recomputed on reading. */
export const ResultsFileSchema = z.strictObject({
  schemaVersion: z.literal(1, { error: "schemaVersion 1 (a results.json written by scanproof run)" }),
  summary: z.unknown().optional(),
  ...RunResultShape,
});

/** Readonly and optional-undefined differences aside, the same type. */
type Plain<T> = T extends readonly (infer U)[]
  ? Plain<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Plain<Exclude<T[K], undefined>> }
    : T;
/* eslint-disable @typescript-eslint/no-unnecessary-type-parameters -- the type identity idiom: T is only compared */
type Same<A, B> =
  (<T>() => T extends Plain<A> ? 1 : 2) extends <T>() => T extends Plain<B> ? 1 : 2 ? true : false;
/* eslint-enable @typescript-eslint/no-unnecessary-type-parameters */
type Holds<T extends true> = T;

export type ResultSchemasMatchTypes = [
  Holds<Same<z.output<typeof ExpectationResultSchema>, ExpectationResult>>,
  Holds<Same<z.output<typeof ReasonSchema>, Reason>>,
  Holds<Same<z.output<typeof AnalysisSchema>, Analysis>>,
  Holds<Same<z.output<typeof EnrichmentSchema>, Enrichment>>,
  Holds<Same<z.output<typeof NextActionSchema>, NextAction>>,
  Holds<Same<z.output<typeof AlertSummarySchema>, AlertSummary>>,
  Holds<Same<z.output<typeof GroundTruthSchema>, GroundTruth>>,
  Holds<Same<z.output<typeof LogSourceReportSchema>, LogSourceReport>>,
  Holds<Same<z.output<typeof ContainmentRecordSchema>, ContainmentRecord>>,
  Holds<Same<z.output<typeof KeptLabSchema>, KeptLab>>,
  Holds<Same<z.output<typeof SkippedRuleSchema>, SkippedRule>>,
  Holds<Same<z.output<typeof ScenarioResultSchema>, ScenarioResult>>,
  Holds<Same<z.output<typeof RunResultSchema>, RunResult>>,
];

/** Where one scenario of a run is: the live terminal view follows these. */
export type ScenarioPhase = "queued" | "history" | "lab" | "steps" | "ingest" | "detection" | "done";

export interface ScenarioProgress {
  readonly scenarioId: string;
  readonly phase: ScenarioPhase;
  readonly detail: string;
  readonly verdict?: Verdict;
}
