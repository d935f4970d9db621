import type { StartedTestContainer } from "testcontainers";
import { docker } from "../docker/client.js";
import { ScanproofError } from "../core/errors.js";

/**
 * Throws, naming each one and how it ended, when a container that scanproof did not stop has
 * stopped (a host that crashed or was killed): results of such a lab are no evidence.
 */
export async function assertAlive(running: ReadonlyMap<string, StartedTestContainer>): Promise<void> {
  const ended = await Promise.all(
    [...running].map(async ([name, container]) => {
      const { State } = await docker().getContainer(container.getId()).inspect();
      if (State.Running) return undefined;
      const how = State.OOMKilled ? "killed for lack of memory" : `exit code ${State.ExitCode}`;
      return `${name} (${how}, at ${State.FinishedAt})`;
    }),
  );
  const dead = ended.filter((e) => e !== undefined);
  if (dead.length > 0)
    throw new ScanproofError(
      `Lab host${dead.length > 1 ? "s" : ""} stopped mid-scenario: ${dead.join("; ")}. What the lab logged since is no evidence either way.`,
      "Read the host's log with `docker logs` (run with --keep-lab to keep the lab), then run the scenario again.",
    );
}

/**
 * Starts `work` once it watches the containers, and settles with it, or throws as `assertAlive`
 * does the moment one stops while it runs.
 */
export async function whileAlive<T>(
  running: ReadonlyMap<string, StartedTestContainer>,
  work: () => Promise<T>,
): Promise<T> {
  const ids = [...running.values()].map((c) => c.getId());
  const events = (await docker().getEvents({
    filters: { container: ids, event: ["die", "oom"] },
  })) as NodeJS.ReadableStream & { destroy(): void };
  const died = new Promise<never>((_, reject) => {
    events.once("data", () => {
      assertAlive(running).then(() => reject(new ScanproofError("A lab host stopped mid-scenario.")), reject);
    });
  });
  died.catch(() => undefined);
  try {
    return await Promise.race([work(), died]);
  } finally {
    events.destroy();
  }
}
