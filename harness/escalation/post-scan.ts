import { inRanges } from "../context/context.js";
import type { FlowEvent, LoginEvent, PostScanEvents, RecordedEvent } from "./post-scan-events.js";

/** The stored events a finding rests on: the index, the first document ids, how many and when. */
export interface Evidence {
  readonly index: string;
  readonly ids: readonly string[];
  readonly events: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

export const POST_SCAN_KINDS = ["login", "outbound", "exfiltration"] as const;
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

/** Evidence ids shown per index: enough to open the events, few enough to read. */
const IDS_SHOWN = 5;

/**
 * What followed the scan, per scanned host:
 * - login: the source tried to authenticate to it (any attempt: a scanner does not log in, so an
 *   attempt is already a step beyond reconnaissance), with how many failed and who got in;
 * - outbound: it opened a connection (see `opened`) to the scanning source or to an address outside
 *   the internal networks, a peer it never connected to in its history — a server calling back is
 *   what a reverse shell or an implant does;
 * - exfiltration: one connection with the source carried at least `min_bytes` from the host to it
 *   (far more than the banners and pages a scan's probes are answered with) and more than the host
 *   ever sent in one connection in its history.
 */
export function findPostScanActivity(events: PostScanEvents, scope: PostScanScope): PostScanFinding[] {
  const baseline = new Map(events.baseline.map((b) => [b.host, b]));
  return events.scanned.flatMap((host) => [
    ...loginFinding(
      host,
      events.logins.filter((l) => l.destination === host && l.source === scope.source),
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
      ? `${accepted.length} accepted (${[...new Set(accepted.map((l) => `${l.user ?? "?"} by ${l.method ?? "?"}`))].join(", ")}) first at ${accepted[0]?.at ?? "?"}`
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
