import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { z } from "zod";
import { ScanproofError } from "../../harness/core/errors.js";
import { scenarioScopeProblems } from "../../harness/scenario/scope.js";
import { loadScenario, type Scenario } from "../../harness/scenario/load.js";
import { type ScenarioSchema, type Step } from "../../harness/scenario/schema.js";
import { seededRandom, type SeededRandom } from "./seeded-random.js";

/**
 * The challenge corpus: scenarios nobody wrote, drawn from a seed over scanners, scan types,
 * timing, port sets, targets, sources and benign traffic mixed in, so that detection rates are also
 * measured on traffic no rule's threshold was tuned to.
 */

export const DEFAULT_CORPUS_SEED = 1595;
export const DEFAULT_CORPUS_SIZE = 12;
export const CORPUS_SEED_ENV = "SCANPROOF_CORPUS_SEED";
export const CORPUS_TAG = "challenge-corpus";

type ScenarioInput = z.input<typeof ScenarioSchema>;
type StepInput = z.input<typeof Step>;
type HostInput = NonNullable<ScenarioInput["lab"]["hosts"]>[number];
/**
 * The kinds the corpus draws servers from: the ones its expectations are derived for (the other
 * built-in kinds are in the default inventory, where a scan of them also sets off the
 * undeclared-services rule).
 */
const TARGET_KINDS = ["web", "ssh", "dns"] as const;
type TargetKind = (typeof TARGET_KINDS)[number];

/** The seed from SCANPROOF_CORPUS_SEED (a whole number below 2³²), else the default. */
export function corpusSeed(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[CORPUS_SEED_ENV];
  if (text === undefined || text === "") return DEFAULT_CORPUS_SEED;
  const seed = Number(text);
  if (!/^\d+$/.test(text) || seed >= 2 ** 32)
    throw new ScanproofError(`${CORPUS_SEED_ENV}=${text}: expected a whole number from 0 to 4294967295.`);
  return seed;
}

const DMZ_RANGE = "10.20.0.0/24";
const DMZ_ADDRESSES = 256;
/** About how long one drawn scan may probe; a draw that would take longer gets fewer ports. */
const PROBE_BUDGET_MS = 90_000;
/** At most this many probes per scan, so every source can ship all of them within the harness's wait. */
const MAX_PROBES = 3_000;
const MAX_DMZ_PORTS = 10;
/** nmap sends an unanswered probe once more before it gives up on a host that never answered. */
const UNANSWERED_TRIES = 2;
const MAX_LISTED_PORTS = 12;
const BENIGN_SHARE = 0.25;
const BENIGN_MIX_SHARE = 0.5;

const NMAP_SCAN_TYPES = ["-sS", "-sT", "-sF", "-sN", "-sX", "-sA", "-sU", "-sn"] as const;
type NmapScanType = (typeof NMAP_SCAN_TYPES)[number];

interface Timing {
  readonly args: readonly string[];
  /** Roughly how long each probe costs at this timing. */
  readonly perProbeMs: number;
}

const NMAP_TIMINGS: readonly Timing[] = [
  { args: ["-T2"], perProbeMs: 400 },
  { args: ["-T3"], perProbeMs: 10 },
  { args: ["-T4"], perProbeMs: 5 },
  { args: ["-T5"], perProbeMs: 2 },
  { args: ["--scan-delay", "100ms"], perProbeMs: 100 },
  { args: ["--scan-delay", "500ms"], perProbeMs: 500 },
  { args: ["--scan-delay", "1s"], perProbeMs: 1000 },
];
/** UDP waits on the targets' ICMP rate limit: only the fast timings, one retry. */
const UDP_TIMINGS = NMAP_TIMINGS.filter((t) => t.args[0] === "-T4" || t.args[0] === "-T5");
const UDP_TOP_PORTS = [10, 20, 50, 100];
/** nmap's host discovery sends four probes per address (ICMP echo, SYN 443, ACK 80, ICMP timestamp). */
const DISCOVERY_PROBES = 4;
const MASSCAN_RATES = [100, 500, 1000, 5000, 10_000];
const TOP_PORTS = [10, 20, 100, 200, 500, 1000];
const COMMON_PORTS = [
  21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1723, 3306, 3389, 5432, 5900, 6379,
  8080, 8443, 9200,
];
const BROWSING_PATHS = ["/", "/index.html", "/health", "/missing-page"];

/**
 * What a generated attack's file claims, because a scenario must claim an alert: the rule of the
 * pack written for its class. The matrix bench does not score this claim (see MATRIX_DEFINITIONS).
 */
const CLASS_RULES = {
  vertical: "Vertical Port Scan Seen by the Firewall",
  sweep: "Horizontal Port Sweep Seen by the Firewall",
  ping: "ICMP Echo Sweep Seen by the Firewall",
  masscan: "Masscan SYN Probe Shape Seen by the Firewall",
} as const;

interface Source {
  readonly from: string;
  readonly host?: HostInput;
  readonly label: string;
}

const SOURCES: readonly Source[] = [
  { from: "attacker", label: "the external attacker" },
  {
    from: "insider",
    host: { name: "insider", role: "attacker", network: "lan" },
    label: "an insider on the LAN",
  },
];

const BENIGN_SOURCES: readonly Source[] = [
  { from: "visitor", host: { name: "visitor", role: "client", network: "outside" }, label: "a visitor" },
  { from: "office", host: { name: "office", role: "client", network: "nat" }, label: "an office behind NAT" },
  { from: "monitor", host: { name: "monitor", role: "monitor", network: "lan" }, label: "the LAN monitor" },
];

interface Target {
  /** What the step aims at: a target's name or the DMZ range. */
  readonly aim: string;
  readonly kinds: readonly TargetKind[];
  readonly addresses: number;
  /** Probes nmap sends per port: the range's addresses are mostly empty, and nmap retries what goes unanswered. */
  readonly nmapTries: number;
}

type NamedPorts =
  | { readonly kind: "range"; readonly low: number; readonly high: number }
  | { readonly kind: "list"; readonly ports: readonly number[] };
type PortSet = NamedPorts | { readonly kind: "top"; readonly count: number };

interface DrawnStep {
  readonly step: StepInput;
  /** For the scenario's id: the tool and, for nmap, its scan type. */
  readonly name: string;
  readonly summary: string;
  readonly rule: string;
}

interface BenignStep {
  readonly step: StepInput;
  readonly summary: string;
  readonly source: Source;
}

/** `size` scenarios drawn from `seed`: the same seed always draws the same corpus. */
export function drawCorpus(seed: number, size = DEFAULT_CORPUS_SIZE): ScenarioInput[] {
  const random = seededRandom(seed);
  return Array.from({ length: size }, (_, i) => {
    const draw = { random, seed, number: i + 1, size };
    return random.chance(BENIGN_SHARE) ? benignDraw(draw) : attackDraw(draw);
  });
}

/** Writes the corpus to `dir` and loads every file as a run would, scope checks included. */
export function writeCorpus(dir: string, seed: number, size = DEFAULT_CORPUS_SIZE): Scenario[] {
  mkdirSync(dir, { recursive: true });
  return drawCorpus(seed, size).map((input) => {
    const file = join(dir, `${input.id}.yaml`);
    writeFileSync(file, stringify(input));
    return loadScenario(file, [scenarioScopeProblems]);
  });
}

interface Draw {
  readonly random: SeededRandom;
  readonly seed: number;
  readonly number: number;
  readonly size: number;
}

const drawId = (draw: Draw, what: string): string => `corpus-${String(draw.number).padStart(2, "0")}-${what}`;

const origin = (draw: Draw): string =>
  `Drawn by bench/lib/challenge-corpus.ts from seed ${draw.seed} (draw ${draw.number} of ${draw.size}).`;

function attackDraw(draw: Draw): ScenarioInput {
  const { random } = draw;
  const source = random.pick(SOURCES);
  const target = drawTarget(random);
  const scan = random.chance(0.75)
    ? nmapScan(random, source.from, target)
    : masscanScan(random, source.from, target);
  const mix = random.chance(BENIGN_MIX_SHARE) ? benignStep(random) : undefined;
  const steps = !mix ? [scan.step] : random.chance(0.5) ? [mix.step, scan.step] : [scan.step, mix.step];
  const kinds = !mix || target.kinds.includes("web") ? target.kinds : [...target.kinds, "web" as const];
  return {
    id: drawId(draw, scan.name),
    title: `${scan.summary} from ${source.label}${mix ? `, with ${mix.summary}` : ""}`,
    description: `${origin(draw)} The matrix bench scores it by whether an alert or report names its scanning host, not by its verdict: expect names only the rule of its class, because a scenario must claim an alert.`,
    technique: "T1595.001",
    tags: [CORPUS_TAG],
    lab: {
      targets: kinds.map((kind) => ({ name: kind, kind })),
      hosts: [source.host, mix?.source.host].flatMap((h) => (h ? [h] : [])),
    },
    steps,
    expect: { alerts: [{ rule: scan.rule, from: source.from }] },
  };
}

function benignDraw(draw: Draw): ScenarioInput {
  const { random } = draw;
  const steps = Array.from({ length: random.int(1, 3) }, () => benignStep(random));
  const hosts = new Map(
    steps.flatMap((s) => (s.source.host ? [[s.source.from, s.source.host] as const] : [])),
  );
  return {
    id: drawId(draw, "benign"),
    title: steps.map((s) => s.summary).join("; "),
    description: `${origin(draw)} Ordinary traffic: no rule may fire.`,
    technique: "T1595",
    tags: [CORPUS_TAG, "benign"],
    lab: { targets: [{ name: "web", kind: "web" }], hosts: [...hosts.values()] },
    steps: steps.map((s) => s.step),
    expect: { silent: true },
  };
}

/** One server of a drawn kind, or the whole DMZ range holding one to three servers. */
function drawTarget(random: SeededRandom): Target {
  if (random.chance(0.5)) {
    const kinds = random.sample(TARGET_KINDS, random.int(1, TARGET_KINDS.length));
    return { aim: DMZ_RANGE, kinds, addresses: DMZ_ADDRESSES, nmapTries: DMZ_ADDRESSES * UNANSWERED_TRIES };
  }
  const kind = random.pick(TARGET_KINDS);
  return { aim: kind, kinds: [kind], addresses: 1, nmapTries: 1 };
}

/** Browsing or health checks of the web server from a visitor, an office behind NAT or the monitor. */
function benignStep(random: SeededRandom): BenignStep {
  const source = random.pick(BENIGN_SOURCES);
  const health = source.from === "monitor";
  const paths = health
    ? random.pick([["/health"], ["/health", "/health", "/"]])
    : random.sample(BROWSING_PATHS, random.int(1, BROWSING_PATHS.length));
  const repeat = health ? random.int(5, 20) : random.int(1, 10);
  return {
    step: { tool: "http", from: source.from, target: "web", paths, repeat },
    summary: `${health ? "health checks" : "browsing"} (${paths.length * repeat} requests) from ${source.label}`,
    source,
  };
}

function nmapScan(random: SeededRandom, from: string, target: Target): DrawnStep {
  const single = target.addresses === 1;
  const type: NmapScanType = random.pick(NMAP_SCAN_TYPES.filter((t) => single || t !== "-sU"));
  const perAddress = type === "-sn" ? DISCOVERY_PROBES : 1;
  const timing = random.pick(
    (type === "-sU" ? UDP_TIMINGS : NMAP_TIMINGS).filter(
      (t) => t.perProbeMs * perAddress * target.nmapTries <= PROBE_BUDGET_MS,
    ),
  );
  const ports = (): PortSet => {
    if (type === "-sU") return { kind: "top", count: random.pick(UDP_TOP_PORTS) };
    const cap = portCap(target, PROBE_BUDGET_MS / (timing.perProbeMs * target.nmapTries));
    const tops = TOP_PORTS.filter((n) => n <= cap);
    return tops.length > 0 && random.chance(1 / 3)
      ? { kind: "top", count: random.pick(tops) }
      : drawNamedPorts(random, cap);
  };
  const args = [
    "-n",
    ...(type === "-sn" ? [type] : ["-Pn", type, ...nmapPortArgs(ports())]),
    ...(type === "-sU" ? ["--max-retries", "1"] : []),
    ...timing.args,
  ];
  return {
    step: { tool: "nmap", from, target: target.aim, args },
    name: `nmap-${type.slice(1).toLowerCase()}`,
    summary: `nmap ${args.join(" ")} ${target.aim}`,
    rule: type === "-sn" ? CLASS_RULES.ping : single ? CLASS_RULES.vertical : CLASS_RULES.sweep,
  };
}

function masscanScan(random: SeededRandom, from: string, target: Target): DrawnStep {
  const rate = random.pick(MASSCAN_RATES);
  const ports = portSpec(
    drawNamedPorts(random, portCap(target, (rate * PROBE_BUDGET_MS) / 1000 / target.addresses)),
  );
  return {
    step: { tool: "masscan", from, target: target.aim, ports, rate },
    name: "masscan",
    summary: `masscan -p ${ports} --rate ${rate} ${target.aim}`,
    rule: CLASS_RULES.masscan,
  };
}

/** The most ports a scan of this target may draw: within its time budget and the probe limit. */
function portCap(target: Target, withinBudget: number): number {
  return Math.max(1, Math.min(Math.floor(withinBudget), target.addresses === 1 ? MAX_PROBES : MAX_DMZ_PORTS));
}

/** A range of up to `cap` ports from somewhere in the first 1024, or a list of well-known ports. */
function drawNamedPorts(random: SeededRandom, cap: number): NamedPorts {
  if (random.chance(0.5)) {
    const low = random.int(1, 1024);
    return { kind: "range", low, high: low + random.int(1, cap) - 1 };
  }
  const ports = random.sample(COMMON_PORTS, random.int(1, Math.min(cap, MAX_LISTED_PORTS)));
  return { kind: "list", ports: ports.sort((a, b) => a - b) };
}

function nmapPortArgs(ports: PortSet): string[] {
  return ports.kind === "top" ? ["--top-ports", String(ports.count)] : ["-p", portSpec(ports)];
}

function portSpec(ports: NamedPorts): string {
  if (ports.kind === "list") return ports.ports.join(",");
  return ports.low === ports.high ? String(ports.low) : `${ports.low}-${ports.high}`;
}
