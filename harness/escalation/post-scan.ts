import { inRanges } from "../context/context.js";
import type {
  AnsweredService,
  FlowEvent,
  LoginEvent,
  PostScanEvents,
  RecordedEvent,
  WebRequest,
} from "./post-scan-events.js";

/** The stored events a finding rests on: the index, the first document ids, how many and when. */
export interface Evidence {
  readonly index: string;
  readonly ids: readonly string[];
  readonly events: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

export const POST_SCAN_KINDS = ["login", "outbound", "exfiltration", "follow-up"] as const;
export type PostScanKind = (typeof POST_SCAN_KINDS)[number];

/** Something the source or a scanned host did after the scan, with the events that show it. */
export interface PostScanFinding {
  readonly kind: PostScanKind;
  /** The scanned host it concerns. */
  readonly host: string;
  readonly summary: string;
  readonly evidence: readonly Evidence[];
}

export interface PostScanScope {
  readonly source: string;
  readonly internalNetworks: readonly string[];
  readonly minTransferBytes: number;
  /** The ports client sockets are bound to (`post_scan.ephemeral_ports`). */
  readonly ephemeralPorts: { readonly from: number; readonly to: number };
}

/**
 * Logins that use no credential: anonymous FTP (RFC 1635) is public access, and nmap's ftp-anon
 * script tries it in an ordinary script scan (`-sC`, `-A`).
 */
const PUBLIC_ACCESS: ReadonlySet<string> = new Set(["ftp_anonymous_login"]);

/** Evidence ids shown per index: enough to open the events, few enough to read. */
const IDS_SHOWN = 5;
/** Paths and services named in a follow-up's summary; the rest are counted. */
const USES_SHOWN = 10;

/**
 * Whether a web server's answer shows the path exists: what wordlist scanners (ffuf, gobuster,
 * dirb) report as a hit — any success or redirect, and 401 and 403 (the path is there, only
 * closed). 404, 400, 405 and server errors show nothing found.
 */
export function pathFound(status: number): boolean {
  return (status >= 200 && status < 400) || status === 401 || status === 403;
}

/**
 * What followed the scan, per scanned host:
 * - login: the source tried to authenticate to it (any attempt: a scanner does not log in, so an
 *   attempt is already a step beyond reconnaissance), with how many failed and who got in;
 * - outbound: it opened a connection (see `opened`) to the scanning source or to an address outside
 *   the internal networks, a peer it never connected to in its history — a server calling back is
 *   what a reverse shell or an implant does;
 * - exfiltration: one connection with the source carried at least `min_bytes` from the host to it
 *   (far more than the banners and pages a scan's probes are answered with) and more than the host
 *   ever sent in one connection in its history;
 * - follow-up: after the scan's last event the source used what the scan found on it (see
 *   `followUpFinding`).
 */
export function findPostScanActivity(events: PostScanEvents, scope: PostScanScope): PostScanFinding[] {
  const baseline = new Map(events.baseline.map((b) => [b.host, b]));
  return events.scanned.flatMap((host) => [
    ...loginFinding(
      host,
      events.logins.filter(
        (l) => l.destination === host && l.source === scope.source && !PUBLIC_ACCESS.has(l.action),
      ),
    ),
    ...outboundFinding(
      host,
      events.flows.filter(
        (f) =>
          f.source === host &&
          opened(f, scope.ephemeralPorts) &&
          (f.destination === scope.source || !inRanges(f.destination, scope.internalNetworks)) &&
          !(baseline.get(host)?.peers ?? []).includes(f.destination),
      ),
      scope.source,
    ),
    ...exfiltrationFinding(host, events.flows, scope, baseline.get(host)?.largestTransfer ?? 0),
    ...followUpFinding(host, events, scope.source),
  ]);
}

/**
 * Whether the flow's source opened it. TCP: it sent the SYN, and a SYN/ACK nobody answered is a host
 * answering a probe, not opening. UDP: a record with both directions names as source the side whose
 * first packet came first (pair-flows.awk compares softflowd's per-direction start times). A
 * one-sided record only says which side was heard, and a reply whose request the sensor did not
 * pair (a multicast SSDP or mDNS query, a probe from another batch) is one too: a client socket sends
 * from an ephemeral port to a service port, so it counts only when its source port is ephemeral and
 * its destination port lower — a service on 1900, 5060 or 11211 replying to a scanner's high port is
 * neither.
 */
export function opened(f: FlowEvent, ephemeral: PostScanScope["ephemeralPorts"]): boolean {
  const flags = f.tcpFlags ?? "";
  if (f.transport === "tcp") return flags.includes("S") && (!flags.includes("A") || f.destinationBytes > 0);
  if (f.transport !== "udp") return false;
  if (f.destinationPackets > 0) return true;
  const from = f.sourcePort ?? 0;
  return (
    from >= ephemeral.from && from <= ephemeral.to && (f.destinationPort ?? Number.MAX_SAFE_INTEGER) < from
  );
}

function loginFinding(host: string, logins: readonly LoginEvent[]): PostScanFinding[] {
  if (logins.length === 0) return [];
  const accepted = logins.filter((l) => l.outcome === "success");
  const failed = logins.filter((l) => l.outcome === "failure");
  const users = [...new Set(logins.map((l) => l.user).filter((u) => u !== undefined))];
  const services = [...new Set(logins.map((l) => l.service))].join(", ");
  const outcome = [
    `${failed.length} failed`,
    accepted.length > 0
      ? `${accepted.length} accepted (${[...new Set(accepted.map((l) => `${l.user ?? "?"}${l.method === undefined ? "" : ` by ${l.method}`}`))].join(", ")}) first at ${accepted[0]?.at ?? "?"}`
      : "none accepted",
  ].join(", ");
  return [
    {
      kind: "login",
      host,
      summary: `${plural(logins.length, "login attempt")} on ${host} (${services}) as ${users.join(", ") || "?"}: ${outcome}`,
      evidence: evidenceOf(logins),
    },
  ];
}

function outboundFinding(host: string, flows: readonly FlowEvent[], scanner: string): PostScanFinding[] {
  if (flows.length === 0) return [];
  const peers = [
    ...new Set(
      flows.map(
        (f) =>
          `${f.destination === scanner ? "the scanning source " : ""}${f.destination}${f.destinationPort === undefined ? "" : `:${f.destinationPort}/${f.transport}`}`,
      ),
    ),
  ];
  return [
    {
      kind: "outbound",
      host,
      summary: `${host} opened ${plural(flows.length, "connection")} to ${peers.join(", ")}`,
      evidence: evidenceOf(flows),
    },
  ];
}

function exfiltrationFinding(
  host: string,
  flows: readonly FlowEvent[],
  scope: PostScanScope,
  largestBefore: number,
): PostScanFinding[] {
  const large = flows
    .map((f) => ({ flow: f, bytes: bytesFromHost(f, host, scope.source) }))
    .filter((t) => t.bytes >= scope.minTransferBytes && t.bytes > largestBefore);
  if (large.length === 0) return [];
  const total = large.reduce((n, t) => n + t.bytes, 0);
  const largest = Math.max(...large.map((t) => t.bytes));
  return [
    {
      kind: "exfiltration",
      host,
      summary: `${host} sent ${formatBytes(total)} to ${scope.source} in ${plural(large.length, "connection")} (largest ${formatBytes(largest)}; at least ${formatBytes(scope.minTransferBytes)} in one connection is a transfer, not an answer to a probe; the most it sent in one connection before: ${largestBefore === 0 ? "nothing recorded" : formatBytes(largestBefore)})`,
      evidence: evidenceOf(large.map((t) => t.flow)),
    },
  ];
}

/**
 * The source used, strictly after the scan's last event, what the scan found on the host:
 * - a path the scan found (a web request of the scan answered with a status `pathFound` takes),
 *   requested again with any method, the query string aside;
 * - a service that answered the scan (NetFlow), in a connection that completed and carried data
 *   both ways (`completed`). A service the source sent web requests to, in the scan or after it, is
 *   judged by its paths instead: a web server's answers say which paths a scan found, and its log
 *   says what was asked, so a request for a page the scan never found (the home page, a download,
 *   another scanner's wordlist) is no return to a finding. A service the source logged in to is the
 *   login finding's, which names users and outcomes.
 */
function followUpFinding(host: string, events: PostScanEvents, source: string): PostScanFinding[] {
  const scanStart = Date.parse(events.window.gte);
  const scanEnd = Date.parse(events.scanEnd);
  const during = (e: { readonly at: string }) => Date.parse(e.at) >= scanStart && Date.parse(e.at) <= scanEnd;
  const after = (e: RecordedEvent) => Date.parse(e.at) > scanEnd;
  const fromSource = (e: RecordedEvent) => e.source === source && e.destination === host;
  const found = new Map<string, WebRequest>();
  for (const r of [...events.requests].sort(byTime))
    if (fromSource(r) && during(r) && pathFound(r.status) && !found.has(r.path)) found.set(r.path, r);
  const requests = events.requests.filter((r) => fromSource(r) && after(r) && found.has(r.path));
  const judgedElsewhere = new Set(
    [
      ...events.webScanned.filter((s) => s.host === host).map((s) => s.port),
      ...events.logins
        .filter((l) => fromSource(l) && !PUBLIC_ACCESS.has(l.action))
        .flatMap((l) => l.destinationPort ?? []),
    ].map((port) => `${port}/tcp`),
  );
  const services = new Map<string, AnsweredService>();
  for (const s of [...(events.answered ?? [])].sort(byTime))
    if (s.host === host && during(s) && !judgedElsewhere.has(`${s.port}/${s.transport}`))
      if (!services.has(`${s.port}/${s.transport}`)) services.set(`${s.port}/${s.transport}`, s);
  const connections = events.connections.filter(
    (c) => fromSource(c) && after(c) && completed(c) && services.has(`${c.destinationPort}/${c.transport}`),
  );
  if (requests.length === 0 && connections.length === 0) return [];
  const uses = [
    ...usesOf(requests, (r) => r.path).map(([path, list]) => {
      const hit = found.get(path);
      return `path ${path} (found ${hit?.at ?? "?"}, ${hit?.status ?? "?"}) requested ${times(list)}`;
    }),
    ...usesOf(connections, (c) => `${c.destinationPort}/${c.transport}`).map(
      ([service, list]) =>
        `service ${service} (answered ${services.get(service)?.at ?? "?"}) used in ${plural(list.length, "connection")} from ${list[0]?.at ?? "?"}`,
    ),
  ];
  return [
    {
      kind: "follow-up",
      host,
      summary: `${source} used what the scan found on ${host}: ${uses.slice(0, USES_SHOWN).join("; ")}${uses.length > USES_SHOWN ? `; and ${uses.length - USES_SHOWN} more` : ""}`,
      evidence: evidenceOf([...requests, ...connections]),
    },
  ];
}

/**
 * A connection that completed and carried data both ways. TCP: the source's flags hold the SYN, the
 * ACK of the handshake and a push of data, and the answer's a push of data (a probe that only
 * completes the handshake, or reads a banner without sending, is none). UDP: anything came back.
 */
export function completed(f: FlowEvent): boolean {
  if (f.transport === "udp") return f.destinationPackets > 0;
  if (f.transport !== "tcp") return false;
  const opener = f.tcpFlags ?? "";
  return ["S", "A", "P"].every((flag) => opener.includes(flag)) && (f.replyFlags ?? "").includes("P");
}

function usesOf<T extends RecordedEvent>(events: readonly T[], key: (e: T) => string): [string, T[]][] {
  const byKey = new Map<string, T[]>();
  for (const e of [...events].sort(byTime)) byKey.set(key(e), [...(byKey.get(key(e)) ?? []), e]);
  return [...byKey];
}

function times(list: readonly RecordedEvent[]): string {
  const first = list[0]?.at ?? "?";
  return list.length === 1 ? `at ${first}` : `${list.length} times from ${first}`;
}

function byTime(a: { readonly at: string }, b: { readonly at: string }): number {
  return Date.parse(a.at) - Date.parse(b.at);
}

/** What the host sent the source in one connection, whichever side opened it; 0 between others. */
function bytesFromHost(f: FlowEvent, host: string, source: string): number {
  if (f.source === source && f.destination === host) return f.destinationBytes;
  if (f.source === host && f.destination === source) return f.sourceBytes;
  return 0;
}

/** The events' evidence, one entry per index, in time order. */
export function evidenceOf(events: readonly RecordedEvent[]): Evidence[] {
  const byIndex = new Map<string, RecordedEvent[]>();
  for (const e of [...events].sort((a, b) => a.at.localeCompare(b.at)))
    byIndex.set(e.index, [...(byIndex.get(e.index) ?? []), e]);
  return [...byIndex].map(([index, list]) => ({
    index,
    ids: list.slice(0, IDS_SHOWN).map((e) => e.id),
    events: list.length,
    firstSeen: list[0]?.at ?? "",
    lastSeen: list[list.length - 1]?.at ?? "",
  }));
}

/** Evidence as one line: index, ids (the first few of how many), from and to. */
export function describeEvidence(evidence: readonly Evidence[]): string {
  return evidence
    .map(
      (e) =>
        `${e.index} ${e.ids.join(", ")}${e.events > e.ids.length ? ` (first ${e.ids.length} of ${e.events})` : ""}, ${e.firstSeen}${e.lastSeen === e.firstSeen ? "" : ` to ${e.lastSeen}`}`,
    )
    .join("; ");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function formatBytes(n: number): string {
  if (n >= 1_048_576) return `${(n / 1_048_576).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
