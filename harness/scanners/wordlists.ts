import { ScanproofError } from "../core/errors.js";
import { outputTail } from "./tool-output.js";
import type { StartedLab } from "../lab/started-lab.js";
import { z } from "zod";
import { labName } from "../lab/spec.js";
import type { StepKind } from "./step-kind.js";
import type { ExpectedEvent, GroundTruth } from "./ground-truth.js";

const WORDLISTS = { "web-paths": "web-paths.txt", "dns-names": "dns-names.txt" } as const;
const domain = z
  .string()
  .regex(/^(?!-)[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+$/, "a domain name such as lab.example");

export const WebWordlistStepSchema = z.strictObject({
  tool: z.literal("ffuf"),
  from: labName.default("attacker"),
  target: z.string().min(1),
  wordlist: z.literal("web-paths").default("web-paths"),
  /** ffuf 1.1 loses results when threads race, so its report is only complete with one. */
  threads: z.number().int().min(1).max(40).default(1),
});

export const DnsWordlistStepSchema = z.strictObject({
  tool: z.literal("gobuster-dns"),
  from: labName.default("attacker"),
  server: z.string().min(1),
  domain,
  wordlist: z.literal("dns-names").default("dns-names"),
});

export const AxfrStepSchema = z.strictObject({
  tool: z.literal("axfr"),
  from: labName.default("attacker"),
  server: z.string().min(1),
  domain,
});
export type WebWordlistStepSpec = z.output<typeof WebWordlistStepSchema>;
export type DnsWordlistStepSpec = z.output<typeof DnsWordlistStepSchema>;
export type AxfrStepSpec = z.output<typeof AxfrStepSchema>;

const WORDLIST_DIR = "/usr/share/scanproof/wordlists";

function where(index: number): string {
  return `steps[${index}]`;
}

function requireSuccess(
  index: number,
  tool: string,
  result: { exitCode: number; stderr: string; stdout: string },
): void {
  if (result.exitCode !== 0) {
    throw new ScanproofError(
      `${where(index)}: ${tool} exited with ${result.exitCode}: ${outputTail(result)}`,
    );
  }
}

interface FfufReport {
  results?: { input?: { FUZZ?: string }; status?: number; url?: string }[];
}

/**
 * Web directory wordlist scan (T1595.003) with ffuf. `-mc all` makes ffuf report every response,
 * so its JSON output lists each path it requested with the status the server returned.
 */
async function runFfuf(
  lab: StartedLab,
  step: WebWordlistStepSpec,
  index: number,
  target: string,
): Promise<GroundTruth> {
  const from = lab.host(step.from);
  const output = `/tmp/ffuf-step-${index}.json`;
  const wordlist = `${WORDLIST_DIR}/${WORDLISTS[step.wordlist]}`;
  const command = [
    "ffuf",
    "-s",
    "-mc",
    "all",
    "-t",
    String(step.threads),
    "-timeout",
    "5",
    "-w",
    wordlist,
    "-u",
    `http://${target}/FUZZ`,
    "-of",
    "json",
    "-o",
    output,
  ];
  const startedAt = new Date().toISOString();
  requireSuccess(index, "ffuf", await lab.exec(from, command));
  const endedAt = new Date().toISOString();
  const json = await lab.exec(from, ["cat", output]);
  requireSuccess(index, "cat", json);
  const report = JSON.parse(json.stdout) as FfufReport;
  const results = (report.results ?? []).map((r) => ({
    path: new URL(r.url ?? "/", "http://x").pathname,
    status: r.status ?? 0,
  }));
  const words = await lab.exec(from, ["grep", "-c", "", wordlist]);
  if (results.length !== Number(words.stdout.trim())) {
    throw new ScanproofError(
      `${where(index)}: ffuf reported ${results.length} responses for ${words.stdout.trim()} words, so its report is no ground truth.`,
      "Run ffuf with one thread (threads: 1, the default): ffuf 1.1 drops results when threads race.",
    );
  }
  const events: ExpectedEvent[] = results.map((r) => ({
    source: "web",
    fields: { "url.path": r.path, "http.response.status_code": r.status },
  }));
  const found = results.filter((r) => r.status < 400).length;
  return {
    step: index,
    tool: "ffuf",
    command,
    source: from.plan.seenAs,
    startedAt,
    endedAt,
    probes: [{ destination: target, transport: "tcp", port: 80 }],
    events,
    summary: `${results.length} paths requested, ${found} below 400`,
  };
}

/**
 * DNS name wordlist enumeration (T1595.003) with gobuster: `-v` makes it print every name it
 * tried ("Found:" or "Missed:"), which is the ground truth; Go's resolver asks A (and AAAA) per name.
 */
async function runGobusterDns(
  lab: StartedLab,
  step: DnsWordlistStepSpec,
  index: number,
  server: string,
): Promise<GroundTruth> {
  const from = lab.host(step.from);
  const command = [
    "gobuster",
    "dns",
    "-q",
    "-v",
    "-z",
    "--no-color",
    "-t",
    "10",
    "--timeout",
    "2s",
    "-d",
    step.domain,
    "-r",
    `${server}:53`,
    "-w",
    `${WORDLIST_DIR}/${WORDLISTS[step.wordlist]}`,
  ];
  const startedAt = new Date().toISOString();
  const result = await lab.exec(from, command);
  const endedAt = new Date().toISOString();
  requireSuccess(index, "gobuster", result);
  const tried = [...result.stdout.matchAll(/(Found|Missed): (\S+)/g)].map((m) => ({
    found: m[1] === "Found",
    name: m[2] ?? "",
  }));
  if (tried.length === 0) throw new ScanproofError(`${where(index)}: gobuster reported no names.`);
  return {
    step: index,
    tool: "gobuster-dns",
    command,
    source: from.plan.seenAs,
    startedAt,
    endedAt,
    probes: [{ destination: server, transport: "udp", port: 53 }],
    events: tried.map((t) => ({
      source: "dns",
      fields: { "dns.question.name": t.name, "dns.question.type": "A" },
    })),
    summary: `${tried.length} names tried, ${tried.filter((t) => t.found).length} found`,
  };
}

/** A zone transfer attempt (T1595.003 reconnaissance of the zone) with dig, over TCP. */
async function runAxfr(
  lab: StartedLab,
  step: AxfrStepSpec,
  index: number,
  server: string,
): Promise<GroundTruth> {
  const from = lab.host(step.from);
  const command = ["dig", `@${server}`, step.domain, "AXFR", "+tries=1", "+time=5"];
  const startedAt = new Date().toISOString();
  const result = await lab.exec(from, command);
  const endedAt = new Date().toISOString();
  requireSuccess(index, "dig", result);
  const refused = /Transfer failed/.test(result.stdout);
  return {
    step: index,
    tool: "axfr",
    command,
    source: from.plan.seenAs,
    startedAt,
    endedAt,
    probes: [{ destination: server, transport: "tcp", port: 53 }],
    events: [{ source: "dns", fields: { "dns.question.name": step.domain, "dns.question.type": "AXFR" } }],
    summary: refused ? "zone transfer refused" : "zone transfer answered",
  };
}

/** ffuf's web path wordlist against one web host. */
export const ffufStep: StepKind<WebWordlistStepSpec> = {
  tool: "ffuf",
  describe: (step) => `ffuf ${step.wordlist} against ${step.target}`,
  plan(step, index, guard) {
    const target = guard.host(step.target, `steps[${index}].target`);
    return { run: (lab) => runFfuf(lab, step, index, target) };
  },
};

/** gobuster's DNS name wordlist against one lab resolver. */
export const gobusterDnsStep: StepKind<DnsWordlistStepSpec> = {
  tool: "gobuster-dns",
  describe: (step) => `gobuster dns ${step.wordlist} for ${step.domain} at ${step.server}`,
  plan(step, index, guard) {
    const server = guard.host(step.server, `steps[${index}].server`);
    return { run: (lab) => runGobusterDns(lab, step, index, server) };
  },
};

/** A zone transfer request to one lab resolver. */
export const axfrStep: StepKind<AxfrStepSpec> = {
  tool: "axfr",
  describe: (step) => `AXFR of ${step.domain} from ${step.server}`,
  plan(step, index, guard) {
    const server = guard.host(step.server, `steps[${index}].server`);
    return { run: (lab) => runAxfr(lab, step, index, server) };
  },
};
