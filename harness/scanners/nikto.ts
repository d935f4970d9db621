import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ScanproofError } from "../core/errors.js";
import { outputTail } from "./tool-output.js";
import type { StartedLab } from "../lab/started-lab.js";
import { z } from "zod";
import { labName } from "../lab/spec.js";
import type { StepKind } from "./step-kind.js";
import type { ExpectedEvent, GroundTruth } from "./ground-truth.js";

export const NiktoStepSchema = z
  .strictObject({
    tool: z.literal("nikto"),
    from: labName.default("attacker"),
    target: z.string().min(1).describe("a web target: nikto tests http://<target>/"),
    maxtime: z
      .number()
      .int()
      .min(5)
      .max(1800)
      .default(120)
      .describe("seconds nikto may test the host before it stops (-maxtime)"),
  })
  .describe("nikto's web vulnerability scan (T1595.002); every request it reports is checked in the web log");
export type NiktoStepSpec = z.output<typeof NiktoStepSchema>;

export interface NiktoRequest {
  readonly status: number;
  readonly method: string;
  readonly uri: string;
}

/**
 * nginx answers a request line it cannot parse with 400 and logs it without method or URI, so such
 * a request can only be matched by its status.
 */
const MALFORMED = 400;

/** nikto 2.1's verbose line for each request it made: "V:<date> - <status> for <METHOD>:\t<uri>". */
const REQUEST_LINE = /^V:.* - (\d{3}) for ([A-Z]+):\t(.*)$/;

/**
 * The URI as it went on the wire. nikto prints it as its database holds it, HTML entities included
 * (`&lt;script&gt;` is sent as such, which the web log and the IDS confirm); a URI printed with
 * trailing blanks ended at the first blank of the request line.
 */
function sentUri(printed: string): string {
  return printed.trimEnd();
}

/** Every request nikto says it made (`-Display V`), and its findings ("+ " lines after the target). */
export function parseNiktoOutput(output: string): { requests: NiktoRequest[]; findings: string[] } {
  const lines = output.split("\n");
  const requests = lines.flatMap((line) => {
    const m = REQUEST_LINE.exec(line);
    return m ? [{ status: Number(m[1]), method: m[2] ?? "", uri: sentUri(m[3] ?? "") }] : [];
  });
  const start = lines.findIndex((l) => l.startsWith("+ Start Time:"));
  const end = lines.findIndex((l) => / items checked: /.test(l));
  const findings =
    start < 0 ? [] : lines.slice(start + 1, end < 0 ? undefined : end).filter((l) => l.startsWith("+ "));
  return { requests, findings: findings.map((f) => f.slice(2)) };
}

/**
 * nikto's web vulnerability scan (T1595.002) from the step's host. Its verbose output names every
 * request with the status it got, which is the ground truth: each must be in the web server's log
 * exactly as sent (url.original), with that method and status — or, for a request nginx rejected as
 * malformed, as a 400 without them.
 */
async function runNikto(
  lab: StartedLab,
  step: NiktoStepSpec,
  index: number,
  target: string,
  workDir: string,
): Promise<GroundTruth> {
  const from = lab.host(step.from);
  const where = `steps[${index}]`;
  const command = [
    "nikto",
    "-h",
    `http://${target}/`,
    "-Display",
    "V",
    "-maxtime",
    String(step.maxtime),
    "-nointeractive",
  ];
  const startedAt = new Date().toISOString();
  const result = await lab.exec(from, command);
  const endedAt = new Date().toISOString();
  const artifact = join(workDir, `step-${index}-nikto.txt`);
  writeFileSync(artifact, result.stdout);
  const { requests, findings } = parseNiktoOutput(result.stdout);
  if (result.exitCode !== 0 || requests.length === 0) {
    throw new ScanproofError(
      `${where}: nikto exited with ${result.exitCode} after ${requests.length} requests: ${outputTail(result)}`,
    );
  }
  const events: ExpectedEvent[] = requests.map((r) => ({
    source: "web",
    fields:
      r.status === MALFORMED
        ? { "http.response.status_code": MALFORMED }
        : { "url.original": r.uri, "http.request.method": r.method, "http.response.status_code": r.status },
  }));
  return {
    step: index,
    tool: "nikto",
    command,
    source: from.plan.seenAs,
    startedAt,
    endedAt,
    probes: [{ destination: target, transport: "tcp", port: 80 }],
    events,
    artifact,
    summary: `${requests.length} requests, ${findings.length} findings${findings.length > 0 ? `: ${findings.slice(0, 3).join("; ")}` : ""}`,
  };
}

/** nikto against one web host. */
export const niktoStep: StepKind<NiktoStepSpec> = {
  tool: "nikto",
  describe: (step) => `nikto against ${step.target} for at most ${step.maxtime} s`,
  plan(step, index, guard) {
    const target = guard.host(step.target, `steps[${index}].target`);
    return { run: (lab, _guard, workDir) => runNikto(lab, step, index, target, workDir) };
  },
};
