import { join } from "node:path";
import { LABEL_ROLE, LABEL_RUN, LABEL_SCENARIO } from "../harness/docker/client.js";
import { assertionsDir } from "../harness/paths.js";
import { runScenarios } from "../harness/run.js";
import { samplePeaks, type ResourcePeak } from "./lib/container-peaks.js";
import { writeBenchResults } from "./lib/results.js";
import { libraryScenarios, writeVariant } from "./lib/scenario-variants.js";
import { benchSession, type BenchHeader } from "./lib/session.js";
import { renderMemoryMarkdown, renderMemoryText } from "./memory-report.js";

export const WHOLE_LAB_TARGET_BYTES = 2.5 * 1024 ** 3;
const DEFAULT_TAG = "default";
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

/** Each scenario of the default suite on its own, with its lab, shipper and Elasticsearch sampled. */
export async function benchMemory(): Promise<void> {
  await benchSession("memory", async (session) => {
    const backend = await session.backend();
    const elasticsearch = { [LABEL_RUN]: session.backendRunId, [LABEL_ROLE]: "siem" };
    const measured: ScenarioMemory[] = [];
    for (const scenario of libraryScenarios().filter((s) => s.tags.includes(DEFAULT_TAG))) {
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
