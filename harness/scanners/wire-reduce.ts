import { inRanges } from "../core/addresses.js";
import { ScanproofError } from "../core/errors.js";
import type { LogSourceName } from "../core/vocabulary.js";
import type { CaptureStats } from "../lab/wire-capture.js";
import {
  describeEvent,
  type ExpectedEvent,
  type Probe,
  type WireDnsQuery,
  type WireLogin,
  type WireHttpRequest,
  type WireProbe,
  type WireTruth,
} from "./ground-truth.js";

/** One packet of `wire-capture fields` (tshark `-T fields`, first occurrence of each field). */
interface WirePacket {
  readonly length: number;
  readonly captured: number;
  readonly ethSource: string;
  readonly ethDestination: string;
  readonly source?: string;
  readonly destination?: string;
  readonly protocol?: number;
  readonly sourcePort?: number;
  readonly port?: number;
  readonly tcpFlags?: number;
  readonly sctpChunk?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly icmpIdent?: number;
  readonly http?: { method: string; uri: string; host?: string; userAgent?: string };
  readonly dns?: { name: string; type: string };
  /** The SSH identification string the packet carries (`SSH-2.0-…`). */
  readonly ssh?: string;
  /** The FTP command a client sent (upper case, as the server reads it) with its argument. */
  readonly ftpCommand?: { name: string; argument: string };
  /** The code of the FTP reply a server sent. */
  readonly ftpReply?: number;
  /** The first PostgreSQL message in the packet, and the first authentication request's type. */
  readonly pgsql?: { type: string; authType?: number };
  /** The user an NTLMSSP_AUTH message (NTLM message type 3) names; empty for an anonymous one. */
  readonly ntlmAuthUser?: string;
}

/** The columns `wire-capture fields` prints, in order (containers/netkit/wire-capture). */
const COLUMNS = [
  "time",
  "len",
  "caplen",
  "ethsrc",
  "ethdst",
  "ipsrc",
  "ipdst",
  "proto",
  "tcpsport",
  "tcpdport",
  "tcpflags",
  "udpsport",
  "udpdport",
  "sctpsport",
  "sctpdport",
  "sctpchunk",
  "icmptype",
  "icmpcode",
  "icmpident",
  "method",
  "uri",
  "host",
  "useragent",
  "dnsresponse",
  "dnsname",
  "dnstype",
  "sshprotocol",
  "ftpcommand",
  "ftparg",
  "ftpcode",
  "pgsqltype",
  "pgsqlauthtype",
  "ntlmtype",
  "ntlmuser",
] as const;
type Column = (typeof COLUMNS)[number];

/** Query type mnemonics as DNS servers (unbound, BIND) log them; any other is `TYPE<n>` (RFC 3597). */
const DNS_TYPES: Readonly<Record<number, string>> = {
  1: "A",
  2: "NS",
  5: "CNAME",
  6: "SOA",
  11: "WKS",
  12: "PTR",
  13: "HINFO",
  15: "MX",
  16: "TXT",
  17: "RP",
  18: "AFSDB",
  24: "SIG",
  25: "KEY",
  28: "AAAA",
  29: "LOC",
  33: "SRV",
  35: "NAPTR",
  36: "KX",
  37: "CERT",
  39: "DNAME",
  41: "OPT",
  42: "APL",
  43: "DS",
  44: "SSHFP",
  45: "IPSECKEY",
  46: "RRSIG",
  47: "NSEC",
  48: "DNSKEY",
  49: "DHCID",
  50: "NSEC3",
  51: "NSEC3PARAM",
  52: "TLSA",
  53: "SMIMEA",
  55: "HIP",
  59: "CDS",
  60: "CDNSKEY",
  61: "OPENPGPKEY",
  62: "CSYNC",
  63: "ZONEMD",
  64: "SVCB",
  65: "HTTPS",
  99: "SPF",
  108: "EUI48",
  109: "EUI64",
  249: "TKEY",
  250: "TSIG",
  251: "IXFR",
  252: "AXFR",
  253: "MAILB",
  254: "MAILA",
  255: "ANY",
  256: "URI",
  257: "CAA",
};

function dnsType(code: number): string {
  return DNS_TYPES[code] ?? `TYPE${code}`;
}

function number(text: string): number | undefined {
  if (text === "") return undefined;
  const n = text.startsWith("0x") ? Number.parseInt(text, 16) : Number(text);
  return Number.isFinite(n) ? n : undefined;
}

function parseLine(line: string, where: string): WirePacket {
  const parts = line.split("\t");
  if (parts.length !== COLUMNS.length)
    throw new ScanproofError(
      `${where}: expected ${COLUMNS.length} tab-separated fields, got ${parts.length}.`,
    );
  const v = (c: Column) => parts[COLUMNS.indexOf(c)] ?? "";
  const proto = number(v("proto"));
  const ports =
    proto === 6
      ? ["tcpsport", "tcpdport"]
      : proto === 17
        ? ["udpsport", "udpdport"]
        : proto === 132
          ? ["sctpsport", "sctpdport"]
          : [];
  const [sport, dport] = ports.map((c) => number(v(c as Column)));
  const response = v("dnsresponse");
  return {
    length: number(v("len")) ?? 0,
    captured: number(v("caplen")) ?? 0,
    ethSource: v("ethsrc"),
    ethDestination: v("ethdst"),
    ...(v("ipsrc") === "" ? {} : { source: v("ipsrc"), destination: v("ipdst") }),
    ...(proto === undefined ? {} : { protocol: proto }),
    ...(sport === undefined ? {} : { sourcePort: sport }),
    ...(dport === undefined ? {} : { port: dport }),
    ...(proto === 6 && v("tcpflags") !== "" ? { tcpFlags: number(v("tcpflags")) } : {}),
    ...(proto === 132 && v("sctpchunk") !== "" ? { sctpChunk: number(v("sctpchunk")) } : {}),
    ...(proto === 1 && v("icmptype") !== ""
      ? {
          icmpType: number(v("icmptype")),
          icmpCode: number(v("icmpcode")) ?? 0,
          ...(v("icmpident") === "" ? {} : { icmpIdent: number(v("icmpident")) }),
        }
      : {}),
    ...(v("method") === ""
      ? {}
      : {
          http: {
            method: v("method"),
            uri: v("uri"),
            ...(v("host") === "" ? {} : { host: v("host") }),
            ...(v("useragent") === "" ? {} : { userAgent: v("useragent") }),
          },
        }),
    ...((response === "0" || response === "False") && v("dnsname") !== ""
      ? {
          dns: {
            name: v("dnsname") === "<Root>" ? "." : v("dnsname"),
            type: dnsType(number(v("dnstype")) ?? 0),
          },
        }
      : {}),
    ...(v("sshprotocol").startsWith("SSH-") ? { ssh: v("sshprotocol") } : {}),
    ...(v("ftpcommand") === ""
      ? {}
      : { ftpCommand: { name: v("ftpcommand").toUpperCase(), argument: v("ftparg") } }),
    ...(v("ftpcode") === "" ? {} : { ftpReply: number(v("ftpcode")) }),
    ...(number(v("ntlmtype")) === NTLMSSP_AUTH ? { ntlmAuthUser: v("ntlmuser") } : {}),
    ...(v("pgsqltype") === ""
      ? {}
      : {
          pgsql: {
            type: v("pgsqltype").split(",")[0],
            ...(v("pgsqlauthtype") === ""
              ? {}
              : { authType: number(v("pgsqlauthtype").split(",")[0] ?? "") }),
          },
        }),
  } as WirePacket;
}

const NTLMSSP_AUTH = 3;

/** Reads `wire-capture fields`: the capturing interface's MAC address, then one packet per line. */
function parseWireFields(text: string): { mac: string; packets: WirePacket[] } {
  const [first = "", ...lines] = text.split("\n");
  const mac = /^mac ([0-9a-f:]{17})$/.exec(first.trim())?.[1];
  if (!mac)
    throw new ScanproofError(`Packet capture fields: expected "mac <address>" first, got "${first}".`);
  return {
    mac,
    packets: lines.filter((l) => l.trim() !== "").map((l, i) => parseLine(l, `packet capture line ${i + 2}`)),
  };
}

/** Where a source's packets go, seen from its own segment. */
export interface WireScope {
  /** The source's own segment: traffic there never reaches the firewall. */
  readonly ownSegment: string;
  /** The segments behind the firewall. */
  readonly behindFirewall: readonly string[];
  /** The firewall's own addresses. */
  readonly firewall: readonly string[];
  /** The address sensors see for every packet of this source, when a NAT router rewrites it. */
  readonly seenAs?: string;
  /** The lab services that log what they are asked, and the log source they write. */
  readonly services: readonly {
    readonly address: string;
    readonly transport: "tcp" | "udp";
    readonly port: number;
    readonly source: LogSourceName;
  }[];
}

export function crossesFirewall(scope: WireScope, destination: string): boolean {
  if (scope.firewall.includes(destination)) return true;
  return inRanges(destination, scope.behindFirewall) && !inRanges(destination, [scope.ownSegment]);
}

const TCP_FLAG_LETTERS = ["F", "S", "R", "P", "A", "U", "E", "C"] as const;

/** TCP flags as nmap writes them (`S`, `SA`, `FA`, `FPU`): FIN, SYN, RST, PSH, ACK, URG, ECE, CWR. */
export function tcpFlagLetters(flags: number): string {
  return TCP_FLAG_LETTERS.filter((_, bit) => (flags & (1 << bit)) !== 0).join("");
}

/** ICMP queries (echo, timestamp, information, address mask) and the type of their reply. */
const ICMP_REPLY: Readonly<Record<number, number>> = { 8: 0, 13: 14, 15: 16, 17: 18 };

/**
 * The flow a packet belongs to, the same for both directions: protocol, the source's end, the far
 * end. An ICMP query and its reply share one by identifier; every other ICMP message is its own.
 */
function flowKey(p: WirePacket, outbound: boolean): string {
  const near = outbound ? p.source : p.destination;
  const far = outbound ? p.destination : p.source;
  const nearPort = outbound ? p.sourcePort : p.port;
  const farPort = outbound ? p.port : p.sourcePort;
  if (p.protocol === 1) {
    const query = Object.entries(ICMP_REPLY).find(
      ([q, r]) => Number(q) === p.icmpType || r === p.icmpType,
    )?.[0];
    return query === undefined
      ? `1 ${near} ${far} ${p.icmpType}/${p.icmpCode}`
      : `1 ${near} ${far} q${query} ${p.icmpIdent ?? ""}`;
  }
  return `${p.protocol} ${near}:${nearPort ?? ""} ${far}:${farPort ?? ""}`;
}

function probeOf(p: WirePacket & { source: string; destination: string; protocol: number }): WireProbe {
  return {
    source: p.source,
    destination: p.destination,
    protocol: p.protocol,
    ...(p.port === undefined ? {} : { port: p.port }),
    ...(p.sourcePort === undefined ? {} : { sourcePort: p.sourcePort }),
    ...(p.tcpFlags === undefined ? {} : { tcpFlags: tcpFlagLetters(p.tcpFlags) }),
    ...(p.icmpType === undefined ? {} : { icmpType: p.icmpType, icmpCode: p.icmpCode ?? 0 }),
    ...(p.sctpChunk === undefined ? {} : { sctpChunk: p.sctpChunk }),
    packets: 1,
  };
}

function loggedBy(scope: WireScope, destination: string, transport: "tcp" | "udp", port: number | undefined) {
  return scope.services.find((s) => s.address === destination && s.transport === transport && s.port === port)
    ?.source;
}

/** The user vsftpd logs an anonymous login as (its `ftp_username`), whichever name the client gave. */
const ANONYMOUS_FTP_USER = "ftp";

/**
 * One FTP control connection as the server reads it (vsftpd's prelogin), writing the logins it
 * attempts to `logins`. `USER` names the user; `PASS` after a `USER` is a login vsftpd logs (OK or
 * FAIL LOGIN) whether or not its answer reaches the wire (a failed one is answered after a delay a
 * client may not wait for); its answer, 230 or 530, gives the outcome. A `PASS` without a `USER`
 * is refused (503) and logs nothing; a failed login forgets the user, so a `PASS` resent (tshark
 * decodes a retransmission again) or pipelined behind it is none either. A `USER` is a login only
 * when the server answers it 230 (an anonymous user with `no_anon_password`). After 230 (logged
 * in) or 421 (closing) no command is a login any more.
 */
class FtpControl {
  private user: string | undefined;
  /** The `USER` awaiting its answer, or the index in `logins` of the `PASS` that is. */
  private pending: { user: string } | { index: number } | undefined;
  private closed = false;

  constructor(
    private readonly flow: Omit<WireLogin, "service" | "client" | "user">,
    private readonly logins: WireLogin[],
  ) {}

  sent(command: string, argument: string): void {
    if (this.closed) return;
    if (command === "USER") {
      this.user = argument;
      this.pending = { user: argument };
    } else if (command === "PASS" && this.user !== undefined) {
      this.pending = { index: this.logins.length };
      this.logins.push({ service: "ftp", ...this.flow, client: `PASS ${this.user}`, user: this.user });
      this.user = undefined;
    }
  }

  answered(code: number): void {
    const pending = this.pending;
    this.pending = undefined;
    if (this.closed) return;
    if (code === 230 || code === 421) this.closed = true;
    if (pending === undefined || !(code === 230 || code === 530)) return;
    if ("user" in pending) {
      if (code === 230)
        this.logins.push({
          service: "ftp",
          ...this.flow,
          client: `USER ${pending.user}`,
          user: ANONYMOUS_FTP_USER,
          outcome: "success",
        });
      return;
    }
    const login = this.logins[pending.index];
    if (login) this.logins[pending.index] = { ...login, outcome: code === 230 ? "success" : "failure" };
  }
}

/** tshark's names of the frontend messages that carry what PostgreSQL verifies: a password, SCRAM's proof. */
const PGSQL_CREDENTIALS: ReadonlySet<string> = new Set(["Password message", "SASLResponse message"]);
/** Authentication requests that end the exchange with success: SASL's final message, AuthenticationOk. */
const PGSQL_AUTH_OK: ReadonlySet<number> = new Set([12, 0]);

/**
 * PostgreSQL's logins, one per connection (a backend authenticates once): a connection in which
 * the client sent its password or SCRAM's proof (the SASLResponse), which the server verifies and
 * logs ("password authentication failed" or "connection authorized") whether or not its answer
 * reaches the wire, or one the server let in without either (AuthenticationOk, a `trust` line).
 * A connection that sends only an SSLRequest or a cancel request, that ends at the startup message
 * or SCRAM's first message (nmap's pgsql-brute, which speaks no SCRAM), or that the server refuses
 * before authenticating logs no login. A connection that negotiated TLS is opaque to the capture.
 */
class PostgresqlLogins {
  private readonly index = new Map<string, number>();

  sent(key: string, flow: WireProbe, type: string, logins: WireLogin[]): void {
    if (PGSQL_CREDENTIALS.has(type) && !this.index.has(key)) this.add(key, flow, type, logins);
  }

  answered(
    key: string,
    flow: WireProbe,
    message: { type: string; authType?: number },
    logins: WireLogin[],
  ): void {
    const ok = message.type === "Authentication request" && PGSQL_AUTH_OK.has(message.authType ?? -1);
    if (ok && !this.index.has(key)) this.add(key, flow, "AuthenticationOk without credentials", logins);
    const at = this.index.get(key);
    const login = at === undefined ? undefined : logins[at];
    if (at === undefined || login === undefined || login.outcome !== undefined) return;
    if (ok) logins[at] = { ...login, outcome: "success" };
    else if (message.type === "Error") logins[at] = { ...login, outcome: "failure" };
  }

  private add(key: string, flow: WireProbe, client: string, logins: WireLogin[]): void {
    this.index.set(key, logins.length);
    logins.push({
      service: "postgresql",
      source: flow.source,
      sourcePort: flow.sourcePort ?? 0,
      destination: flow.destination,
      port: flow.port ?? 0,
      client,
    });
  }
}

/** The FTP control state of a TCP flow the source opened. */
function ftpControl(
  controls: Map<string, FtpControl>,
  key: string,
  flow: WireProbe | "theirs" | undefined,
  logins: WireLogin[],
) {
  if (flow === undefined || flow === "theirs" || flow.protocol !== 6 || flow.port === undefined)
    return undefined;
  const { source, sourcePort = 0, destination, port } = flow;
  const control = controls.get(key) ?? new FtpControl({ source, sourcePort, destination, port }, logins);
  controls.set(key, control);
  return control;
}

const UNSEEN_SHOWN = 20;
const PORTED: ReadonlySet<number> = new Set([6, 17, 132]);

/** What a source sent, from its capture: every flow it opened, and the requests decoded in them. */
export interface WireReduction {
  /** Every flow the source opened, the first packet of each, in order (its own segment included). */
  readonly flows: readonly WireProbe[];
  readonly http: readonly WireHttpRequest[];
  readonly dns: readonly WireDnsQuery[];
  readonly logins: readonly WireLogin[];
  /** Packets the source sent that were longer than the snapshot length. */
  readonly cut: number;
}

/**
 * Reduces a capture of both directions to what the source sent. A packet is the source's when its
 * frame was not addressed to the interface's own MAC (a spoofed IP source is still the source's);
 * a flow is the source's when its first packet is. Replies and packets the source sent in flows the
 * far end opened are no probes. An ICMP error opens a flow only if nothing came from its destination first.
 * Logins are read in TCP flows the source opened (WireLogin says which the services log): an SSH
 * identification string once per flow, however often it is resent; an FTP login as FtpControl reads it.
 */
export function reduceWire(fields: string): WireReduction {
  const { mac, packets } = parseWireFields(fields);
  const flows = new Map<string, WireProbe | "theirs">();
  const heardFrom = new Set<string>();
  const http: WireHttpRequest[] = [];
  const dns: WireDnsQuery[] = [];
  const logins: WireLogin[] = [];
  /** The flows an SSH login was counted in: one per connection, however often its line is resent. */
  const sshFlows = new Set<string>();
  /** The flows an SMB login was counted in: the first NTLMSSP_AUTH naming a user (Samba logs an anonymous one only at level 5). */
  const smbFlows = new Set<string>();
  const ftp = new Map<string, FtpControl>();
  const postgresql = new PostgresqlLogins();
  let cut = 0;
  for (const p of packets) {
    if (p.ethDestination !== mac && p.captured < p.length) cut++;
    if (p.source === undefined || p.destination === undefined || p.protocol === undefined) continue;
    // A fragment before the last carries no transport header; tshark shows the reassembled packet on the last one.
    if ((PORTED.has(p.protocol) && p.port === undefined) || (p.protocol === 1 && p.icmpType === undefined))
      continue;
    const ip = p as WirePacket & { source: string; destination: string; protocol: number };
    const outbound = p.ethDestination !== mac;
    const key = flowKey(p, outbound);
    const flow = flows.get(key);
    if (!outbound) {
      heardFrom.add(ip.source);
      if (flow === undefined) flows.set(key, "theirs");
      if (p.ftpReply !== undefined) ftpControl(ftp, key, flow, logins)?.answered(p.ftpReply);
      if (p.pgsql && flow !== undefined && flow !== "theirs") postgresql.answered(key, flow, p.pgsql, logins);
      continue;
    }
    if (flow === undefined) {
      const icmpError = ip.protocol === 1 && !(ip.icmpType !== undefined && ip.icmpType in ICMP_REPLY);
      flows.set(key, icmpError && heardFrom.has(ip.destination) ? "theirs" : probeOf(ip));
    } else if (flow !== "theirs") flows.set(key, { ...flow, packets: flow.packets + 1 });
    // A request cut by the snapshot length is counted (`cut`), not guessed at.
    if (p.http && ip.port !== undefined && p.captured >= p.length)
      http.push({
        source: ip.source,
        sourcePort: ip.sourcePort ?? 0,
        destination: ip.destination,
        port: ip.port,
        ...p.http,
      });
    if (
      p.ssh &&
      ip.protocol === 6 &&
      ip.port !== undefined &&
      flows.get(key) !== "theirs" &&
      !sshFlows.has(key)
    ) {
      sshFlows.add(key);
      logins.push({
        service: "ssh",
        source: ip.source,
        sourcePort: ip.sourcePort ?? 0,
        destination: ip.destination,
        port: ip.port,
        client: p.ssh,
      });
    }
    if (p.ftpCommand)
      ftpControl(ftp, key, flows.get(key), logins)?.sent(p.ftpCommand.name, p.ftpCommand.argument);
    const opened = flows.get(key);
    if (p.ntlmAuthUser && opened !== undefined && opened !== "theirs" && !smbFlows.has(key)) {
      smbFlows.add(key);
      logins.push({
        service: "smb",
        source: opened.source,
        sourcePort: opened.sourcePort ?? 0,
        destination: opened.destination,
        port: opened.port ?? 0,
        client: "NTLMSSP_AUTH",
        user: p.ntlmAuthUser,
      });
    }
    if (p.pgsql && opened !== undefined && opened !== "theirs")
      postgresql.sent(key, opened, p.pgsql.type, logins);
    if (p.dns && ip.port !== undefined && (ip.protocol === 6 || ip.protocol === 17))
      dns.push({
        source: ip.source,
        destination: ip.destination,
        transport: ip.protocol === 6 ? "tcp" : "udp",
        port: ip.port,
        ...p.dns,
      });
  }
  return {
    flows: [...flows.values()].filter((f): f is WireProbe => f !== "theirs"),
    http,
    dns,
    logins,
    cut,
  };
}

const TRANSPORT_PROTOCOL: Readonly<Record<Exclude<Probe["transport"], "ip">, number>> = {
  tcp: 6,
  udp: 17,
  icmp: 1,
  sctp: 132,
};

/** The key a claim is looked up by: destination and protocol, with the port and source port when known. */
function claimKey(destination: string, protocol: number, port?: number, sourcePort?: number): string {
  return `${destination} ${protocol} ${port ?? "*"} ${sourcePort ?? "*"}`;
}

/** Every key a flow answers to: a claim that leaves out the port or the source port matches it too. */
function flowKeys(flows: readonly WireProbe[]): Set<string> {
  const keys = new Set<string>();
  for (const f of flows)
    for (const port of [f.port, undefined])
      for (const sourcePort of [f.sourcePort, undefined])
        keys.add(claimKey(f.destination, f.protocol, port, sourcePort));
  return keys;
}

/** The fields of a web or DNS event the wire shows, read from a decoded request. */
function wireView(r: WireHttpRequest | WireDnsQuery): Record<string, string> {
  if ("name" in r)
    return { "dns.question.name": r.name, "dns.question.type": r.type, "destination.ip": r.destination };
  return {
    "destination.ip": r.destination,
    "http.request.method": r.method,
    "url.original": r.uri,
    "url.path": r.uri.replace(/[?#].*$/, ""),
    ...(r.userAgent === undefined ? {} : { "user_agent.original": r.userAgent }),
  };
}

/** Whether an event names anything a capture shows; a response status alone is no claim about the wire. */
function checkable(e: ExpectedEvent, view: readonly string[]): boolean {
  return Object.keys(e.fields).some((f) => view.includes(f));
}

const WIRE_VIEW_FIELDS = [
  "dns.question.name",
  "dns.question.type",
  "destination.ip",
  "http.request.method",
  "url.original",
  "url.path",
  "user_agent.original",
];

/**
 * The second check: each probe and request the tool's report claims, against every flow and
 * request on the wire (its own segment included). Fields the wire cannot show (a response status)
 * are not compared.
 */
export function checkToolClaims(
  reduction: WireReduction,
  probes: readonly Probe[],
  events: readonly ExpectedEvent[],
): { toolClaims: number; claimsOnWire: number; unseenClaims: string[] } {
  const unseen: string[] = [];
  let claims = 0;
  const flows = flowKeys(reduction.flows);
  for (const p of probes) {
    claims++;
    const protocol = p.transport === "ip" ? (p.ipProtocol ?? -1) : TRANSPORT_PROTOCOL[p.transport];
    if (!flows.has(claimKey(p.destination, protocol, p.port, p.sourcePort)))
      unseen.push(
        `${p.destination}/${p.transport === "ip" ? `protocol ${p.ipProtocol ?? ""}` : p.transport}${p.port === undefined ? "" : `:${p.port}`}`,
      );
  }
  const requests = [...reduction.http, ...reduction.dns].map(wireView);
  const keyOf = (fields: readonly string[], values: Readonly<Record<string, string | number>>) =>
    fields.map((f) => `${f}=${String(values[f])}`).join("\n");
  const bySignature = new Map<string, Set<string>>();
  for (const e of events.filter((ev) => checkable(ev, WIRE_VIEW_FIELDS))) {
    claims++;
    const compared = Object.keys(e.fields)
      .filter((f) => WIRE_VIEW_FIELDS.includes(f))
      .sort();
    const signature = compared.join(",");
    const seen =
      bySignature.get(signature) ??
      new Set(requests.filter((r) => compared.every((f) => f in r)).map((r) => keyOf(compared, r)));
    bySignature.set(signature, seen);
    if (!seen.has(keyOf(compared, e.fields))) unseen.push(describeEvent(e));
  }
  return {
    toolClaims: claims,
    claimsOnWire: claims - unseen.length,
    unseenClaims: unseen.slice(0, UNSEEN_SHOWN),
  };
}

/** A step's wire truth: the flows and requests that crossed the firewall, the capture's counts, the tool's claims checked. */
export function wireTruth(
  reduction: WireReduction,
  scope: WireScope,
  stats: CaptureStats,
  claims: ReturnType<typeof checkToolClaims>,
): WireTruth {
  const crossing = reduction.flows.filter((f) => crossesFirewall(scope, f.destination));
  const labelled = <R extends { destination: string }>(r: R, by: LogSourceName | undefined) =>
    by === undefined ? r : { ...r, loggedBy: by };
  return {
    capture: { ...stats, cut: reduction.cut },
    ...(scope.seenAs === undefined ? {} : { seenAs: scope.seenAs }),
    probes: crossing,
    localFlows: reduction.flows.length - crossing.length,
    http: reduction.http
      .filter((r) => crossesFirewall(scope, r.destination))
      .map((r) => labelled(r, loggedBy(scope, r.destination, "tcp", r.port))),
    dns: reduction.dns
      .filter((q) => crossesFirewall(scope, q.destination))
      .map((q) => labelled(q, loggedBy(scope, q.destination, q.transport, q.port))),
    logins: reduction.logins
      .filter((l) => crossesFirewall(scope, l.destination))
      .map((l) => labelled(l, loggedBy(scope, l.destination, "tcp", l.port))),
    ...claims,
  };
}
