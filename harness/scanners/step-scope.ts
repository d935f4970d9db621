import { formatIPv4, parseStrictIPv4, parseStrictRange } from "../core/addresses.js";
import { ScanproofError } from "../core/errors.js";
import { ScopeGuard } from "../lab/scope-guard.js";
import { labAddresses, labSubnets, planLab } from "../lab/topology.js";
import { SEGMENTS } from "../scenario/segments.js";
import type { CrossProblem } from "../scenario/load.js";
import type { ScenarioSpec, StepSpec } from "../scenario/schema.js";
import { classifyNmapArgs, scriptsReachingOutside, type NmapArgs } from "./nmap-args.js";

/** Runs a command in the step's traffic source (or, for validate, in a network-less copy of its image). */
export type ToolExec = (
  command: readonly string[],
) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

export interface CheckedNmap extends NmapArgs {
  /** The targets and exclusions with lab host names replaced by their addresses. */
  readonly resolvedTargets: readonly string[];
  readonly resolvedExclude: readonly string[];
}

export type ToolStep = Exclude<StepSpec, { tool: "contain" | "nmap" }>;

/**
 * The argument layer of the scope guarantee, needing no lab: every field that names a destination
 * goes through the guard, and nmap's arguments through the classifier. `validate` and a run call
 * the same functions, so whatever a run would refuse here, validate refuses too.
 */
export function checkStepScope(step: StepSpec, index: number, guard: ScopeGuard, uplink: string): void {
  if (step.tool === "nmap") nmapScope(step, index, guard, uplink);
  else if (step.tool !== "contain") hostScope(step, index, guard);
}

/** Where a scope error's `steps[i].field` prefix points in the scenario file. */
const STEP_PLACE = /^steps\[(\d+)\](?:\.(\w+))?[^:]*: /;

/** A scope error of step `index` as a located problem: the field it names, the message without it. */
export function stepProblem(error: unknown, index: number): CrossProblem {
  if (!(error instanceof ScanproofError)) throw error;
  const place = STEP_PLACE.exec(error.message);
  return {
    path: ["steps", index, ...(place?.[2] ? [place[2]] : [])],
    message: place ? error.message.slice(place[0].length) : error.message,
  };
}

/** The guard of a scenario's planned lab, and the lab interface each step's source sends on. */
export function plannedScope(spec: ScenarioSpec): {
  guard: ScopeGuard;
  uplinkOf: (step: StepSpec) => string;
} {
  const plan = planLab(spec);
  return {
    guard: new ScopeGuard(labSubnets(plan), labAddresses(plan)),
    uplinkOf: (step) => {
      const from = step.tool === "contain" ? undefined : plan.hosts.find((h) => h.name === step.from);
      return from ? SEGMENTS[from.network].interface : "";
    },
  };
}

/**
 * The argument layer for every step of a scenario against its planned lab, as located problems:
 * loading a scenario (and so `validate`) refuses whatever a run's guard would refuse before it starts.
 */
export function scenarioScopeProblems(spec: ScenarioSpec): CrossProblem[] {
  const { guard, uplinkOf } = plannedScope(spec);
  const problems: CrossProblem[] = [];
  spec.steps.forEach((step, i) => {
    try {
      checkStepScope(step, i, guard, uplinkOf(step));
    } catch (error) {
      problems.push(stepProblem(error, i));
    }
  });
  return problems;
}

/** The one destination of a step that is not nmap's: a range for masscan, one host for the others. */
export function hostScope(step: ToolStep, index: number, guard: ScopeGuard): string {
  const where = `steps[${index}]`;
  switch (step.tool) {
    case "masscan":
      return guard.range(step.target, `${where}.target`);
    case "http":
    case "ffuf":
    case "nikto":
      return guard.host(step.target, `${where}.target`);
    case "gobuster-dns":
    case "axfr":
      return guard.host(step.server, `${where}.server`);
  }
}

export function nmapScope(
  step: Extract<StepSpec, { tool: "nmap" }>,
  index: number,
  guard: ScopeGuard,
  uplink: string,
): CheckedNmap {
  const where = `steps[${index}]`;
  const classified = classifyNmapArgs(step.args, `${where}.args`);
  const resolvedTargets = [step.target, ...classified.targets].map((t) =>
    guard.nmapTarget(t, `${where}.target`),
  );
  const resolvedExclude = classified.exclude.map((t) => guard.nmapTarget(t, `${where}.args --exclude`));
  for (const a of classified.addresses) {
    const at = `${where}.args ${a.option}`;
    if (a.option === "--script-args") guard.range(a.value, at);
    else guard.address(a.value, at);
  }
  for (const name of classified.interfaces)
    if (name !== uplink)
      throw new ScanproofError(
        `${where}.args -e: nmap may only send on the source's lab interface (${uplink}), not "${name}".`,
      );
  return { ...classified, resolvedTargets, resolvedExclude };
}

/**
 * Asks the attacker's nmap which scripts each selection means (`--script-help` sends nothing) and
 * refuses the selection when any of them talks to third parties or broadcasts.
 */
export async function checkNmapScripts(
  selections: readonly string[],
  exec: ToolExec,
  where: string,
): Promise<void> {
  for (const selection of selections) {
    const help = await exec(["nmap", "--script-help", selection]);
    if (help.exitCode !== 0)
      throw new ScanproofError(
        `${where}: nmap does not know the scripts "${selection}": ${
          help.stderr
            .trim()
            .split("\n")
            .find((l) => /did not match/.test(l)) ?? help.stderr.trim()
        }`,
      );
    const outside = scriptsReachingOutside(help.stdout);
    if (outside.length > 0)
      throw new ScanproofError(
        `${where}: the scripts "${selection}" include ${outside.map((o) => `${o.script} (${o.category})`).join(", ")}, which send to hosts other than the target. Nothing was sent.`,
        "Name the scripts the scenario needs, such as http-title; scripts in the external and broadcast categories are refused.",
      );
  }
}

/** nmap's list scan prints a `Host:` line per address it would scan, and sends nothing with `-n`. */
const LISTED_HOST = /^Host: (\S+) /gm;

/**
 * The tool layer: asks the attacker's own nmap which addresses the targets mean (`nmap -sL -n`,
 * which sends nothing), so nmap's notation is read exactly as the scan will read it, and checks
 * every one. A listing longer than the lab itself has left it, whatever it names.
 */
export async function checkNmapListing(
  nmap: CheckedNmap,
  exec: ToolExec,
  guard: ScopeGuard,
  where: string,
): Promise<string[]> {
  const limit = guard.size + 1;
  const exclude = nmap.resolvedExclude.length > 0 ? ["--exclude", nmap.resolvedExclude.join(",")] : [];
  const result = await exec([
    "sh",
    "-c",
    `nmap -sL -n -oG - "$@" | head -n ${limit + 2}`,
    "nmap-list",
    ...exclude,
    "--",
    ...nmap.resolvedTargets,
  ]);
  const listed = [...result.stdout.matchAll(LISTED_HOST)].map((m) => m[1] ?? "");
  if (listed.length === 0)
    throw new ScanproofError(
      `${where}.target: nmap lists no address for ${nmap.resolvedTargets.join(" ")}: ${result.stderr.trim().split("\n").slice(-2).join(" ") || "no output"}`,
      "Use nmap's target notation for addresses inside the lab (names of lab hosts, addresses, CIDRs, ranges such as 10.20.0.10-12).",
    );
  if (listed.length >= limit)
    throw new ScanproofError(
      `${where}.target: nmap would scan more addresses than this run's lab has (${guard.size}); refusing. Nothing was sent.`,
    );
  guard.listed(listed, `${where}.target`, "nmap");
  return listed;
}

/**
 * masscan's equivalent: `--echo` prints the configuration masscan parsed, one `range =` line per
 * target range, without sending; both ends of each must lie in one lab network.
 */
export async function checkMasscanListing(
  target: string,
  ports: string,
  exec: ToolExec,
  guard: ScopeGuard,
  where: string,
): Promise<string[]> {
  const result = await exec(["masscan", target, "-p", ports, "--echo"]);
  const ranges = [...result.stdout.matchAll(/^range = (\S+)$/gm)].map((m) => m[1] ?? "");
  if (result.exitCode !== 0 || ranges.length === 0)
    throw new ScanproofError(
      `${where}.target: masscan lists no range for ${target}: ${result.stderr.trim().split("\n").slice(-2).join(" ") || "no output"}`,
    );
  const addresses: string[] = [];
  for (const range of ranges) {
    const [first, last] = rangeEnds(range, where);
    guard.listedRange(first, last, `${where}.target`, "masscan");
    for (let a = first; a <= last; a++) addresses.push(formatIPv4(a));
  }
  return addresses;
}

function rangeEnds(text: string, where: string): [number, number] {
  const dash = text.split("-");
  if (dash.length === 2) {
    const [a, b] = dash.map((d) => parseStrictIPv4(d));
    if (a?.ok && b?.ok) return [a.value, b.value];
  }
  const cidr = parseStrictRange(text);
  if (cidr.ok) return [cidr.value.network, cidr.value.network + 2 ** (32 - cidr.value.prefix) - 1];
  throw new ScanproofError(`${where}.target: masscan listed a range scanproof cannot read: "${text}".`);
}
