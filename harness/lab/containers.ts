import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { StartedTestContainer } from "testcontainers";
import { LABEL_ROLE, LABEL_SCENARIO, runLabels } from "../docker/client.js";
import { LabContainer } from "../docker/lab-container.js";
import type { Teardown } from "../core/lifecycle.js";
import { builtLabImage, type LabImage } from "../setup/lab-images.js";
import type { HostRole } from "./started-lab.js";

/** How long each kind of host may take to stop on SIGTERM before it is killed. */
const GRACEFUL_STOP_MS: Record<HostRole, number> = {
  attacker: 1_000,
  client: 1_000,
  monitor: 1_000,
  scanner: 1_000,
  router: 1_000,
  firewall: 1_000,
  target: 1_000,
  sensor: 10_000,
  detector: 5_000,
  shipper: 10_000,
  guard: 1_000,
  capture: 1_000,
};

function once(work: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= work());
}

/**
 * The containers of one lab: each named under the lab's prefix, labelled with the run, the scenario
 * and its role, registered with the teardown as it starts and stopped as gracefully as its role needs.
 */
export class LabContainers {
  readonly prefix: string;
  /** Every container still running, by its name in the lab. */
  readonly running = new Map<string, StartedTestContainer>();
  private readonly sensorStops: (() => Promise<void>)[] = [];

  constructor(
    readonly runId: string,
    private readonly scenarioId: string,
    private readonly teardown: Teardown,
  ) {
    this.prefix = `scanproof-${runId}-${scenarioId}`.slice(0, 60);
  }

  labels(role: string): Record<string, string> {
    return runLabels(this.runId, { [LABEL_SCENARIO]: this.scenarioId, [LABEL_ROLE]: role });
  }

  async start(
    image: LabImage | { readonly ref: string },
    name: string,
    role: HostRole,
    configure: (c: LabContainer) => LabContainer,
  ): Promise<StartedTestContainer> {
    return this.startImage(
      typeof image === "string" ? await builtLabImage(image) : image.ref,
      name,
      role,
      configure,
    );
  }

  /** Starts a container from an image reference (a scenario's own target image). */
  async startImage(
    ref: string,
    name: string,
    role: HostRole,
    configure: (c: LabContainer) => LabContainer,
  ): Promise<StartedTestContainer> {
    const container = await configure(
      new LabContainer(ref).withName(`${this.prefix}-${name}`).withLabels(this.labels(role)),
    ).start();
    this.running.set(name, container);
    const stop = once(async () => {
      this.running.delete(name);
      await container.stop({ timeout: GRACEFUL_STOP_MS[role] });
    });
    if (role === "sensor") this.sensorStops.push(stop);
    this.teardown.defer(`stop ${name}`, stop);
    return container;
  }

  /** Stops the sensors, which write their last records on a graceful stop. */
  async stopSensors(): Promise<void> {
    await Promise.all(this.sensorStops.map((stop) => stop()));
  }
}

/** The host folder holding each sensor's raw log, bind-mounted into the sensor and the shipper. */
export class LogFolders {
  constructor(readonly root: string) {}

  /** A folder under the root that every container user may write. */
  folder(...parts: string[]): string {
    const dir = join(this.root, ...parts);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    return dir;
  }
}
