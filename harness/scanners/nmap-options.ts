import { ScanproofError } from "../core/errors.js";

/**
 * nmap's command line as nmap itself reads it: glibc's getopt_long_only over nmap's own option
 * table (nmap.cc, 7.93). Any spelling nmap accepts — `--script=x`, `-script=x`, `-scri`-style
 * unique prefixes, short clusters like `-niL` — resolves to the option nmap would act on, so a
 * check keyed on option names cannot be talked past with another spelling.
 */

type Arity = "none" | "required" | "optional";

interface LongOption {
  readonly name: string;
  readonly arity: Arity;
  /** The short option it stands for (`--source-port` is `-g`), or the long name itself. */
  readonly means: string;
}

const long = (name: string, arity: Arity, means = name): LongOption => ({ name, arity, means });

const LONG_OPTIONS: readonly LongOption[] = [
  long("version", "none", "V"),
  long("verbose", "none", "v"),
  long("datadir", "required"),
  long("servicedb", "required"),
  long("versiondb", "required"),
  long("debug", "optional", "d"),
  long("help", "none", "h"),
  long("iflist", "none"),
  long("release-memory", "none"),
  long("nogcc", "none"),
  long("max-os-tries", "required"),
  long("max-parallelism", "required", "M"),
  long("min-parallelism", "required"),
  long("timing", "required", "T"),
  long("max-rtt-timeout", "required"),
  long("min-rtt-timeout", "required"),
  long("initial-rtt-timeout", "required"),
  long("excludefile", "required"),
  long("exclude", "required"),
  long("max-hostgroup", "required"),
  long("min-hostgroup", "required"),
  long("open", "none"),
  long("scanflags", "required"),
  long("defeat-rst-ratelimit", "none"),
  long("defeat-icmp-ratelimit", "none"),
  long("host-timeout", "required"),
  long("scan-delay", "required"),
  long("max-scan-delay", "required"),
  long("max-retries", "required"),
  long("oA", "required"),
  long("oN", "required"),
  long("oM", "required"),
  long("oG", "required"),
  long("oS", "required"),
  long("oH", "required"),
  long("oX", "required"),
  long("iL", "required"),
  long("iR", "required"),
  long("sI", "required"),
  long("source-port", "required", "g"),
  long("randomize-hosts", "none"),
  long("nsock-engine", "required"),
  long("proxies", "required"),
  long("proxy", "required"),
  long("discovery-ignore-rst", "none"),
  long("osscan-limit", "none"),
  long("osscan-guess", "none"),
  long("fuzzy", "none"),
  long("packet-trace", "none"),
  long("version-trace", "none"),
  long("data", "required"),
  long("data-string", "required"),
  long("data-length", "required"),
  long("send-eth", "none"),
  long("send-ip", "none"),
  long("stylesheet", "required"),
  long("no-stylesheet", "none"),
  long("webxml", "none"),
  long("rH", "none"),
  long("vv", "none"),
  long("ff", "none"),
  long("privileged", "none"),
  long("unprivileged", "none"),
  long("mtu", "required"),
  long("append-output", "none"),
  long("noninteractive", "none"),
  long("spoof-mac", "required"),
  long("thc", "none"),
  long("badsum", "none"),
  long("ttl", "required"),
  long("traceroute", "none"),
  long("reason", "none"),
  long("allports", "none"),
  long("version-intensity", "required"),
  long("version-light", "none"),
  long("version-all", "none"),
  long("system-dns", "none"),
  long("resolve-all", "none"),
  long("unique", "none"),
  long("log-errors", "none"),
  long("deprecated-xml-osclass", "none"),
  long("dns-servers", "required"),
  long("port-ratio", "required"),
  long("exclude-ports", "required"),
  long("top-ports", "required"),
  long("script", "required"),
  long("script-trace", "none"),
  long("script-updatedb", "none"),
  long("script-args", "required"),
  long("script-args-file", "required"),
  long("script-help", "required"),
  long("script-timeout", "required"),
  long("ip-options", "required"),
  long("min-rate", "required"),
  long("max-rate", "required"),
  long("adler32", "none"),
  long("stats-every", "required"),
  long("disable-arp-ping", "none"),
  long("route-dst", "required"),
  long("resume", "required"),
];

/** Every long option name nmap 7.93 knows. */
export const NMAP_LONG_OPTION_NAMES: readonly string[] = LONG_OPTIONS.map((o) => o.name);

/** nmap's short options (its getopt string "46Ab:D:d::e:Ffg:hIi:M:m:nO::o:P::p:qRrS:s::T:Vv::"). */
const SHORT_OPTIONS: ReadonlyMap<string, Arity> = new Map([
  ...Array.from("46AFfhIinqRrV", (c): [string, Arity] => [c, "none"]),
  ...Array.from("bDegiMmopST", (c): [string, Arity] => [c, "required"]),
  ...Array.from("dOPsv", (c): [string, Arity] => [c, "optional"]),
]);

export interface NmapOption {
  /** The option nmap acts on: a short letter (`p`, `g`, `D`) or a long name (`script-args`). */
  readonly name: string;
  readonly value?: string;
  /** The argument(s) as written, for error messages. */
  readonly written: string;
  /** The arguments it was read from, as given; empty for the later options of a cluster like `-nvA`. */
  readonly tokens: readonly string[];
}

export interface NmapCommandLine {
  readonly options: readonly NmapOption[];
  /** The arguments that are no option and no option's value: nmap scans each as a target. */
  readonly targets: readonly string[];
}

/** glibc's match: an exact name, else the prefixes; several prefixes that act differently are ambiguous. */
function matchLong(name: string, where: string, written: string): LongOption | undefined {
  const exact = LONG_OPTIONS.find((o) => o.name === name);
  if (exact) return exact;
  const prefixed = LONG_OPTIONS.filter((o) => o.name.startsWith(name));
  const first = prefixed[0];
  if (!first) return undefined;
  if (prefixed.some((o) => o.arity !== first.arity || o.means !== first.means))
    throw new ScanproofError(
      `${where}: nmap option "${written}" is ambiguous (${prefixed.map((o) => `--${o.name}`).join(", ")}); nmap would refuse it.`,
    );
  return first;
}

/**
 * Splits nmap's argv into the options nmap will act on and its targets, exactly as nmap's
 * getopt_long_only does: an unknown or ambiguous option, or a missing value, is an error here as it
 * is for nmap.
 */
export function parseNmapCommandLine(args: readonly string[], where: string): NmapCommandLine {
  const options: NmapOption[] = [];
  const targets: string[] = [];
  let i = 0;
  const next = (): string | undefined => args[++i];
  for (; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--") {
      targets.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      targets.push(arg);
      continue;
    }
    const dashes = arg.startsWith("--") ? 2 : 1;
    const body = arg.slice(dashes);
    const equals = body.indexOf("=");
    const name = equals < 0 ? body : body.slice(0, equals);
    const firstShort = SHORT_OPTIONS.has(body.charAt(0));
    const tryLong = dashes === 2 || body.length > 1 || !firstShort;
    const found = tryLong ? matchLong(name, where, arg) : undefined;
    if (found) {
      let value: string | undefined;
      if (equals >= 0) {
        if (found.arity === "none")
          throw new ScanproofError(`${where}: nmap option --${found.name} takes no value ("${arg}").`);
        value = body.slice(equals + 1);
      } else if (found.arity === "required") {
        value = next();
        if (value === undefined) throw new ScanproofError(`${where}: nmap option ${arg} needs a value.`);
      }
      const separate = equals < 0 && value !== undefined;
      options.push({
        name: found.means,
        ...(value === undefined ? {} : { value }),
        written: separate ? `${arg} ${value}` : arg,
        tokens: value !== undefined && separate ? [arg, value] : [arg],
      });
      continue;
    }
    if (dashes === 2 || !firstShort)
      throw new ScanproofError(`${where}: "${arg}" is not an nmap option; nmap would refuse it.`);
    for (let c = 0; c < body.length; c++) {
      const letter = body.charAt(c);
      const arity = SHORT_OPTIONS.get(letter);
      if (arity === undefined)
        throw new ScanproofError(
          `${where}: "-${letter}" (in "${arg}") is not an nmap option; nmap would refuse it.`,
        );
      const rest = body.slice(c + 1);
      const tokens = c === 0 ? [arg] : [];
      if (arity === "none") {
        options.push({ name: letter, written: arg, tokens });
        continue;
      }
      let value: string | undefined = rest === "" ? undefined : rest;
      if (value === undefined && arity === "required") {
        value = next();
        if (value === undefined) throw new ScanproofError(`${where}: nmap option -${letter} needs a value.`);
      }
      const separate = rest === "" && value !== undefined;
      options.push({
        name: letter,
        ...(value === undefined ? {} : { value }),
        written: separate ? `${arg} ${value}` : arg,
        tokens: value !== undefined && separate ? [...tokens, value] : tokens,
      });
      break;
    }
  }
  return { options, targets };
}
