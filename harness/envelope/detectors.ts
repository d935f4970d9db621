import { ScanproofError } from "../core/errors.js";
import { docker, LABEL_ROLE, LABEL_RUN } from "../docker/client.js";
import type { StartedLab } from "../lab/started-lab.js";
import { DETECTORS, readDetectorReports, type DetectorName } from "../logs/detector-reports.js";
import type { PointWindow } from "./point-window.js";

export { DETECTORS, type DetectorName };

/** psad checks its input once a second (CHECK_INTERVAL 1); scanlogd reports on the packet path. */
export const DETECTOR_SETTLE_MS = 3_000;

/**
 * Restarts each detector's process with empty state, so that what it learnt at one point (psad's
 * danger level per source, kept for an hour; scanlogd's recent sources) cannot count at the next.
 * psad seeks to the end of its input when it starts and imports no old scans (IMPORT_OLD_SCANS N):
 * a restarted psad has seen nothing. Waits until each runs again.
 */
const RESTART: Record<DetectorName, string> = {
  psad: [
    "psad --Kill >/dev/null 2>&1 || true",
    "while pgrep -x psad >/dev/null; do sleep 0.1; done",
    "rm -rf /var/log/psad/* && mkdir -p /var/run/psad /var/lib/psad /var/log/psad",
    "psad --Override-config /etc/psad/psad.override.conf --no-fwcheck --no-whois --no-rdns",
    "until pgrep -x psad >/dev/null; do sleep 0.1; done",
    "sleep 1",
  ].join("; "),
  scanlogd: [
    'for p in $(pgrep -x scanlogd); do kill "$p"; done',
    "while pgrep -x scanlogd >/dev/null; do sleep 0.1; done",
    "scanlogd",
    "until pgrep -x scanlogd >/dev/null; do sleep 0.1; done",
  ].join("; "),
};

export async function restartDetectors(lab: Pick<StartedLab, "runId">, detectors: readonly DetectorName[]) {
  const containers = await docker().listContainers({
    filters: { label: [`${LABEL_RUN}=${lab.runId}`, `${LABEL_ROLE}=detector`] },
  });
  for (const detector of detectors) {
    const own = containers.filter((c) => c.Names.some((n) => n.includes(`-${detector}`)));
    if (own.length === 0)
      throw new ScanproofError(`the envelope's lab has no ${detector} container to restart`);
    await Promise.all(own.map((c) => execChecked(c.Id, RESTART[detector], detector)));
  }
}

async function execChecked(id: string, script: string, detector: string): Promise<void> {
  const exec = await docker()
    .getContainer(id)
    .exec({ Cmd: ["sh", "-c", script], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  let output = "";
  stream.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  await new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0)
    throw new ScanproofError(`restarting ${detector} failed (exit ${ExitCode}): ${output.trim()}`);
}

/**
 * Whether each detector reported a scan from `source` during the point: a report stamped between
 * the point's start and `DETECTOR_SETTLE_MS` after its end (the detectors were restarted just
 * before the point, so no earlier point's state can raise it).
 */
export function detectorsDetected(
  logDir: string,
  detectors: readonly DetectorName[],
  source: string,
  window: PointWindow,
): Record<string, boolean> {
  const from = window.start.getTime();
  const until = window.end.getTime() + DETECTOR_SETTLE_MS;
  return Object.fromEntries(
    detectors.map((d) => [
      d,
      readDetectorReports(logDir, d).some((r) => {
        const at = Date.parse(r.at);
        return r.source === source && at >= from && at <= until;
      }),
    ]),
  );
}
