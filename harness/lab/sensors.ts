import { Wait, type StartedTestContainer } from "testcontainers";
import type { LogSourceName, SensorName } from "../core/vocabulary.js";
import { task } from "../core/progress.js";
import { DMZ, SEGMENTS } from "./segments.js";
import type { LabImage } from "../setup/lab-images.js";
import type { LabContainers, LogFolders } from "./containers.js";
import type { LabHosts } from "./hosts.js";
import type { LabPlan } from "./topology.js";

/**
 * One record per sensor a scenario can switch on: everything the lab needs to start it, wait for it,
 * stop it and read it. A new sensor is a record here, its image under containers/, and (when it
 * ships) its shipper configuration and index.
 */
export interface SensorRecord {
  readonly name: SensorName;
  /** What the progress line says it starts. */
  readonly title: (plan: LabPlan) => string;
  readonly image: LabImage;
  /**
   * sensor: writes its last records when it stops, so it is stopped gracefully before its log is
   * accounted. detector: reports as it goes and watches until teardown.
   */
  readonly role: "sensor" | "detector";
  /** Whose network namespace it watches: the firewall's (every segment), or each target's own. */
  readonly watches: "firewall" | "each-target";
  readonly capabilities: readonly string[];
  readonly environment?: (plan: LabPlan) => Record<string, string>;
  readonly command?: readonly string[];
  /** The line its log prints once it captures. */
  readonly ready: string | RegExp;
  /** The log source it ships to Elasticsearch; psad and scanlogd only report. */
  readonly ships?: LogSourceName;
}

/** The firewall's outside link, and its LAN link when the lab has a LAN. */
function captureInterfaces(plan: LabPlan): string {
  return [SEGMENTS.outside.interface, ...(plan.lan ? [SEGMENTS.lan.interface] : [])].join(",");
}

export const SENSOR_RECORDS: readonly SensorRecord[] = [
  {
    name: "ids",
    title: () => "the IDS (Suricata on the firewall's outside and LAN links)",
    image: "ids",
    role: "sensor",
    watches: "firewall",
    capabilities: ["NET_ADMIN", "NET_RAW", "SYS_NICE"],
    environment: (plan) => ({
      SCANPROOF_IDS_INTERFACES: captureInterfaces(plan),
      SCANPROOF_HOME_NET: `[${DMZ.subnet}]`,
    }),
    ready: /Engine started\./,
    ships: "ids",
  },
  {
    name: "flow",
    title: () => "NetFlow (softflowd → IPFIX → nfcapd on the firewall's outside and LAN links)",
    image: "flow",
    role: "sensor",
    watches: "firewall",
    capabilities: ["NET_RAW"],
    environment: (plan) => ({ FLOW_INTERFACES: captureInterfaces(plan) }),
    ready: "flow-sensor: ready",
    ships: "flow",
  },
  {
    name: "psad",
    title: () => "psad (its own NFLOG rule on the firewall → LOGEMU → psad)",
    image: "detectors",
    role: "detector",
    watches: "firewall",
    capabilities: ["NET_ADMIN"],
    command: ["psad"],
    ready: "detectors: psad ready",
  },
  {
    name: "scanlogd",
    title: (plan) => `scanlogd on ${plan.targets.map((t) => t.name).join(", ")}`,
    image: "detectors",
    role: "detector",
    watches: "each-target",
    capabilities: ["NET_RAW"],
    command: ["scanlogd"],
    ready: "detectors: scanlogd ready",
  },
];

/** The log sources these sensors ship, in the registry's order. */
export function sourcesShippedBy(sensors: readonly SensorName[]): LogSourceName[] {
  return SENSOR_RECORDS.flatMap((s) => (sensors.includes(s.name) && s.ships ? [s.ships] : []));
}

/** Log sources whose last records are written only when their sensor stops. */
export const FLUSHED_ON_STOP: ReadonlySet<LogSourceName> = new Set(
  SENSOR_RECORDS.flatMap((s) => (s.role === "sensor" && s.ships ? [s.ships] : [])),
);

/**
 * Starts the switched-on sensors in the registry's order, each in the namespace it watches with
 * only the capabilities it needs, and waits until each captures. Returns the containers by sensor.
 */
export async function startSensors(
  switchedOn: readonly SensorName[],
  plan: LabPlan,
  hosts: LabHosts,
  containers: LabContainers,
  logs: LogFolders,
): Promise<Map<SensorName, StartedTestContainer[]>> {
  const started = new Map<SensorName, StartedTestContainer[]>();
  for (const sensor of SENSOR_RECORDS.filter((s) => switchedOn.includes(s.name))) {
    const placements =
      sensor.watches === "firewall"
        ? [{ name: sensor.name, host: hosts.firewall, folder: [sensor.name] }]
        : hosts.targets.map((t) => ({
            name: `${sensor.name}-${t.plan.name}`,
            host: t.container,
            folder: [sensor.name, t.plan.name],
          }));
    const running = await task(`Start ${sensor.title(plan)}`, () =>
      Promise.all(
        placements.map((p) =>
          containers.start(sensor.image, p.name, sensor.role, (c) => {
            const placed = c
              .withNetworkMode(`container:${p.host.getId()}`)
              .withAddedCapabilities(...sensor.capabilities)
              .withEnvironment(sensor.environment?.(plan) ?? {})
              .withBindMounts([
                { source: logs.folder(...p.folder), target: "/var/log/scanproof", mode: "rw" },
              ])
              .withWaitStrategy(Wait.forLogMessage(sensor.ready))
              .withStartupTimeout(40_000);
            return sensor.command ? placed.withCommand([...sensor.command]) : placed;
          }),
        ),
      ),
    );
    started.set(sensor.name, running);
  }
  return started;
}
