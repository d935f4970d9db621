import { Wait, type StartedTestContainer } from "testcontainers";
import type { LabContainer } from "../docker/lab-container.js";
import { ScanproofError } from "../core/errors.js";

/** Packets a traffic source tried to send outside the lab, dropped by its egress filter. */
export interface EgressDrop {
  readonly source: string;
  /** The destination address, or "other" for frames that carry no IP destination. */
  readonly destination: string;
  readonly packets: number;
}

export interface EgressGuard {
  readonly source: string;
  readonly container: StartedTestContainer;
}

/** How the lab starts a helper container in a host's namespace (registered for teardown). */
export type StartGuard = (
  name: string,
  configure: (c: LabContainer) => LabContainer,
) => Promise<StartedTestContainer>;

/**
 * Starts the packet layer of the scope guarantee: in each traffic source's network namespace, a
 * netkit helper installs a netdev egress filter on every interface that lets only the lab's ranges
 * (and the overlay's own VXLAN datagrams) leave, and stays up to report what it dropped.
 */
export async function startEgressGuards(
  sources: readonly { name: string; container: StartedTestContainer }[],
  subnets: readonly string[],
  start: StartGuard,
): Promise<EgressGuard[]> {
  return Promise.all(
    sources.map(async (s) => ({
      source: s.name,
      container: await start(`egress-${s.name}`, (c) =>
        c
          .withNetworkMode(`container:${s.container.getId()}`)
          .withAddedCapabilities("NET_ADMIN")
          .withCommand(["egress-guard", "install", subnets.join(",")])
          .withWaitStrategy(Wait.forLogMessage("egress-guard: ready"))
          .withStartupTimeout(20_000),
      ),
    })),
  );
}

/** Reads `egress-guard report` lines: `<destination> <packets>`. */
function parseEgressReport(source: string, report: string): EgressDrop[] {
  return report
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((parts): parts is [string, string] => parts.length === 2 && /^\d+$/.test(parts[1] ?? ""))
    .map(([destination, packets]) => ({ source, destination, packets: Number(packets) }))
    .filter((d) => d.packets > 0);
}

async function readGuardDrops(g: EgressGuard): Promise<EgressDrop[]> {
  const result = await g.container.exec(["egress-guard", "report"]);
  if (result.exitCode !== 0)
    throw new ScanproofError(
      `The egress filter of ${g.source} could not report what it dropped: ${result.output.trim()}`,
    );
  return parseEgressReport(g.source, result.output);
}

export async function readEgressDrops(guards: readonly EgressGuard[]): Promise<EgressDrop[]> {
  return (await Promise.all(guards.map(readGuardDrops))).flat();
}

async function guardCommand(g: EgressGuard, command: string[], what: string): Promise<void> {
  const result = await g.container.exec(["egress-guard", ...command]);
  if (result.exitCode !== 0)
    throw new ScanproofError(`The egress filter of ${g.source} could not ${what}: ${result.output.trim()}`);
}

/**
 * Runs `work` while the source's egress filter lets it send only to `destinations` (addresses and
 * `first-last` ranges; ARP only for them and its next hops), then restores the lab's ranges; returns
 * what the work gave and what the filter dropped meanwhile.
 */
export async function withEgressNarrowed<T>(
  g: EgressGuard,
  destinations: readonly string[],
  work: () => Promise<T>,
): Promise<{ result: T; drops: EgressDrop[] }> {
  const before = new Map((await readGuardDrops(g)).map((d) => [d.destination, d.packets]));
  await guardCommand(g, ["narrow", destinations.join(",")], `narrow to ${destinations.join(", ")}`);
  let result: T;
  try {
    result = await work();
  } finally {
    await guardCommand(g, ["widen"], "widen to the lab's ranges again");
  }
  const drops = (await readGuardDrops(g))
    .map((d) => ({ ...d, packets: d.packets - (before.get(d.destination) ?? 0) }))
    .filter((d) => d.packets > 0);
  return { result, drops };
}

/** The error that ends a scenario whose sources sent anything outside the lab. */
export function egressViolation(drops: readonly EgressDrop[], where: string): ScanproofError {
  const shown = drops
    .slice(0, 10)
    .map((d) => `${d.source} → ${d.destination} (${d.packets} packet${d.packets === 1 ? "" : "s"})`);
  return new ScanproofError(
    `${where}: traffic left for addresses outside the lab's networks, and the egress filter dropped it: ${shown.join(", ")}${drops.length > shown.length ? ", …" : ""}. Nothing reached them; the scenario's results are no evidence.`,
    "A tool reached beyond what its arguments showed. Aim the step at lab hosts, or report the tool option that did this.",
  );
}
