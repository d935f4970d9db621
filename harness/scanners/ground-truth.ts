import type { LogSourceName } from "../core/vocabulary.js";

/**
 * One packet-level probe a tool says it sent: the fields it knows (a port scan knows no source port).
 * An IP protocol probe (`nmap -sO`) is transport "ip" with the protocol's number in `ipProtocol`.
 */
export interface Probe {
  readonly destination: string;
  readonly transport: "tcp" | "udp" | "icmp" | "sctp" | "ip";
  readonly ipProtocol?: number;
  readonly port?: number;
  readonly sourcePort?: number;
}

/** An event a log source must hold because a tool says it caused it: ECS field → exact value. */
export interface ExpectedEvent {
  readonly source: LogSourceName;
  readonly fields: Readonly<Record<string, string | number>>;
}

/**
 * The first packet a source sent of one flow that crossed the firewall (a flow is every packet
 * between the same two endpoints and protocol; its first packet is what a firewall sees as new).
 */
export interface WireProbe {
  /** The source address the packet carried: a spoofed or decoy source is its own. */
  readonly source: string;
  readonly destination: string;
  /** The IP protocol number (6 TCP, 17 UDP, 1 ICMP, 132 SCTP, any other for `nmap -sO`). */
  readonly protocol: number;
  readonly port?: number;
  readonly sourcePort?: number;
  /** TCP flags of the first packet as nmap writes them (`S`, `A`, `FA`, `FPU`, `` for none). */
  readonly tcpFlags?: string;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  /** The first SCTP chunk's type (1 INIT, 10 COOKIE ECHO). */
  readonly sctpChunk?: number;
  /** Packets the source sent in this flow (retransmissions, the rest of a connection). */
  readonly packets: number;
}

/** An HTTP request decoded from the capture; `loggedBy` is the log source of the lab service it reached. */
export interface WireHttpRequest {
  readonly source: string;
  readonly sourcePort: number;
  readonly destination: string;
  readonly port: number;
  readonly method: string;
  /** The request target as sent. */
  readonly uri: string;
  readonly host?: string;
  readonly userAgent?: string;
  readonly loggedBy?: LogSourceName;
}

export interface WireDnsQuery {
  readonly source: string;
  readonly destination: string;
  readonly transport: "tcp" | "udp";
  readonly port: number;
  readonly name: string;
  /** The query type's mnemonic as DNS servers log it (`A`, `AXFR`, `TYPE65534`). */
  readonly type: string;
  readonly loggedBy?: LogSourceName;
}

/** The lab services whose logins the capture decodes. */
export type LoginService = "ssh" | "ftp" | "postgresql" | "smb";

/**
 * A login the source attempted, as its capture shows it, one for each record the service writes:
 * - ssh: a connection in which the source sent its identification string (`SSH-2.0-…`). sshd read
 *   it, so sshd logs the connection — a login, a failure, or its close before authentication —
 *   naming the client's address and port. A half-open scan probe or a connection closed before
 *   that line is no login.
 * - ftp: a `PASS` after a `USER`, or a `USER` the server answered 230 (an anonymous login without
 *   password): vsftpd logs one OK or FAIL LOGIN for each, naming the user but no client port
 *   (FtpControl in wire-reduce.ts says which commands are none).
 * - postgresql: a connection in which the client sent its password or SCRAM proof, or the server
 *   let it in: PostgreSQL logs one failed or authorised login, naming the client's port
 *   (PostgresqlLogins in wire-reduce.ts says which connections log none).
 * - smb: a connection in which the client sent an NTLMSSP_AUTH naming a user (a Session Setup):
 *   Samba's auth_audit logs it once with the client's port; an anonymous one (no user) Samba logs
 *   only at debug level 5, so it is none. Further authentications in the same connection are not
 *   counted (a login per connection, like sshd's).
 */
export interface WireLogin {
  readonly service: LoginService;
  readonly source: string;
  readonly sourcePort: number;
  readonly destination: string;
  readonly port: number;
  /** What the client sent that the service logs: its SSH identification string, the FTP command, or the PostgreSQL message carrying its credentials. */
  readonly client: string;
  /** The user the service names in its record (ftp: the USER sent, or `ftp` for an anonymous login). */
  readonly user?: string;
  /** The server's verdict, where its answer reached the wire (ftp: a failure is answered after a delay a client may not wait for). */
  readonly outcome?: "success" | "failure";
  readonly loggedBy?: LogSourceName;
}

/** What the source's capture showed the step sent: the reference every log source is accounted against. */
export interface WireTruth {
  /** The capture file and its counts; `bounded` or `dropped` mean the reference is incomplete. */
  readonly capture: {
    readonly file: string;
    readonly packets: number;
    readonly dropped: number;
    readonly bytes: number;
    readonly bounded: boolean;
    /** Packets the source sent that were longer than the snapshot length: their application data was cut. */
    readonly cut: number;
  };
  /** The address every sensor behind the firewall sees for this source (its NAT router's), when not the one a packet carried. */
  readonly seenAs?: string;
  readonly probes: readonly WireProbe[];
  /** Flows that stayed on the source's own segment: no sensor at the firewall sees them. */
  readonly localFlows: number;
  readonly http: readonly WireHttpRequest[];
  readonly dns: readonly WireDnsQuery[];
  readonly logins: readonly WireLogin[];
  /** The second check: what the tool's report says it sent, and which of those claims the wire does not show. */
  readonly toolClaims: number;
  readonly claimsOnWire: number;
  /** The first claims the wire does not show, described. */
  readonly unseenClaims: readonly string[];
}

/** What a step did: the wire's record when the step was captured, and the tool's own report. */
export interface GroundTruth {
  readonly step: number;
  readonly tool: string;
  readonly command: readonly string[];
  readonly source: string;
  readonly startedAt: string;
  readonly endedAt: string;
  /** Packets the tool reports it sent (none for a tool that reports nothing). */
  readonly probes: readonly Probe[];
  /** Application-level events the tool reports it caused (a web request, a DNS query). */
  readonly events: readonly ExpectedEvent[];
  /** What the capture of the step's source showed it sent: when present, the accounting's reference. */
  readonly wire?: WireTruth;
  readonly summary: string;
  /** The tool's raw output as saved in the run folder. */
  readonly artifact?: string;
}

/** Sources that see every packet crossing the firewall, so every probe is an expected event there. */
const NETWORK_SOURCES: readonly LogSourceName[] = ["firewall", "ids", "flow"];

/** An event a source must hold, and the source address it must be recorded from. */
export interface AccountedEvent extends ExpectedEvent {
  readonly from: string;
  /**
   * A record that shows the event arrived when the sensor could not log it in full: a request
   * nginx refused to parse is logged on its connection with an empty target.
   */
  readonly fallback?: Readonly<Record<string, string | number>>;
  /** Each occurrence is a record of its own (a login the service logs once per attempt): n equal events need n records. */
  readonly each?: true;
}

function probeFields(p: Probe): Record<string, string | number> {
  return {
    "destination.ip": p.destination,
    ...(p.transport === "ip"
      ? { "network.iana_number": p.ipProtocol ?? 0 }
      : { "network.transport": p.transport }),
    ...(p.port === undefined ? {} : { "destination.port": p.port }),
    ...(p.sourcePort === undefined ? {} : { "source.port": p.sourcePort }),
  };
}

const TRANSPORT_BY_PROTOCOL: Readonly<Record<number, Probe["transport"]>> = {
  1: "icmp",
  6: "tcp",
  17: "udp",
  132: "sctp",
};

/** The transports whose ports each network sensor records: the firewall logs SCTP's too. */
const PORTED: Readonly<Record<string, readonly string[]>> = {
  firewall: ["tcp", "udp", "sctp"],
  ids: ["tcp", "udp"],
  flow: ["tcp", "udp"],
};

/**
 * The fields of a wire probe a network sensor records: destination, transport (or the protocol
 * number for any protocol without a name here) and, where the sensor logs them, both ports — the
 * source port only when the packet keeps it past the firewall (a NAT router may rewrite it).
 */
export function wireProbeFields(
  p: WireProbe,
  keepsSourcePort: boolean,
  sensor: LogSourceName = "firewall",
): Record<string, string | number> {
  const named = TRANSPORT_BY_PROTOCOL[p.protocol];
  const transport = named === "sctp" && !(PORTED[sensor] ?? []).includes("sctp") ? undefined : named;
  const ported = transport !== undefined && (PORTED[sensor] ?? []).includes(transport);
  return {
    "destination.ip": p.destination,
    ...(transport ? { "network.transport": transport } : { "network.iana_number": p.protocol }),
    ...(ported && p.port !== undefined ? { "destination.port": p.port } : {}),
    ...(ported && keepsSourcePort && p.sourcePort !== undefined ? { "source.port": p.sourcePort } : {}),
  };
}

/** The `Host` of a request as a web server logs it: lower case, without a port. */
function loggedHost(host: string): string {
  return host.toLowerCase().replace(/:\d+$/, "");
}

/**
 * What tshark prints for each byte above 0x7F of a request target (it renders the request line as
 * ASCII): a target with such bytes (nikto's `/administração/`) cannot be compared with the one the
 * web server logged, so its request is found by its connection and method instead.
 */
const UNRENDERED = "\uFFFD";

function httpFields(r: WireHttpRequest): Record<string, string | number> {
  const host = r.host === undefined ? "" : loggedHost(r.host);
  return {
    "destination.ip": r.destination,
    "http.request.method": r.method,
    "url.original": r.uri,
    ...(host === "" ? {} : { "url.domain": host }),
  };
}

/**
 * The record a service writes for a login: sshd and PostgreSQL name the client's port (kept when
 * no NAT router rewrites it); vsftpd names none, so each of its logins is counted (`each`) rather
 * than told apart, as PostgreSQL's are when the port is not kept (a login each connection). The
 * outcome is not compared: the wire does not show it for every login.
 */
function loginEvent(l: WireLogin, source: LogSourceName, from: string, w: WireTruth): AccountedEvent {
  const port = w.seenAs === undefined ? { "source.port": l.sourcePort } : {};
  const record = (fields: Record<string, string | number>, each: boolean): AccountedEvent => ({
    source,
    from,
    ...(each ? { each: true } : {}),
    fields: { "destination.ip": l.destination, ...fields },
  });
  switch (l.service) {
    case "ssh":
      return record(port, false);
    case "smb":
      return record({ "event.action": "smb_login", ...userName(l.user), ...port }, false);
    case "postgresql":
      return record({ "event.action": "postgresql_login", ...port }, true);
    case "ftp": {
      // vsftpd logs RFC 1635's anonymous users as its ftp_username, and the shipper marks them so.
      const anonymous = ["anonymous", "ftp"].includes(l.user?.toLowerCase() ?? "");
      return record(
        {
          "event.action": anonymous ? "ftp_anonymous_login" : "ftp_login",
          ...userName(anonymous ? "ftp" : l.user),
        },
        true,
      );
    }
  }
}

function userName(user: string | undefined): Record<string, string> {
  return user === undefined ? {} : { "user.name": user };
}

/** What the wire says `source` must hold: probes at the network sensors, requests at the service that logs them. */
function wireEvents(w: WireTruth, source: LogSourceName): AccountedEvent[] {
  const from = (carried: string) => w.seenAs ?? carried;
  if (NETWORK_SOURCES.includes(source))
    return w.probes.map((p) => ({
      source,
      from: from(p.source),
      fields: wireProbeFields(p, w.seenAs === undefined, source),
    }));
  return [
    ...w.http
      .filter((r) => r.loggedBy === source)
      .map((r) => ({
        source,
        from: from(r.source),
        fields: httpFields(r),
        fallback: {
          "destination.ip": r.destination,
          ...(w.seenAs === undefined ? { "source.port": r.sourcePort } : {}),
          ...(r.uri.includes(UNRENDERED) ? { "http.request.method": r.method } : { "url.original": "" }),
        },
      })),
    ...w.dns
      .filter((q) => q.loggedBy === source)
      .map((q) => ({
        source,
        from: from(q.source),
        fields: { "dns.question.name": q.name, "dns.question.type": q.type },
      })),
    ...w.logins.filter((l) => l.loggedBy === source).map((l) => loginEvent(l, source, from(l.source), w)),
  ];
}

/** What the tool's report says `source` must hold, when the step was not captured. */
function reportedEvents(t: GroundTruth, source: LogSourceName): AccountedEvent[] {
  return [
    ...(NETWORK_SOURCES.includes(source)
      ? t.probes.map((p) => ({ source, from: t.source, fields: probeFields(p) }))
      : []),
    ...t.events.filter((e) => e.source === source).map((e) => ({ ...e, from: t.source })),
  ];
}

/**
 * Every event the steps say `source` must hold, duplicates removed (but for events counted `each`), in first-seen order: what the
 * wire showed for a captured step, what the tool reported for one that was not (a containment).
 */
export function expectedEvents(truths: readonly GroundTruth[], source: LogSourceName): AccountedEvent[] {
  const seen = new Map<string, AccountedEvent>();
  const occurrences = new Map<string, number>();
  for (const t of truths)
    for (const e of t.wire ? wireEvents(t.wire, source) : reportedEvents(t, source)) {
      const key = `${e.from} ${eventKey(e.fields, Object.keys(e.fields))}`;
      const n = e.each ? (occurrences.get(key) ?? 0) + 1 : 0;
      occurrences.set(key, n);
      if (!seen.has(`${key} ${n}`)) seen.set(`${key} ${n}`, e);
    }
  return [...seen.values()];
}

/** The same key for an expected event and an observed one with equal values in these fields. */
export function eventKey(fields: Readonly<Record<string, unknown>>, names: readonly string[]): string {
  return [...names]
    .sort()
    .map((n) => {
      const v = fields[n];
      return `${n}=${typeof v === "string" || typeof v === "number" ? String(v) : ""}`;
    })
    .join("|");
}

export function describeEvent(e: ExpectedEvent): string {
  const f = e.fields;
  const transport =
    f["network.transport"] ??
    (f["network.iana_number"] === undefined ? undefined : `proto ${f["network.iana_number"]}`);
  if ("destination.ip" in f && transport !== undefined) {
    const port = f["destination.port"] === undefined ? "" : `:${f["destination.port"]}`;
    const from = f["source.port"] === undefined ? "" : ` from port ${f["source.port"]}`;
    return `${f["destination.ip"]}/${transport}${port}${from}`;
  }
  return Object.entries(f)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * What a step's capture says beyond the accounting, one line each: a capture that stopped at its
 * bound or dropped packets (the reference is incomplete), packets cut by the snapshot length, and
 * claims of the tool's report that the wire does not show. None for a step whose capture is whole
 * and agrees with the tool.
 */
export function wireFindings(t: GroundTruth): string[] {
  const w = t.wire;
  if (!w) return [];
  const step = `step ${t.step + 1} (${t.tool})`;
  const c = w.capture;
  return [
    ...(c.bounded
      ? [
          `${step}: the capture stopped at its bound (${plural(c.packets, "packet")}, ${c.bytes} bytes): the reference holds only what was sent before it`,
        ]
      : []),
    ...(c.dropped > 0
      ? [`${step}: the capture dropped ${plural(c.dropped, "packet")}: the reference misses them`]
      : []),
    ...(c.cut > 0
      ? [
          `${step}: ${plural(c.cut, "packet")} sent were longer than the capture's snapshot length: requests in them may be decoded incompletely`,
        ]
      : []),
    ...(w.claimsOnWire < w.toolClaims
      ? [
          `${step}: the wire does not show ${w.toolClaims - w.claimsOnWire} of the tool report's ${plural(w.toolClaims, "claim")} (probes and requests): ${w.unseenClaims.join(", ")}${w.toolClaims - w.claimsOnWire > w.unseenClaims.length ? ", …" : ""}`,
        ]
      : []),
  ];
}
