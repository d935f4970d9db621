import { ScanproofError } from "../errors.js";

/** Options whose value is a separate argument when not attached (`-p 80` / `-p80`). */
const TAKES_VALUE = new Set([
  "-p",
  "--top-ports",
  "--port-ratio",
  "--exclude-ports",
  "-e",
  "-g",
  "--source-port",
  "--data-length",
  "--data",
  "--data-string",
  "--ttl",
  "--scan-delay",
  "--max-scan-delay",
  "--min-rate",
  "--max-rate",
  "--max-retries",
  "--host-timeout",
  "--script",
  "--script-args",
  "--script-timeout",
  "--min-hostgroup",
  "--max-hostgroup",
  "--min-parallelism",
  "--max-parallelism",
  "--min-rtt-timeout",
  "--max-rtt-timeout",
  "--initial-rtt-timeout",
  "--mtu",
  "--version-intensity",
  "--spoof-mac",
  "--exclude",
  "-S",
]);

/** Options that carry addresses packets are sent to or claim to come from: each is scope-checked. */
const ADDRESS_OPTIONS = new Set(["-D", "-sI", "-b", "-S", "--dns-servers"]);

/** Options scanproof controls itself, or that would make nmap choose or read targets on its own. */
const REFUSED = new Map([
  [
    "-iL",
    "target lists are read inside the attacker where scanproof cannot check them; list targets in the step",
  ],
  ["-iR", "random targets would leave the lab"],
  ["--resume", "a resumed scan reads its targets from a file"],
  ["--proxies", "proxies relay probes to hosts scanproof cannot check"],
  ["-oX", "scanproof writes nmap's XML itself (its ground truth)"],
  ["--excludefile", "exclusion files are read inside the attacker; use --exclude"],
  ["--ip-options", "source routing sends packets through routers scanproof cannot check"],
  ["--datadir", "scripts and data from another folder are not what scanproof checked"],
  ["--script-args-file", "script arguments are read inside the attacker where scanproof cannot check them"],
]);

const OUTPUT_REFUSAL = "scanproof collects nmap's output itself";

/** Script selections nmap resolves to scripts itself; the harness then asks nmap which it chose. */
const SCRIPT_OPTIONS = new Set(["--script"]);
/** Options that turn on nmap's default scripts. */
const DEFAULT_SCRIPTS = new Set(["-sC", "-A"]);
/** Makes scripts add every host they discover as a target: hosts nobody checked. */
const NEW_TARGETS = /(^|[,{\s])newtargets\s*(=|,|}|$)/;
/** Dotted-quad addresses (with an optional prefix length) anywhere in a script argument. */
const ADDRESS_IN_TEXT = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?:\/\d{1,2})?(?![\d.])/g;

/** Short options whose name has two letters after the dash (nmap reads `-sI`, not `-s` + `I`). */
const TWO_LETTER = /^-(s[A-Za-z]|i[LR]|o[XNGAS]|P[A-Za-z])/;

function optionName(arg: string): string {
  if (arg.startsWith("--")) return arg.split("=")[0] ?? arg;
  return TWO_LETTER.exec(arg)?.[0] ?? arg.slice(0, 2);
}

export interface NmapArgs {
  readonly options: readonly string[];
  /** Bare arguments: nmap treats each as a target. */
  readonly targets: readonly string[];
  /** Addresses inside option values (decoys, zombie, relay, spoofed source, DNS servers, script arguments). */
  readonly addresses: readonly { option: string; value: string }[];
  /** Script selections (`--script` values, "default" for -sC and -A), to be resolved by nmap itself. */
  readonly scripts: readonly string[];
}

/** Every address an address option names: decoys except ME, the host of a zombie or FTP relay. */
function optionAddresses(flag: string, value: string, where: string): string[] {
  const addresses: string[] = [];
  for (const part of value.split(",")) {
    const address =
      flag === "-sI" || flag === "-b" ? ((part.split("@").pop() ?? part).split(":")[0] ?? part) : part;
    if (flag === "-D" && (address === "ME" || /^RND(:\d+)?$/.test(address))) {
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
 * Splits nmap's arguments into options, targets, addresses hidden in option values and script
 * selections, refusing whatever would let nmap reach beyond what the scope guard checks. Anything
 * it cannot place fails closed: an unknown `--option=value` is refused, and an unknown option's
 * separate value is taken for a target, which the scope guard then refuses.
 */
export function classifyNmapArgs(args: readonly string[], where: string): NmapArgs {
  const options: string[] = [];
  const targets: string[] = [];
  const addresses: { option: string; value: string }[] = [];
  const scripts: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const flag = optionName(arg);
    const refusedWhy = REFUSED.get(flag) ?? (flag.startsWith("-o") ? OUTPUT_REFUSAL : undefined);
    if (refusedWhy) throw new ScanproofError(`${where}: nmap option ${flag} is not allowed: ${refusedWhy}.`);
    if (!arg.startsWith("-")) {
      targets.push(arg);
      continue;
    }
    options.push(arg);
    if (DEFAULT_SCRIPTS.has(flag)) scripts.push("default");
    const long = arg.startsWith("--");
    const attached = long ? arg.includes("=") : arg.length > flag.length;
    const needsValue = ADDRESS_OPTIONS.has(flag) || TAKES_VALUE.has(flag);
    if (long && attached && !needsValue)
      throw new ScanproofError(
        `${where}: nmap option ${flag} with a value is not one scanproof knows how to check; pass it as two arguments or leave it out.`,
      );
    let value: string | undefined;
    if (needsValue && attached) value = long ? arg.slice(arg.indexOf("=") + 1) : arg.slice(flag.length);
    else if (needsValue) {
      value = args[++i];
      if (value === undefined) throw new ScanproofError(`${where}: nmap option ${flag} needs a value.`);
      options.push(value);
    }
    if (value === undefined) continue;
    if (ADDRESS_OPTIONS.has(flag))
      for (const address of optionAddresses(flag, value, where))
        addresses.push({ option: flag, value: address });
    if (SCRIPT_OPTIONS.has(flag)) scripts.push(value);
    if (flag === "--script-args") {
      if (NEW_TARGETS.test(value))
        throw new ScanproofError(
          `${where}: the script argument newtargets is not allowed: scripts would add hosts they discover as targets.`,
        );
      for (const [address] of value.matchAll(ADDRESS_IN_TEXT))
        addresses.push({ option: flag, value: address });
    }
  }
  return { options, targets, addresses, scripts };
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
