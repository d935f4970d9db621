import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { docker, LABEL_ROLE, LABEL_SCENARIO } from "../harness/docker/client.js";
import { task } from "../harness/core/progress.js";
import { startLab } from "../harness/lab/lab.js";
import { ScopeGuard } from "../harness/lab/scope-guard.js";
import type { StartedLab } from "../harness/lab/started-lab.js";
import { labAddresses, planLab } from "../harness/lab/topology.js";
import { planStep, type ToolStepSpec } from "../harness/scanners/registry.js";
import { uplinkOf } from "../harness/scanners/run-step.js";
import { observeStep } from "../harness/scanners/wire.js";
import { loadScenario } from "../harness/scenario/load.js";
import { renderCaptureMarkdown, renderCaptureText } from "./capture-report.js";
import { writeBenchResults } from "./lib/results.js";
import { benchSession, type BenchHeader } from "./lib/session.js";

/** Runs of each step with and without the capture, alternated so that load drifts hit both alike. */
const REPEATS = 2;

/** One run of a step: its wall time and, when captured, what the capture cost and held. */
export interface CaptureRun {
  readonly captured: boolean;
  readonly wallMs: number;
  /** CPU time the capture sidecar used over the step (dumpcap) and its reduction (tshark). */
  readonly sidecarCpuMs?: number;
  readonly packets?: number;
  /** Packets the kernel or dumpcap dropped. */
  readonly dropped?: number;
  readonly pcapBytes?: number;
  readonly flows?: number;
  /** Probes the tool's report claims that the wire does not show. */
  readonly claimsNotOnWire?: number;
}

export interface CaptureCase {
  readonly step: string;
  readonly runs: readonly CaptureRun[];
}

export interface CaptureBench extends BenchHeader {
  readonly repeats: number;
  readonly cases: readonly CaptureCase[];
}

const STEPS: readonly ToolStepSpec[] = [
  { tool: "masscan", from: "attacker", target: "web", ports: "1-65535", rate: 50_000 } as ToolStepSpec,
  {
    tool: "nmap",
    from: "attacker",
    target: "web",
    args: ["-n", "-sS", "-p", "1-20000", "-T4"],
  } as ToolStepSpec,
];

async function sidecarCpuNs(lab: StartedLab): Promise<number> {
  const [sidecar] = await docker().listContainers({
    filters: { label: [`${LABEL_SCENARIO}=${lab.scenarioId}`, `${LABEL_ROLE}=capture`] },
  });
  if (!sidecar) throw new Error("the lab has no capture sidecar");
  const stats = await docker().getContainer(sidecar.Id).stats({ stream: false });
  return stats.cpu_stats.cpu_usage.total_usage;
}

async function measure(lab: StartedLab, step: ToolStepSpec, index: number, captured: boolean, dir: string) {
  const guard = new ScopeGuard(lab.subnets, labAddresses(lab.plan));
  const planned = planStep(step, index, guard, uplinkOf(lab, step));
  const run = () =>
    planned.run(lab, guard, dir, { contain: () => Promise.reject(new Error("no containment")) });
  const cpuBefore = captured ? await sidecarCpuNs(lab) : 0;
  const started = Date.now();
  const truth = captured ? await observeStep(lab, lab.attacker, index, run) : await run();
  const wallMs = Date.now() - started;
  if (!captured || !truth.wire) return { captured, wallMs };
  return {
    captured,
    wallMs,
    sidecarCpuMs: ((await sidecarCpuNs(lab)) - cpuBefore) / 1e6,
    packets: truth.wire.capture.packets,
    dropped: truth.wire.capture.dropped,
    pcapBytes: truth.wire.capture.bytes,
    flows: truth.wire.probes.length,
    claimsNotOnWire: truth.wire.toolClaims - truth.wire.claimsOnWire,
  };
}

/**
 * What capturing a step costs: a masscan of every port of the web server, and nmap's SYN scan of
 * every port, each run with and without its source's capture in one lab — wall time, the capture
 * sidecar's CPU time (dumpcap while the step runs, tshark reducing it after) and the pcap's size.
 */
export async function benchCapture(): Promise<void> {
  await benchSession("capture", async (session) => {
    const backend = await session.backend();
    const file = join(session.scratch, "capture.yaml");
    const scenarioId = "capture-bench";
    writeFileSync(
      file,
      stringify({
        id: scenarioId,
        title: "Capture benchmark",
        technique: "T1595.001",
        lab: { targets: [{ name: "web", kind: "web" }] },
        steps: [{ tool: "nmap", target: "web", args: ["-n", "-sS", "-p", "80"] }],
        expect: { logs: ["firewall"], silent: true },
      }),
    );
    const plan = planLab(loadScenario(file));
    const lab = await startLab({
      runId: session.backendRunId,
      scenarioId,
      plan,
      sensors: [],
      backend,
      workDir: session.scratch,
      teardown: session.teardown,
    });
    const cases: CaptureCase[] = [];
    let index = 0;
    for (const step of STEPS) {
      const runs: CaptureRun[] = [];
      for (let r = 0; r < REPEATS; r++)
        for (const captured of [false, true]) {
          const i = index++;
          runs.push(
            await task(
              `${step.tool} ${captured ? "with" : "without"} capture, run ${r + 1}/${REPEATS}`,
              () => measure(lab, step, i, captured, session.scratch),
              (m) => `${(m.wallMs / 1000).toFixed(1)} s`,
            ),
          );
        }
      cases.push({ step: describe(step), runs });
    }
    const figures: CaptureBench = { ...session.header(), repeats: REPEATS, cases };
    process.stdout.write(`\n${renderCaptureText(figures)}\n`);
    await writeBenchResults("capture", session.date, figures, (json) => renderCaptureMarkdown(figures, json));
  });
}

function describe(step: ToolStepSpec): string {
  return "args" in step ? `nmap ${step.args.join(" ")}` : `masscan -p${"ports" in step ? step.ports : ""}`;
}
