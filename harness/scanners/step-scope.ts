import { formatIPv4, parseStrictIPv4, parseStrictRange } from "../core/addresses.js";
import { ScanproofError } from "../core/errors.js";
import type { ScopeGuard } from "../lab/scope-guard.js";
import type { ToolExec } from "./step-kind.js";
import { classifyNmapArgs, scriptsReachingOutside, type NmapArgs } from "./nmap-args.js";

export interface CheckedNmap extends NmapArgs {
  /** The targets and exclusions with lab host names replaced by their addresses. */
  readonly resolvedTargets: readonly string[];
  readonly resolvedExclude: readonly string[];
}

/** The argument layer for nmap: its targets, exclusions, every address an option names, its interface. */
export function nmapScope(
  step: { readonly target: string; readonly args: readonly string[] },
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
