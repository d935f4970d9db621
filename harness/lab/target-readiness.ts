import type { StartedTestContainer } from "testcontainers";
import { ScanproofError } from "../core/errors.js";
import { docker } from "../docker/client.js";
import { waitFor } from "../core/wait.js";
import type { PortTransport } from "./spec.js";
import type { PlannedTarget } from "./topology.js";

const READY_TIMEOUT_MS = 60_000;

/** TCP sockets in state LISTEN (0A) and unconnected UDP sockets (07) of /proc/net/{tcp,udp}{,6}. */
const LISTENING_STATE = { tcp: "0A", udp: "07" } as const;

/** The ports with a listening socket, as "port/transport", read from the kernel's socket tables. */
export function listeningPorts(tables: Readonly<Record<"tcp" | "udp", string>>): Set<string> {
  const listening = new Set<string>();
  for (const transport of ["tcp", "udp"] as const) {
    for (const line of tables[transport].split("\n")) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (local === undefined || fields[3] !== LISTENING_STATE[transport]) continue;
      const port = Number.parseInt(local.split(":").pop() ?? "", 16);
      if (Number.isInteger(port)) listening.add(`${port}/${transport}`);
    }
  }
  return listening;
}

async function socketTables(container: StartedTestContainer): Promise<Record<"tcp" | "udp", string>> {
  const read = async (files: string[]) => {
    const result = await container.exec(["cat", ...files]);
    if (result.exitCode !== 0)
      throw new ScanproofError(
        `Reading ${files.join(" ")} in ${container.getName()} failed: ${result.output.trim()}`,
        "A target image needs `cat` for its port readiness check; or give the target a `ready: { command: [...] }`.",
      );
    return result.stdout;
  };
  return {
    tcp: await read(["/proc/net/tcp", "/proc/net/tcp6"]),
    udp: await read(["/proc/net/udp", "/proc/net/udp6"]),
  };
}

async function missingPorts(
  container: StartedTestContainer,
  ports: readonly PortTransport[],
): Promise<string[]> {
  const listening = listeningPorts(await socketTables(container));
  return ports.map((p) => `${p.port}/${p.transport}`).filter((p) => !listening.has(p));
}

/**
 * Waits until a started target serves: every port of its readiness check has a listening socket in
 * its namespace, or its readiness command exits 0. Fails naming what never came up, with the
 * container's last output.
 */
export async function awaitTargetReady(
  target: PlannedTarget,
  container: StartedTestContainer,
): Promise<void> {
  const { ready } = target;
  let last = "";
  try {
    await waitFor(
      `${target.name} to be ready`,
      async () => {
        const { State } = await docker().getContainer(container.getId()).inspect();
        if (!State.Running) throw await exited(target, container, State.ExitCode);
        if ("command" in ready) {
          const result = await container.exec([...ready.command]);
          last = `\`${ready.command.join(" ")}\` exited ${result.exitCode}: ${result.output.trim().slice(-300)}`;
          return result.exitCode === 0;
        }
        const missing = await missingPorts(container, ready.listening);
        last = `not listening: ${missing.join(", ")}`;
        return missing.length === 0;
      },
      READY_TIMEOUT_MS,
      { intervalMs: 200 },
    );
  } catch (error) {
    if (!(error instanceof ScanproofError) || !error.message.startsWith("Timed out")) throw error;
    const logs = await containerOutput(container);
    throw new ScanproofError(
      `Target ${target.name} (${target.kind}) did not become ready within ${READY_TIMEOUT_MS / 1000} s (${last}).${logs ? `\nIts last output:\n${logs}` : ""}`,
      target.kind === "custom"
        ? "Check the image's command and the target's `ports` and `ready` in the scenario."
        : `Check containers/${target.kind}/ (run with --keep-lab and read \`docker logs\`).`,
    );
  }
}

async function exited(
  target: PlannedTarget,
  container: StartedTestContainer,
  code: number,
): Promise<ScanproofError> {
  const logs = await containerOutput(container);
  return new ScanproofError(
    `Target ${target.name} (${target.kind}) exited with code ${code} before it was ready.${logs ? `\nIts last output:\n${logs}` : ""}`,
    target.kind === "custom"
      ? "Check the image's command (CMD or ENTRYPOINT)."
      : `Check containers/${target.kind}/.`,
  );
}

async function containerOutput(container: StartedTestContainer): Promise<string> {
  const stream = await container.logs({ tail: 20 });
  return new Promise((resolve) => {
    const chunks: string[] = [];
    stream.on("data", (c: Buffer | string) => chunks.push(c.toString()));
    stream.on("end", () => resolve(chunks.join("").trim()));
    stream.on("error", () => resolve(chunks.join("").trim()));
    setTimeout(() => resolve(chunks.join("").trim()), 2_000);
  });
}
