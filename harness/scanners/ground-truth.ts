import type { LogSourceName } from "../core/vocabulary.js";

/** One packet-level probe a tool says it sent: the fields it knows (a port scan knows no source port). */
export interface Probe {
  readonly destination: string;
  readonly transport: "tcp" | "udp" | "icmp";
  readonly port?: number;
  readonly sourcePort?: number;
}

/** An event a log source must hold because a tool says it caused it: ECS field → exact value. */
export interface ExpectedEvent {
  readonly source: LogSourceName;
  readonly fields: Readonly<Record<string, string | number>>;
}

/** What a step did, in the tool's own words: the reference every log source is checked against. */
export interface GroundTruth {
  readonly step: number;
  readonly tool: string;
  readonly command: readonly string[];
  readonly source: string;
  readonly startedAt: string;
  readonly endedAt: string;
  /** Packets the tool sent: every network source (firewall, flows) must show each one. */
  readonly probes: readonly Probe[];
  /** Application-level events the tool caused (a web request, a DNS query). */
  readonly events: readonly ExpectedEvent[];
  readonly summary: string;
  /** The tool's raw output as saved in the run folder. */
  readonly artifact?: string;
}

/** Sources that see every packet crossing the firewall, so every probe is an expected event there. */
const NETWORK_SOURCES: readonly LogSourceName[] = ["firewall", "ids", "flow"];

function probeFields(p: Probe): Record<string, string | number> {
  return {
    "destination.ip": p.destination,
    "network.transport": p.transport,
    ...(p.port === undefined ? {} : { "destination.port": p.port }),
    ...(p.sourcePort === undefined ? {} : { "source.port": p.sourcePort }),
  };
}

/** Every event the steps say `source` must hold, duplicates removed, in first-seen order. */
export function expectedEvents(truths: readonly GroundTruth[], source: LogSourceName): ExpectedEvent[] {
  const all = truths.flatMap((t) => [
    ...(NETWORK_SOURCES.includes(source) ? t.probes.map((p) => ({ source, fields: probeFields(p) })) : []),
    ...t.events.filter((e) => e.source === source),
  ]);
  const seen = new Map<string, ExpectedEvent>();
  for (const e of all) {
    const key = eventKey(e.fields, Object.keys(e.fields));
    if (!seen.has(key)) seen.set(key, e);
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
  if ("destination.ip" in f && "network.transport" in f) {
    const port = f["destination.port"] === undefined ? "" : `:${f["destination.port"]}`;
    const from = f["source.port"] === undefined ? "" : ` from port ${f["source.port"]}`;
    return `${f["destination.ip"]}/${f["network.transport"]}${port}${from}`;
  }
  return Object.entries(f)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}
