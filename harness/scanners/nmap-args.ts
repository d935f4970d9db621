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
]);

const OUTPUT_REFUSAL = "scanproof collects nmap's output itself";

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
  /** Addresses inside option values (decoys, zombie, relay, spoofed source, DNS servers). */
  readonly addresses: readonly { option: string; value: string }[];
}

export function classifyNmapArgs(args: readonly string[], where: string): NmapArgs {
  const options: string[] = [];
  const targets: string[] = [];
  const addresses: { option: string; value: string }[] = [];
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
    const long = arg.startsWith("--");
    const attached = long ? arg.includes("=") : arg.length > flag.length;
    const needsValue = ADDRESS_OPTIONS.has(flag) || TAKES_VALUE.has(flag);
    let value: string | undefined;
    if (needsValue && attached) value = long ? arg.slice(arg.indexOf("=") + 1) : arg.slice(flag.length);
    else if (needsValue) {
      value = args[++i];
      if (value === undefined) throw new ScanproofError(`${where}: nmap option ${flag} needs a value.`);
      options.push(value);
    }
    if (value !== undefined && ADDRESS_OPTIONS.has(flag)) {
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
        addresses.push({ option: flag, value: address });
      }
    }
  }
  return { options, targets, addresses };
}
