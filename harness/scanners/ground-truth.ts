/** One thing a tool says it sent: the fields it knows (a port scan knows no source port). */
export interface Probe {
  readonly destination: string;
  readonly transport: "tcp" | "udp" | "icmp";
  readonly port?: number;
  readonly sourcePort?: number;
}

/** What a step did, in the tool's own words: the reference every log source is checked against. */
export interface GroundTruth {
  readonly step: number;
  readonly tool: string;
  readonly command: readonly string[];
  readonly source: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly probes: readonly Probe[];
  readonly summary: string;
  /** The tool's raw output as saved in the run folder. */
  readonly artifact?: string;
}

export function probeKey(p: Probe): string {
  return [p.destination, p.transport, p.port ?? "", p.sourcePort ?? ""].join("|");
}

/** The probes with duplicates removed, in first-seen order. */
export function distinctProbes(probes: readonly Probe[]): Probe[] {
  const seen = new Map<string, Probe>();
  for (const p of probes) if (!seen.has(probeKey(p))) seen.set(probeKey(p), p);
  return [...seen.values()];
}
