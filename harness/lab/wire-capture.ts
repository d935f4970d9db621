import { join } from "node:path";
import { Wait, type StartedTestContainer } from "testcontainers";
import { ScanproofError } from "../core/errors.js";
import type { StartGuard } from "./egress-guard.js";

/**
 * The bounds of one step's capture. The snapshot length keeps whole packets (a request of
 * several kilobytes included) and cuts only a segmentation-offload burst beyond 64 KiB; a step that
 * sends more than the packet count or the file size is cut there, and its capture says so
 * (`CaptureStats.bounded`).
 */
export const CAPTURE_BOUNDS = { snaplen: 65_535, packets: 2_000_000, kilobytes: 400_000 } as const;

/** What dumpcap recorded of one step: counts from dumpcap itself and the file on the host. */
export interface CaptureStats {
  /** The pcap on the host (in the scenario's work folder). */
  readonly file: string;
  readonly packets: number;
  /** Packets the kernel or dumpcap dropped: the file misses them. */
  readonly dropped: number;
  readonly bytes: number;
  /** The capture stopped at its packet or size bound: packets after it are not in the file. */
  readonly bounded: boolean;
}

/** A capture of one step on one traffic source's lab interface, running until stopped. */
export interface RunningCapture {
  /** Stops the capture; returns its counts and tshark's fields of every packet (`wire-capture fields`). */
  stop(): Promise<{ stats: CaptureStats; fields: string }>;
}

/** The capture sidecar of each traffic source, by source name. */
export type WireCaptures = ReadonlyMap<string, StartedTestContainer>;

/**
 * Starts a netkit sidecar in each traffic source's network namespace, with NET_RAW only and the
 * host folder `folder` as /capture, so a source from any image (with no tcpdump of its own) is captured.
 */
export async function startWireCaptures(
  sources: readonly { name: string; container: StartedTestContainer }[],
  folder: string,
  start: StartGuard,
): Promise<WireCaptures> {
  const started = await Promise.all(
    sources.map(
      async (s): Promise<[string, StartedTestContainer]> => [
        s.name,
        await start(`capture-${s.name}`, (c) =>
          c
            .withNetworkMode(`container:${s.container.getId()}`)
            .withAddedCapabilities("NET_RAW")
            .withBindMounts([{ source: folder, target: "/capture", mode: "rw" }])
            .withCommand(["wire-capture", "idle"])
            .withWaitStrategy(Wait.forLogMessage("wire-capture: ready"))
            .withStartupTimeout(20_000),
        ),
      ],
    ),
  );
  return new Map(started);
}

async function run(sidecar: StartedTestContainer, command: string[], what: string): Promise<string> {
  const result = await sidecar.exec(command);
  if (result.exitCode !== 0)
    throw new ScanproofError(`The packet capture could not ${what}: ${result.output.trim()}`);
  return result.stdout;
}

/** Reads `wire-capture stop`: dumpcap's `Packets received/dropped on interface 'x': R/D …` and `bytes B`. */
export function parseCaptureStop(output: string, file: string): CaptureStats {
  const counts = /received\/dropped on interface '[^']*': (\d+)\/(\d+)/.exec(output);
  const bytes = /^bytes (\d+)$/m.exec(output);
  if (!counts || !bytes)
    throw new ScanproofError(`The packet capture ${file} reported no counts: ${output.trim()}`);
  const packets = Number(counts[1]);
  const size = Number(bytes[1]);
  return {
    file,
    packets,
    dropped: Number(counts[2]),
    bytes: size,
    bounded: packets >= CAPTURE_BOUNDS.packets || size >= CAPTURE_BOUNDS.kilobytes * 1000,
  };
}

/** Starts capturing `iface` of a source into `<folder>/<name>.pcap`; resolves once dumpcap listens. */
export async function startCapture(
  sidecar: StartedTestContainer,
  folder: string,
  name: string,
  iface: string,
): Promise<RunningCapture> {
  const { snaplen, packets, kilobytes } = CAPTURE_BOUNDS;
  await run(
    sidecar,
    ["wire-capture", "start", name, iface, String(snaplen), String(packets), String(kilobytes)],
    `start on ${iface}`,
  );
  return {
    async stop() {
      const file = join(folder, `${name}.pcap`);
      const stats = parseCaptureStop(await run(sidecar, ["wire-capture", "stop", name], "stop"), file);
      return { stats, fields: await run(sidecar, ["wire-capture", "fields", name], `read ${file}`) };
    },
  };
}
