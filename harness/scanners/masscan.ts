import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { ScanproofError } from "../core/errors.js";
import type { SourceHost, StartedLab } from "../lab/started-lab.js";
import type { ScopeGuard } from "../lab/scope-guard.js";
import { SEGMENTS } from "../lab/segments.js";
import { z } from "zod";
import { labName } from "../lab/spec.js";
import type { StepKind } from "./step-kind.js";
import { expandPortSpec, PORT_LIST } from "../core/ports.js";
import { checkMasscanListing } from "./step-scope.js";
import type { GroundTruth, Probe } from "./ground-truth.js";

export const MasscanStepSchema = z.strictObject({
  tool: z.literal("masscan"),
  from: labName.default("attacker"),
  target: z.string().min(1),
  ports: z
    .string()
    .regex(PORT_LIST, { error: 'a port list such as "1-1024,8080"', abort: true })
    .refine(
      (spec) => expandPortSpec(spec) !== undefined,
      "ports between 1 and 65535, ranges from low to high",
    ),
  rate: z.number().int().min(1).max(100_000).default(1000),
});
export type MasscanStepSpec = z.output<typeof MasscanStepSchema>;

/** Seconds masscan keeps listening for replies after its last probe. */
const REPLY_WAIT_SECONDS = 3;
/**
 * masscan answers every reply (RST-ACK or SYN-ACK) with a RST of its own, paced by --rate like its
 * SYNs: a scan of hosts that answer sends two packets per probe, so it lasts twice probes/rate.
 */
const PACKETS_PER_PROBE = 2;
/** Allowed beyond the time the packets take at the requested rate (start-up, reply wait, slack). */
const HANG_MARGIN_SECONDS = 30;
/** The ground truth lists every probe, so it must fit in memory: a /24 times all ports does not. */
const MAX_PROBES = 1_000_000;

/**
 * masscan 1.3.2 hangs after about half of its runs: its receive thread waits in poll() until a frame
 * arrives. The waker sends one datagram a second to an address on the scanning host's own segment
 * that no lab host has (.254, reserved), so the host only ever emits ARP requests for it on its
 * uplink: enough to wake masscan, and nothing any log source records. Only addresses the harness
 * computed go into the script.
 */
export function wakerAddress(from: Pick<SourceHost, "plan">): string {
  return SEGMENTS[from.plan.network].subnet.replace(/\.0\/24$/, ".254");
}
const WAKER_MARKER = "scanproof-masscan-waker";
const wakerScript = (address: string) =>
  `: ${WAKER_MARKER}; while :; do printf x 2>/dev/null >/dev/udp/${address}/9; sleep 1; done`;

/** `timeout`'s exit codes when it had to stop the command: SIGTERM worked (124), SIGKILL was needed (137). */
const TIMED_OUT = new Set([124, 137]);

export interface OpenPort {
  readonly address: string;
  readonly port: number;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  isArray: (name) => ["host", "port"].includes(name),
});

interface XmlRun {
  nmaprun?: {
    scanner?: string;
    host?: {
      address?: { addr?: string };
      ports?: { port?: { protocol?: string; portid?: string; state?: { state?: string } }[] };
    }[];
    runstats?: { finished?: { time?: string } };
  };
}

/**
 * Reads masscan's `-oX` output: one <host> element per open port it found. masscan 1.3.2 opens its
 * report at the first open port, so a clean exit that wrote nothing found none. A report without
 * <runstats><finished> was cut short (masscan writes it on a clean exit only).
 */
export function parseMasscanXml(xml: string): OpenPort[] {
  if (xml.trim() === "") return [];
  const run = (parser.parse(xml) as XmlRun).nmaprun;
  if (run?.scanner !== "masscan")
    throw new ScanproofError('masscan XML: no <nmaprun scanner="masscan"> element.');
  if (!run.runstats?.finished?.time)
    throw new ScanproofError("masscan XML: no <runstats><finished>; masscan did not finish its report.");
  const found = new Map<string, OpenPort>();
  for (const host of run.host ?? []) {
    const address = host.address?.addr ?? "";
    for (const p of host.ports?.port ?? []) {
      if (p.protocol !== "tcp" || p.state?.state !== "open") continue;
      const port = Number(p.portid);
      found.set(`${address}:${port}`, { address, port });
    }
  }
  return [...found.values()];
}

/**
 * Runs masscan inside the attacker, out of the overlay interface straight to the firewall's MAC, at a
 * scope-checked target. Ground truth is every (host, tcp, port) of the request: masscan sends exactly
 * one SYN per port per host and never retries (its --retries defaults to 0); its RSTs belong to
 * connections the SYNs opened, so no sensor counts them as new. It reports open ports only, so its XML
 * confirms nothing about the rest.
 */
async function runMasscan(
  lab: StartedLab,
  step: MasscanStepSpec,
  index: number,
  target: string,
  guard: ScopeGuard,
  workDir: string,
): Promise<GroundTruth> {
  const from = lab.host(step.from);
  const where = `steps[${index}]`;
  const waker = guard.host(wakerAddress(from), `${where} (masscan's waker)`);
  const ports = expandPortSpec(step.ports);
  if (!ports) throw new ScanproofError(`${where}.ports: "${step.ports}" is not a port list.`);
  const hosts = await checkMasscanListing(target, step.ports, (c) => lab.exec(from, c), guard, where);
  if (hosts.length * ports.length > MAX_PROBES) {
    throw new ScanproofError(
      `${where}: ${hosts.length} hosts × ${ports.length} ports is more than ${MAX_PROBES} probes.`,
      "Scan fewer hosts or fewer ports in one step.",
    );
  }
  const routerMac = await routerMacOf(lab, from, where);
  const command = [
    "masscan",
    target,
    "-p",
    step.ports,
    "--rate",
    String(step.rate),
    "-e",
    from.uplink.interface,
    "--router-mac",
    routerMac,
    "-oX",
    "-",
    "--wait",
    String(REPLY_WAIT_SECONDS),
  ];
  const limitSeconds =
    Math.ceil((PACKETS_PER_PROBE * hosts.length * ports.length) / step.rate) + HANG_MARGIN_SECONDS;
  const startedAt = new Date().toISOString();
  const result = await whileWaking(lab, from, waker, limitSeconds, () =>
    lab.exec(from, ["timeout", "--kill-after=5", String(limitSeconds), ...command]),
  );
  const endedAt = new Date().toISOString();
  const artifact = join(workDir, `step-${index}-masscan.xml`);
  writeFileSync(artifact, result.stdout);
  writeFileSync(join(workDir, `step-${index}-masscan.log`), result.stderr);
  if (TIMED_OUT.has(result.exitCode)) {
    throw new ScanproofError(
      `${where}: masscan did not exit within ${limitSeconds} s and was stopped; its report is lost.`,
      "masscan 1.3.2's receive thread can hang until traffic wakes it; check that the attacker can send to the waker's address.",
    );
  }
  if (result.exitCode !== 0) {
    throw new ScanproofError(`${where}: masscan exited with ${result.exitCode}: ${lastLines(result.stderr)}`);
  }
  const open = parseMasscanXml(result.stdout);
  const probes: Probe[] = hosts.flatMap((destination) =>
    ports.map((port) => ({ destination, transport: "tcp" as const, port })),
  );
  return {
    step: index,
    tool: "masscan",
    command,
    source: from.plan.seenAs,
    startedAt,
    endedAt,
    probes,
    events: [],
    summary: `${probes.length} SYNs sent (${hosts.length} host${hosts.length === 1 ? "" : "s"} × ${ports.length} ports at ${step.rate} pps), ${describeOpen(open)}`,
    artifact,
  };
}

const OPEN_PORTS_SHOWN = 10;

function describeOpen(open: readonly OpenPort[]): string {
  if (open.length === 0) return "0 open";
  const shown = open.slice(0, OPEN_PORTS_SHOWN).map((o) => `${o.address}:${o.port}`);
  return `${open.length} open: ${shown.join(", ")}${open.length > shown.length ? ", …" : ""}`;
}

/** The MAC address of the host that routes for `from` on its uplink: masscan sends straight to it. */
async function routerMacOf(lab: StartedLab, from: SourceHost, where: string): Promise<string> {
  const { router, interface: link } = from.uplink;
  const result = await lab.exec(router, ["cat", `/sys/class/net/${link}/address`]);
  const mac = result.stdout.trim();
  if (result.exitCode !== 0 || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac)) {
    throw new ScanproofError(
      `${where}: could not read the ${router.name}'s ${link} MAC address: ${lastLines(result.stderr) || mac}`,
    );
  }
  return mac;
}

/** Runs `work` while the waker runs in the scanning host; the waker ends with it, or after `seconds`. */
async function whileWaking<T>(
  lab: StartedLab,
  from: SourceHost,
  address: string,
  seconds: number,
  work: () => Promise<T>,
): Promise<T> {
  const waker = lab.exec(from, ["timeout", String(seconds), "bash", "-c", wakerScript(address)]);
  try {
    return await work();
  } finally {
    await Promise.allSettled([lab.exec(from, ["pkill", "-f", WAKER_MARKER]), waker]);
  }
}

/** masscan redraws its status line with carriage returns; the last few lines say why it stopped. */
function lastLines(text: string): string {
  return text
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-3)
    .join(" ");
}

/** masscan over a range of the lab: the range is checked, then listed by masscan itself. */
export const masscanStep: StepKind<MasscanStepSpec> = {
  tool: "masscan",
  describe: (step) => `masscan ports ${step.ports} of ${step.target} at ${step.rate} pps`,
  plan(step, index, guard) {
    const target = guard.range(step.target, `steps[${index}].target`);
    return {
      async checkWithTool(exec, g) {
        await checkMasscanListing(target, step.ports, exec, g, `steps[${index}]`);
      },
      run: (lab, g, workDir) => runMasscan(lab, step, index, target, g, workDir),
    };
  },
};
