import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ScanproofError } from "../core/errors.js";
import type { ScopeGuard } from "../lab/scope-guard.js";
import { RAW_SOCKET_ROLES } from "../lab/hosts.js";
import { labName } from "../lab/spec.js";
import type { SourceHost, StartedLab } from "../lab/started-lab.js";
import {
  checkArgumentAddresses,
  describeSpan,
  mergeSpans,
  spanOf,
  type AddressSpan,
} from "./argv-addresses.js";
import type { GroundTruth } from "./ground-truth.js";
import type { StepKind } from "./step-kind.js";
import { outputTail } from "./tool-output.js";

/** The longest a command may run: a step is one scan, not a campaign. */
const MAX_TIMEOUT_SECONDS = 1800;

export const CommandStepSchema = z
  .strictObject({
    tool: z.literal("command"),
    from: labName.default("attacker").describe("the traffic source the command runs in"),
    targets: z
      .array(z.string().min(1))
      .min(1)
      .describe(
        "every destination the command may reach: lab host names, addresses or CIDRs of the lab; the egress filter lets the source send nowhere else while the command runs",
      ),
    argv: z
      .array(z.string())
      .min(1)
      .describe(
        "the program and its arguments, run as they are (no shell); addresses written in them must lie inside targets; {interface} and {router-mac} stand for the source's lab interface and its router's MAC address",
      ),
    timeout: z
      .number()
      .int()
      .min(1)
      .max(MAX_TIMEOUT_SECONDS)
      .default(120)
      .describe("seconds the command may run before it is stopped and the step errors"),
    exit_codes: z
      .array(z.number().int().min(0).max(255))
      .min(1)
      .default([0])
      .describe(
        "the exit codes that mean the command did what it should (hping3 exits 1 when no reply came, fping 1 when a host is down)",
      ),
  })
  .describe(
    "any program in the traffic source's image, run with its arguments inside the declared targets; judged by what its source sent on the wire",
  );
export type CommandStepSpec = z.output<typeof CommandStepSchema>;

/** `timeout`'s exit codes when it had to stop the command: SIGTERM worked (124), SIGKILL was needed (137). */
const TIMED_OUT = new Set([124, 137]);
/** The shell's codes for a program that is not there (127) or cannot be run (126). */
const NOT_RUNNABLE = new Set([126, 127]);

/**
 * What a raw-packet tool must be told about the source's link and cannot find itself in a lab
 * without a default route (zmap -i/-G, masscan -e/--router-mac): the lab interface and the MAC
 * address of the host that routes for it there.
 */
async function linkFacts(lab: StartedLab, from: SourceHost, where: string): Promise<Record<string, string>> {
  const { router, interface: link } = from.uplink;
  const read = await lab.exec(router, ["cat", `/sys/class/net/${link}/address`]);
  const mac = read.stdout.trim();
  if (read.exitCode !== 0 || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac))
    throw new ScanproofError(
      `${where}: could not read the ${router.name}'s ${link} MAC address: ${outputTail(read)}`,
    );
  return { "{interface}": link, "{router-mac}": mac };
}

const PLACEHOLDER = /\{interface\}|\{router-mac\}/g;

/** The argv with its placeholders filled in: the only change scanproof makes to a command. */
export function fillPlaceholders(argv: readonly string[], facts: Readonly<Record<string, string>>): string[] {
  return argv.map((a) => a.replace(PLACEHOLDER, (p) => facts[p] ?? p));
}

/** The declared targets as the guard resolved them: addresses or CIDRs of the lab, and their spans. */
export interface DeclaredTargets {
  readonly ranges: readonly string[];
  readonly spans: readonly AddressSpan[];
  readonly described: string;
}

/** The argument layer: every target through the guard, every address written in argv inside them. */
export function commandScope(step: CommandStepSpec, index: number, guard: ScopeGuard): DeclaredTargets {
  const where = `steps[${index}]`;
  const ranges = step.targets.map((t, k) => guard.range(t, `${where}.targets[${k}]`));
  const spans = mergeSpans(ranges.map((r) => spanOf(r)).filter((s): s is AddressSpan => s !== undefined));
  const described = step.targets
    .map((t, k) => (t === ranges[k] ? t : `${t} = ${ranges[k] ?? ""}`))
    .join(", ");
  step.argv.forEach((argument, j) =>
    checkArgumentAddresses(argument, spans, `${where}.argv[${j}]`, described),
  );
  return { ranges, spans, described };
}

/**
 * The step's time limit is coreutils' `timeout` in the source: a source from an image without it (a
 * distroless or busybox image) would run the command unbounded, or report its own error as the
 * command's, so such a source is refused before anything is sent.
 */
async function requireTimeout(lab: StartedLab, from: SourceHost, where: string): Promise<void> {
  const probe = await lab.exec(from, ["timeout", "--kill-after=1", "1", "true"]);
  if (probe.exitCode !== 0)
    throw new ScanproofError(
      `${where}: ${from.name} has no coreutils timeout (\`timeout --kill-after=1 1 true\` exited ${probe.exitCode}: ${outputTail(probe)}), which bounds every command step.`,
      "Install coreutils in the source's image (Debian: it is essential, so build FROM scanproof/base:bookworm or a Debian image).",
    );
}

async function runCommand(
  lab: StartedLab,
  step: CommandStepSpec,
  index: number,
  declared: DeclaredTargets,
  workDir: string,
): Promise<GroundTruth> {
  const from = lab.host(step.from);
  const where = `steps[${index}]`;
  const program = step.argv[0] ?? "";
  const argv = step.argv.some((a) => a.includes("{interface}") || a.includes("{router-mac}"))
    ? fillPlaceholders(step.argv, await linkFacts(lab, from, where))
    : step.argv;
  await requireTimeout(lab, from, where);
  const command = ["timeout", "--kill-after=5", String(step.timeout), ...argv];
  const startedAt = new Date().toISOString();
  const { result, drops } = await lab.withEgressNarrowed(step.from, declared.spans.map(describeSpan), () =>
    lab.exec(from, command),
  );
  const endedAt = new Date().toISOString();
  const artifact = join(workDir, `step-${index}-command.out`);
  writeFileSync(artifact, result.stdout);
  writeFileSync(join(workDir, `step-${index}-command.err`), result.stderr);
  if (drops.length > 0)
    throw new ScanproofError(
      `${where}: ${program} sent to addresses the step does not declare (${declared.described}), and the egress filter dropped them: ${drops
        .slice(0, 10)
        .map((d) => `${d.destination} (${d.packets} packet${d.packets === 1 ? "" : "s"})`)
        .join(", ")}. Nothing reached them; the scenario's results are no evidence.`,
      `Declare those destinations in ${where}.targets, or change the command's arguments.`,
    );
  if (TIMED_OUT.has(result.exitCode))
    throw new ScanproofError(
      `${where}: ${program} did not exit within ${step.timeout} s and was stopped (its output is in ${artifact}).`,
      `Raise ${where}.timeout, or bound the command (a packet count, a rate, a time limit of its own).`,
    );
  const withoutRawSockets = !RAW_SOCKET_ROLES.includes(from.role)
    ? `${step.from} is a ${from.role} host, which has no raw sockets: hping3, zmap, arp-scan and fping need role attacker or scanner. `
    : "";
  if (NOT_RUNNABLE.has(result.exitCode) && !step.exit_codes.includes(result.exitCode))
    throw new ScanproofError(
      `${where}.argv[0]: "${program}" cannot be run in ${step.from} (exit ${result.exitCode}): ${outputTail(result)}`,
      `${withoutRawSockets}Name a program the source's image has (the attacker image's scanners are listed in the README), or give the source an image of your own.`,
    );
  if (!step.exit_codes.includes(result.exitCode))
    throw new ScanproofError(
      `${where}: ${program} exited with ${result.exitCode}, expected ${step.exit_codes.join(" or ")}: ${outputTail(result)}`,
      `${withoutRawSockets}If that exit code is what the tool means by success here, list it in ${where}.exit_codes.`,
    );
  return {
    step: index,
    tool: "command",
    command: argv,
    source: from.plan.seenAs,
    startedAt,
    endedAt,
    probes: [],
    events: [],
    summary: `${program} exited with ${result.exitCode} (${declared.described})`,
    artifact,
  };
}

/** Any program: its destinations declared, checked in its arguments and enforced by the egress filter. */
export const commandStep: StepKind<CommandStepSpec> = {
  tool: "command",
  describe: (step) => `command ${step.argv.join(" ")} from ${step.from}`,
  plan(step, index, guard) {
    const declared = commandScope(step, index, guard);
    return { run: (lab, _guard, workDir) => runCommand(lab, step, index, declared, workDir) };
  },
};
