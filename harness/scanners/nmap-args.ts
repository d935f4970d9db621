import { ScanproofError } from "../core/errors.js";
import { parseNmapCommandLine, type NmapOption } from "./nmap-options.js";
import { scriptArgumentChecks } from "./nse-args.js";

const TARGET_LISTS =
  "target lists are read inside the attacker where scanproof cannot check them; list targets in the step";
const OUTPUT = "scanproof collects nmap's output itself";
const NOT_A_SCAN = "it prints information instead of scanning, and scanproof expects a scan report";

/** Options that would make nmap choose or read targets on its own, or that scanproof controls itself. */
const REFUSED: ReadonlyMap<string, string> = new Map([
  ["iL", TARGET_LISTS],
  ["i", `-i is nmap's old spelling of -iL: ${TARGET_LISTS}`],
  ["iR", "random targets would leave the lab"],
  ["resume", "a resumed scan reads its targets from a file"],
  ["proxies", "proxies relay probes to hosts scanproof cannot check"],
  ["proxy", "proxies relay probes to hosts scanproof cannot check"],
  ["excludefile", "exclusion files are read inside the attacker; use --exclude"],
  ["ip-options", "source routing sends packets through routers scanproof cannot check"],
  ["datadir", "scripts and data from another folder are not what scanproof checked"],
  ["servicedb", "a service list from another file is not what scanproof checked"],
  ["versiondb", "service probes from another file are not what scanproof checked"],
  ["script-args-file", "script arguments are read inside the attacker where scanproof cannot check them"],
  ["script-updatedb", "it rewrites the attacker's script database"],
  ["route-dst", "it resolves and routes to a host outside scanproof's check"],
  ["6", "the lab is IPv4 only"],
  ["oX", "scanproof writes nmap's XML itself (its ground truth)"],
  ...["o", "oA", "oN", "oM", "oG", "oS", "oH", "append-output", "stylesheet", "webxml"].map(
    (name): [string, string] => [name, OUTPUT],
  ),
  ...["h", "V", "iflist", "script-help"].map((name): [string, string] => [name, NOT_A_SCAN]),
]);

/** Options whose value names hosts packets are sent to or claim to come from. */
const ADDRESS_OPTIONS: ReadonlySet<string> = new Set(["D", "sI", "b", "S", "dns-servers"]);
/** Options that turn on nmap's default scripts. */
const DEFAULT_SCRIPTS: ReadonlySet<string> = new Set(["A"]);

/** How nmap's own documentation spells an option: `-p`, `-iL`, `--script-args`. */
function optionLabel(name: string): string {
  return name.length <= 2 ? `-${name}` : `--${name}`;
}

export interface NmapArgs {
  /** Every argument that is not a target or an exclusion, as written and in order. */
  readonly options: readonly string[];
  /** The arguments nmap scans as targets, and the `--exclude` lists. */
  readonly targets: readonly string[];
  readonly exclude: readonly string[];
  /** Addresses inside option values (decoys, zombie, relay, spoofed source, DNS servers, script arguments). */
  readonly addresses: readonly { option: string; value: string }[];
  /** Script selections (`--script` values, "default" for -sC and -A), to be resolved by nmap itself. */
  readonly scripts: readonly string[];
  /** Interfaces named with -e. */
  readonly interfaces: readonly string[];
}

/** Every address an address option names: decoys except ME, the host of a zombie or FTP relay. */
function optionAddresses(option: NmapOption, where: string): string[] {
  const value = option.value ?? "";
  const addresses: string[] = [];
  for (const part of value.split(",")) {
    const address =
      option.name === "sI" || option.name === "b"
        ? ((part.split("@").pop() ?? part).split(":")[0] ?? part)
        : part;
    if (option.name === "D" && (address === "ME" || /^RND(:\d+)?$/.test(address))) {
      if (address !== "ME")
        throw new ScanproofError(
          `${where}: random decoys (${address}) would claim addresses outside the lab; name lab decoys.`,
        );
      continue;
    }
    addresses.push(address);
  }
  return addresses;
}

/**
 * Splits nmap's arguments the way nmap reads them, refusing whatever would let nmap reach beyond
 * what the scope guard checks: every spelling of a refused option, target files, output options,
 * and hosts hidden in option values, which are returned for the guard to check.
 */
export function classifyNmapArgs(args: readonly string[], where: string): NmapArgs {
  const line = parseNmapCommandLine(args, where);
  const exclude: string[] = [];
  const addresses: { option: string; value: string }[] = [];
  const scripts: string[] = [];
  const interfaces: string[] = [];
  for (const option of line.options) {
    const label = optionLabel(option.name);
    const refused = REFUSED.get(option.name);
    if (refused) throw new ScanproofError(`${where}: nmap option ${label} is not allowed: ${refused}.`);
    if (DEFAULT_SCRIPTS.has(option.name) || (option.name === "s" && option.value?.includes("C")))
      scripts.push("default");
    if (option.value === undefined) continue;
    if (ADDRESS_OPTIONS.has(option.name))
      for (const value of optionAddresses(option, where)) addresses.push({ option: label, value });
    if (option.name === "exclude") exclude.push(...option.value.split(","));
    if (option.name === "e") interfaces.push(option.value);
    if (option.name === "script") scripts.push(option.value);
    if (option.name === "script-args")
      for (const value of scriptArgumentChecks(option.value, where)) addresses.push({ option: label, value });
  }
  return {
    options: line.options.filter((o) => o.name !== "exclude").flatMap((o) => o.tokens),
    targets: line.targets,
    exclude,
    addresses,
    scripts,
    interfaces,
  };
}

/** Script categories whose scripts send to hosts other than the target: third parties, broadcast. */
const OUTSIDE_CATEGORIES = ["external", "broadcast"];

/**
 * The scripts in `nmap --script-help` output that would reach beyond the scanned targets, with
 * the category that says so.
 */
export function scriptsReachingOutside(scriptHelp: string): { script: string; category: string }[] {
  const found: { script: string; category: string }[] = [];
  for (const [, script = "", categories = ""] of scriptHelp.matchAll(/^(\S+)\r?\nCategories: (.*)$/gm)) {
    const category = categories.split(/\s+/).find((c) => OUTSIDE_CATEGORIES.includes(c));
    if (category) found.push({ script, category });
  }
  return found;
}
