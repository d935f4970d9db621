import { Readable, Writable } from "node:stream";
import { docker, LABEL_ROLE } from "../../harness/docker/client.js";
import type { LabelSelector } from "./container-peaks.js";

export interface LogCollector {
  /** Stops looking for containers; returns each container's output so far, by the last part of its name. */
  stop(): Promise<Record<string, string>>;
}

const LOOKUP_INTERVAL_MS = 1000;

/**
 * Follows the output of every container that carries `selector` and one of `roles`, from its start
 * until it stops or `stop` is called. Lab containers are removed at teardown, and with them the only
 * record of what their sensors said about drops, so the output is kept while they run.
 */
export function collectLogs(selector: LabelSelector, roles: readonly string[]): LogCollector {
  const texts = new Map<string, string[]>();
  const streams: NodeJS.ReadableStream[] = [];
  const followed = new Set<string>();
  const follow = async (): Promise<void> => {
    const label = Object.entries(selector).map(([key, value]) => `${key}=${value}`);
    for (const info of await docker().listContainers({ filters: { label } })) {
      if (followed.has(info.Id) || !roles.includes(info.Labels[LABEL_ROLE] ?? "")) continue;
      followed.add(info.Id);
      const name = (info.Names[0] ?? info.Id).split("-").at(-1) ?? info.Id;
      const chunks: string[] = [];
      texts.set(name, chunks);
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk.toString("utf8"));
          done();
        },
      });
      const stream = await docker().getContainer(info.Id).logs({ follow: true, stdout: true, stderr: true });
      streams.push(stream);
      docker().modem.demuxStream(stream, sink, sink);
    }
  };
  let lookup = follow().catch(() => undefined);
  const timer = setInterval(() => {
    lookup = lookup.then(follow).catch(() => undefined);
  }, LOOKUP_INTERVAL_MS);
  return {
    async stop() {
      clearInterval(timer);
      await lookup;
      for (const stream of streams) if (stream instanceof Readable) stream.destroy();
      return Object.fromEntries([...texts].map(([name, chunks]) => [name, chunks.join("")]));
    },
  };
}

/** Lines in which a sensor or the kernel says it lost, dropped or exported records, each once. */
export function lossEvidence(output: string): string[] {
  const lines = output
    .split(/\r?\n/)
    .map((line) => line.replace(/^\S+ \S+ \d+ [\d:]+ \d{4} <\d> /, "").trim())
    .filter((line) => /los(t|ing)|drop|exported/i.test(line));
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  return [...counts].map(([line, n]) => (n > 1 ? `${line} (×${n})` : line));
}
