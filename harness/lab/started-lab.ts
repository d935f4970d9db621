import type { StartedTestContainer } from "testcontainers";
import type { Backend } from "../backend/backend.js";
import type { Teardown } from "../core/lifecycle.js";
import type { SensorName } from "../core/vocabulary.js";
import type { HostSpec } from "./spec.js";
import type { EgressDrop } from "./egress-guard.js";
import type { RunningCapture } from "./wire-capture.js";
import type { LabPlan, PlannedHost } from "./topology.js";

/** What a started lab is to the steps, sensors and checks that use it. */

/** A detector reports as it goes and is not stopped before accounting, so it watches until teardown. */
export type HostRole =
  | HostSpec["role"]
  | "router"
  | "firewall"
  | "target"
  | "sensor"
  | "detector"
  | "shipper"
  | "guard"
  | "capture";

export interface LabHost {
  readonly name: string;
  readonly role: HostRole;
  readonly container: StartedTestContainer;
  /** The address scanners and detections see (overlay), not the Docker underlay address. */
  readonly address: string;
}

/** A host that sends traffic: the attacker or one of the scenario's `lab.hosts`. */
export interface SourceHost extends LabHost {
  readonly plan: PlannedHost;
  /** The overlay interface it sends on, and the host that routes for it there. */
  readonly uplink: { readonly interface: string; readonly router: LabHost };
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface StartedLab {
  readonly runId: string;
  readonly scenarioId: string;
  readonly plan: LabPlan;
  readonly attacker: SourceHost;
  readonly firewall: LabHost;
  /** The router that masquerades the hosts behind NAT, when the lab has any. */
  readonly natRouter: LabHost | undefined;
  readonly targets: ReadonlyMap<string, LabHost>;
  /** The IDS sidecar, when the scenario switched it on (containment adds to its block list). */
  readonly ids?: LabHost;
  /** Every traffic source by name, the attacker included. */
  readonly hosts: ReadonlyMap<string, SourceHost>;
  /** The traffic source a step names in `from`. */
  host(name: string): SourceHost;
  /** Host folder holding each sensor's raw log (bind-mounted into the sensor and the shipper). */
  readonly logDir: string;
  /**
   * The only ranges a step may probe: the overlay. The Docker underlay is plumbing, and its
   * gateway address belongs to the host, so it is never a target.
   */
  readonly subnets: readonly string[];
  exec(host: LabHost, command: readonly string[]): Promise<ExecResult>;
  /** Stops the sensors that write their last records on a graceful stop (Suricata's flows). */
  quiesce(): Promise<void>;
  /**
   * Throws, naming each one and how it ended, when a container of the lab stopped that scanproof
   * did not stop (a host that crashed or was killed): results of such a lab are no evidence.
   */
  assertAlive(): Promise<void>;
  /**
   * Starts `work` once it watches the lab, and settles with it, or throws as `assertAlive` does the
   * moment a lab host stops while it runs: a scan at a dead target can crawl on for minutes, and its
   * results are no evidence anyway.
   */
  whileAlive<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Stops and removes everything the lab started, newest first, once (the teardown it was started
   * with, which a run's Ctrl-C also reaches).
   */
  stop(): Promise<void>;
  /** What every traffic source's egress filter dropped so far: packets for addresses outside the lab. */
  egressDrops(): Promise<EgressDrop[]>;
  /**
   * Runs `work` while the egress filter of the source lets it send only to `destinations` (lab
   * addresses and `first-last` ranges), then restores it; returns what the source's filter dropped.
   */
  withEgressNarrowed<T>(
    source: string,
    destinations: readonly string[],
    work: () => Promise<T>,
  ): Promise<{ result: T; drops: EgressDrop[] }>;
  /**
   * Starts capturing a traffic source's lab interface (both directions) into `<name>.pcap` in the
   * scenario's `wire` folder, from the source's capture sidecar.
   */
  capture(source: SourceHost, name: string): Promise<RunningCapture>;
}

export interface LabOptions {
  readonly runId: string;
  readonly scenarioId: string;
  readonly plan: LabPlan;
  readonly sensors: readonly SensorName[];
  readonly backend: Backend;
  readonly workDir: string;
  readonly teardown: Teardown;
}
