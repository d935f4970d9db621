import { join } from "node:path";
import { LABEL_ROLE, LABEL_RUN, LABEL_SCENARIO } from "../harness/docker/client.js";
import { assertionsDir } from "../harness/core/paths.js";
import { runScenarios } from "../harness/run/run-scenarios.js";
import type { Scenario } from "../harness/scenario/load.js";
import { samplePeaks, type ResourcePeak } from "./lib/container-peaks.js";
import { writeBenchResults } from "./lib/results.js";
import { libraryScenarios, writeVariant } from "./lib/scenario-variants.js";
import { benchSession, type BenchHeader } from "./lib/session.js";
import { renderMemoryMarkdown, renderMemoryText } from "./memory-report.js";

export const WHOLE_LAB_TARGET_BYTES = 2.5 * 1024 ** 3;
const HARNESS_INTERVAL_MS = 250;

export interface ScenarioMemory {
  readonly scenario: string;
  readonly sensors: readonly string[];
  readonly verdict: string;
  readonly elasticsearch?: ResourcePeak;
  readonly shipper?: ResourcePeak;
  /** Every container of the scenario's lab together (hosts, sensors, shipper), Elasticsearch aside. */
  readonly labContainers?: ResourcePeak;
  /** The lab's containers and Elasticsearch together, summed at each one-second reading. */
  readonly wholeLab?: ResourcePeak;
  /** Resident set of the Node process running the harness (the bench included). */
  readonly harnessPeakRssBytes: number;
}

export interface MemoryBench extends BenchHeader {
  readonly backend: string;
  readonly scenarios: readonly ScenarioMemory[];
}

/** Samples this process's resident set until stopped; returns the highest reading. */
function sampleOwnRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, HARNESS_INTERVAL_MS);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

/** How many containers a scenario's lab runs besides the attacker, firewall and shipper. */
function labSize(s: Scenario): number {
  return s.lab.targets.length + s.lab.hosts.length + s.lab.sensors.length;
}

/** The library's largest lab (most targets, hosts and sensors) and its smallest, file order breaking ties. */
export function largestLabs(scenarios: readonly Scenario[]): Scenario[] {
  const bySize = [...scenarios].sort((a, b) => labSize(b) - labSize(a));
  return [...new Set([bySize[0], bySize.at(-1)])].filter((s): s is Scenario => s !== undefined);
}

/** The largest and the smallest lab of the library, each on its own, with lab, shipper and Elasticsearch sampled. */
export async function benchMemory(): Promise<void> {
  await benchSession("memory", async (session) => {
    const backend = await session.backend();
    const elasticsearch = { [LABEL_RUN]: session.backendRunId, [LABEL_ROLE]: "siem" };
    const measured: ScenarioMemory[] = [];
    for (const scenario of largestLabs(libraryScenarios())) {
      const variant = writeVariant(scenario, session.scratch);
      const lab = { [LABEL_SCENARIO]: variant.id };
      const sampler = samplePeaks({
        elasticsearch,
        shipper: { ...lab, [LABEL_ROLE]: "shipper" },
        labContainers: lab,
        wholeLab: [lab, elasticsearch],
      });
      const harness = sampleOwnRss();
      const stop = async () => ({ peaks: await sampler.stop(), harnessPeakRssBytes: harness.stop() });
      const run = await runScenarios({
        scenarioFiles: [variant.file],
        rulePaths: [join(assertionsDir, "rules")],
        contextFile: join(assertionsDir, "context", "default.yaml"),
        backend,
      }).catch(async (error: unknown) => {
        await stop();
        throw error;
      });
      const { peaks, harnessPeakRssBytes } = await stop();
      measured.push({
        scenario: scenario.id,
        sensors: scenario.lab.sensors,
        verdict: run.scenarios[0]?.verdict ?? "error",
        ...Object.fromEntries(Object.entries(peaks).filter(([, peak]) => peak !== undefined)),
        harnessPeakRssBytes,
      });
    }
    const figures: MemoryBench = { ...session.header(), backend: backend.description, scenarios: measured };
    process.stdout.write(`\n${renderMemoryText(figures)}\n`);
    await writeBenchResults("memory", session.date, figures, (json) => renderMemoryMarkdown(figures, json));
  });
}
