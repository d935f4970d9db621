import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { ScanproofError } from "../core/errors.js";
import type { StartedLab } from "../lab/started-lab.js";
import type { ScopeGuard } from "../lab/scope-guard.js";
import { z } from "zod";
import { labName } from "../lab/spec.js";
import type { ExpectedEvent, GroundTruth, Probe } from "./ground-truth.js";
import { checkNmapListing, checkNmapScripts, nmapScope, type CheckedNmap } from "./step-scope.js";
import type { StepKind, ToolExec } from "./step-kind.js";

export const NmapStepSchema = z.strictObject({
  tool: z.literal("nmap"),
  from: labName.default("attacker"),
  target: z.string().min(1),
  args: z.array(z.string()).default([]),
});
export type NmapStepSpec = z.output<typeof NmapStepSchema>;

/** The User-Agent of every Nmap Scripting Engine HTTP request (nselib/http.lua). */
const NSE_USER_AGENT = "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)";

export interface NmapReport {
  readonly startedAt: string;
  readonly endedAt: string;
  readonly scanned: readonly { protocol: "tcp" | "udp"; ports: readonly number[] }[];
  readonly hosts: readonly { address: string; up: boolean; openPorts: readonly number[] }[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  isArray: (name) => ["scaninfo", "host", "port", "address"].includes(name),
});

interface XmlPort {
  protocol: string;
  portid: string;
  state?: { state?: string };
}
interface XmlHost {
  status?: { state?: string };
  address?: { addr: string; addrtype: string }[];
  ports?: { port?: XmlPort[] };
}
interface XmlRun {
  nmaprun?: {
    start?: string;
    scaninfo?: { protocol: string; services: string }[];
    host?: XmlHost[];
    runstats?: { finished?: { time?: string } };
  };
}

export function expandPortList(services: string): number[] {
  const ports: number[] = [];
  for (const part of services.split(",").filter(Boolean)) {
    const [from, to] = part.split("-").map((n) => Number.parseInt(n, 10));
    if (from === undefined || Number.isNaN(from))
      throw new ScanproofError(`nmap XML: bad port list entry "${part}"`);
    for (let p = from; p <= (to ?? from); p++) ports.push(p);
  }
  return ports;
}

/** Reads nmap's `-oX` output: which ports it probed (scaninfo), and what it found per host. */
export function parseNmapXml(xml: string): NmapReport {
  const run = (parser.parse(xml) as XmlRun).nmaprun;
  if (!run?.start)
    throw new ScanproofError("nmap XML: no <nmaprun start=…> element; nmap did not finish its report.");
  const iso = (unix: string | undefined) => new Date(Number(unix) * 1000).toISOString();
  return {
    startedAt: iso(run.start),
    endedAt: iso(run.runstats?.finished?.time ?? run.start),
    scanned: (run.scaninfo ?? []).map((s) => ({
      protocol: s.protocol === "udp" ? "udp" : "tcp",
      ports: expandPortList(s.services),
    })),
    hosts: (run.host ?? []).map((h) => ({
      address: h.address?.find((a) => a.addrtype === "ipv4")?.addr ?? "",
      up: h.status?.state === "up",
      openPorts: (h.ports?.port ?? []).filter((p) => p.state?.state === "open").map((p) => Number(p.portid)),
    })),
  };
}

/**
 * Runs nmap inside the attacker at a scope-checked target. Its report (the XML) claims the ports it
 * scanned on each host that was up; what host discovery sent is left to the wire, since nmap's
 * options change it (`-PS`, `-PA`, `-PU` and no ICMP at all).
 */
async function runNmap(
  lab: StartedLab,
  step: NmapStepSpec,
  index: number,
  args: CheckedNmap,
  guard: ScopeGuard,
  workDir: string,
): Promise<GroundTruth> {
  const from = lab.host(step.from);
  const where = `steps[${index}]`;
  const exec: ToolExec = (c) => lab.exec(from, c);
  await checkNmapListing(args, exec, guard, where);
  await checkNmapScripts(args.scripts, exec, `${where}.args`);
  const exclude = args.resolvedExclude.length > 0 ? ["--exclude", args.resolvedExclude.join(",")] : [];
  const command = [
    "nmap",
    ...args.options,
    ...exclude,
    "-oX",
    "-",
    "--noninteractive",
    "--",
    ...args.resolvedTargets,
  ];
  const result = await lab.exec(from, command);
  const artifact = join(workDir, `step-${index}-nmap.xml`);
  writeFileSync(artifact, result.stdout);
  if (result.exitCode !== 0) {
    throw new ScanproofError(
      `${where}: nmap exited with ${result.exitCode}: ${result.stderr.trim().split("\n").slice(-3).join(" ")}`,
    );
  }
  const report = parseNmapXml(result.stdout);
  const up = report.hosts.filter((h) => h.up);
  const probes: Probe[] = up.flatMap((h) =>
    report.scanned.flatMap((s) =>
      s.ports.map((port) => ({ destination: h.address, transport: s.protocol, port })),
    ),
  );
  const httpScripts = args.options.some(
    (o, i) => /^--script(=|$)/.test(o) && /http/.test(o.includes("=") ? o : (args.options[i + 1] ?? "")),
  );
  const events: ExpectedEvent[] = httpScripts
    ? up
        .filter((h) => h.openPorts.includes(80))
        .map((h) => ({
          source: "web",
          fields: { "destination.ip": h.address, "user_agent.original": NSE_USER_AGENT },
        }))
    : [];
  return {
    step: index,
    tool: "nmap",
    command,
    source: from.plan.seenAs,
    startedAt: report.startedAt,
    endedAt: report.endedAt,
    probes,
    events,
    summary: `${report.scanned.reduce((n, s) => n + s.ports.length, 0)} ports on ${up.length}/${report.hosts.length} hosts up, ${up.reduce((n, h) => n + h.openPorts.length, 0)} open`,
    artifact,
  };
}

/** nmap with any of its options: targets, exclusions and every address an option names are checked. */
export const nmapStep: StepKind<NmapStepSpec> = {
  tool: "nmap",
  describe: (step) => `nmap ${step.args.join(" ")} ${step.target}`,
  plan(step, index, guard, uplink) {
    const checked = nmapScope(step, index, guard, uplink);
    return {
      async checkWithTool(exec, g) {
        await checkNmapListing(checked, exec, g, `steps[${index}]`);
        await checkNmapScripts(checked.scripts, exec, `steps[${index}].args`);
      },
      run: (lab, g, workDir) => runNmap(lab, step, index, checked, g, workDir),
    };
  },
};
