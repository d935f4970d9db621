import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "../../harness/backend/backend.js";
import { requireDocker } from "../../harness/docker/client.js";
import { Teardown, withTeardown } from "../../harness/core/lifecycle.js";
import { pruneRun } from "../../harness/lab/prune.js";
import { newRunId, openBackend } from "../../harness/run/run-scenarios.js";
import { describeMachine, loadAverage1m, type LoadAverage, type Machine } from "./machine.js";

/** What every bench records about where and when it ran. */
export interface BenchHeader {
  readonly date: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly machine: Machine;
  readonly load1m: LoadAverage;
}

export interface BenchSession {
  readonly date: string;
  readonly teardown: Teardown;
  /** A scratch folder removed when the bench ends. */
  readonly scratch: string;
  /** One Elasticsearch for the whole bench, started on first use; its containers carry `backendRunId`. */
  backend(): Promise<Backend>;
  readonly backendRunId: string;
  /** The header as of now: call it when the measurements are done. */
  header(): BenchHeader;
}

/**
 * Runs one bench with everything it starts registered for teardown (also on Ctrl-C), and the
 * machine and its load recorded at the start.
 */
export async function benchSession<T>(name: string, work: (session: BenchSession) => Promise<T>): Promise<T> {
  const startedAt = new Date();
  const loadAtStart = loadAverage1m();
  const teardown = new Teardown();
  return withTeardown(teardown, async () => {
    await requireDocker();
    const machine = await describeMachine();
    const scratch = mkdtempSync(join(tmpdir(), `scanproof-bench-${name}-`));
    teardown.defer("remove the bench's scratch folder", () => rm(scratch, { recursive: true, force: true }));
    const backendRunId = `bench-${newRunId()}`;
    teardown.defer(`remove anything else labelled with run ${backendRunId}`, () => pruneRun(backendRunId));
    let backend: Promise<Backend> | undefined;
    return work({
      date: startedAt.toISOString().slice(0, 10),
      teardown,
      scratch,
      backendRunId,
      backend: () => (backend ??= openBackend(backendRunId, teardown)),
      header: () => ({
        date: startedAt.toISOString().slice(0, 10),
        startedAt: startedAt.toISOString(),
        endedAt: new Date().toISOString(),
        machine,
        load1m: { start: loadAtStart, end: loadAverage1m() },
      }),
    });
  });
}
