import { parseStrictIPv4, parseStrictRange } from "../core/addresses.js";
import { ScanproofError } from "../core/errors.js";

/**
 * The Nmap Scripting Engine's `--script-args` syntax: comma-separated `key=value` pairs and bare
 * values, where a key or value may be quoted ('…' or "…") and a value may be a table `{…}`.
 */
interface ScriptArg {
  readonly key?: string;
  readonly value: string | readonly ScriptArg[];
}

function parseScriptArgs(text: string, where: string): ScriptArg[] {
  let at = 0;
  const fail = (what: string): never => {
    throw new ScanproofError(`${where}: --script-args "${text}": ${what} at character ${at + 1}.`);
  };
  const skipSpace = () => {
    while (/\s/.test(text.charAt(at))) at++;
  };
  const atom = (): string => {
    skipSpace();
    const quote = text.charAt(at);
    if (quote === '"' || quote === "'") {
      let out = "";
      for (at++; at < text.length && text.charAt(at) !== quote; at++) {
        if (text.charAt(at) === "\\") at++;
        out += text.charAt(at);
      }
      if (at >= text.length) fail(`an unclosed ${quote}`);
      at++;
      return out;
    }
    const start = at;
    while (at < text.length && !/[,={}]/.test(text.charAt(at))) at++;
    return text.slice(start, at).trim();
  };
  const list = (closing: string): ScriptArg[] => {
    const entries: ScriptArg[] = [];
    for (;;) {
      skipSpace();
      if (at >= text.length || text.charAt(at) === closing) break;
      const first = text.charAt(at) === "{" ? undefined : atom();
      skipSpace();
      let entry: ScriptArg;
      if (first !== undefined && text.charAt(at) === "=") {
        at++;
        entry = { key: first, value: value() };
      } else entry = { value: first ?? value() };
      entries.push(entry);
      skipSpace();
      if (text.charAt(at) === ",") at++;
      else if (at < text.length && text.charAt(at) !== closing) fail(`an unexpected "${text.charAt(at)}"`);
    }
    return entries;
  };
  const value = (): string | ScriptArg[] => {
    skipSpace();
    if (text.charAt(at) !== "{") return atom();
    at++;
    const entries = list("}");
    if (text.charAt(at) !== "}") fail("an unclosed {");
    at++;
    return entries;
  };
  const entries = list("");
  if (at < text.length) fail(`an unexpected "${text.charAt(at)}"`);
  return entries;
}

/** Keys whose value scripts connect to: `dns-zone-transfer.server`, `http.host`, `targets`, … */
const HOST_KEY =
  /(^|[._-])(server|servers|host|hosts|target|targets|ip|ips|address|addr|proxy|dns|resolver|resolvers|nameserver|ns|url|uri)$/i;
const IPV6 = /^\[?[0-9a-f]*:[0-9a-f:.]*:[0-9a-f:.%\w]*\]?$/i;
const URL_HOST = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^/:?#]*)/i;

function lastComponent(name: string): string {
  return (name.split(".").pop() ?? name).trim().toLowerCase();
}

/**
 * Checks `--script-args` for what would take scripts beyond the scanned targets, and returns the
 * addresses and ranges they name, for the scope guard. Refused: `newtargets` in any spelling (scripts
 * would add every host they discover as a target), IPv6 addresses, addresses in any notation but
 * four decimal octets, and host names or numbers where a key names a host.
 */
export function scriptArgumentChecks(text: string, where: string): string[] {
  const found: string[] = [];
  const refuse = (message: string): never => {
    throw new ScanproofError(`${where}: --script-args: ${message}; nothing was sent.`);
  };
  const checkValue = (key: string | undefined, raw: string) => {
    const value = raw.trim();
    if (value === "") return;
    const host = URL_HOST.exec(value)?.[1] ?? value;
    const bare = host.replace(/:\d+$/, "");
    if (IPV6.test(host) || IPV6.test(value))
      refuse(`the script argument ${key ?? value} names an IPv6 address ("${value}"); the lab is IPv4 only`);
    const hostKey = key !== undefined && HOST_KEY.test(key.trim());
    const numeric = /^\d+(\.\d+){3}(\/\d+)?$/.test(bare);
    if (!hostKey && !numeric && host === value) return;
    const parsed = bare.includes("/") ? parseStrictRange(bare) : parseStrictIPv4(bare);
    if (!parsed.ok)
      refuse(
        `the script argument ${key ?? value} = "${value}" names a host scanproof cannot check (${parsed.error}); name a lab address`,
      );
    found.push(bare);
  };
  const walk = (entries: readonly ScriptArg[]) => {
    for (const entry of entries) {
      const names = [entry.key, typeof entry.value === "string" ? entry.value : undefined];
      if (names.some((n) => n !== undefined && lastComponent(n) === "newtargets"))
        refuse(
          "the script argument newtargets is not allowed: scripts would add hosts they discover as targets",
        );
      if (typeof entry.value === "string") checkValue(entry.key, entry.value);
      else walk(entry.value);
    }
  };
  walk(parseScriptArgs(text, where));
  return found;
}
