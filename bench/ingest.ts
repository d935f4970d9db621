import { join } from "node:path";
import type { Backend } from "../harness/backend/backend.js";
import { LABEL_ROLE, LABEL_RUN, LABEL_SCENARIO } from "../harness/docker/client.js";
import { assertionsDir } from "../harness/core/paths.js";
import { runScenarios } from "../harness/run/run-scenarios.js";
import { rateFigures, type IngestBench, type RateFigures } from "./ingest-figures.js";
import { renderMarkdown, renderText } from "./ingest-report.js";
import { INGEST_SOURCES, ingestScenarioId, writeIngestScenario } from "./ingest-scenario.js";
import { collectLogs } from "./lib/container-logs.js";
import { samplePeaks } from "./lib/container-peaks.js";
import { watchIndexCounts } from "./lib/index-progress.js";
import { writeBenchResults } from "./lib/results.js";
import { benchSession } from "./lib/session.js";

const RATES = [1000, 10_000, 50_000] as const;
/** A 65,535-port scan at 10k pps was searchable after about 70 s; missing events never come later. */
const INGEST_TIMEOUT_MS = 180_000;

interface Shared {
  readonly backend: Backend;
  readonly backendRunId: string;
  readonly scenarioDir: string;
}

/**
 * One scenario at one rate, on the shared Elasticsearch. The shipper is found by the scenario's
 * label, unique to this bench run: runScenarios picks the run id of the lab it starts itself.
 */
async function measureRate(rate: number, shared: Shared): Promise<RateFigures> {
  const scenarioId = ingestScenarioId(rate);
  const file = writeIngestScenario(shared.scenarioDir, scenarioId, rate);
  const sampler = samplePeaks({
    shipper: { [LABEL_SCENARIO]: scenarioId, [LABEL_ROLE]: "shipper" },
    elasticsearch: { [LABEL_RUN]: shared.backendRunId, [LABEL_ROLE]: "siem" },
  });
  const logs = collectLogs({ [LABEL_SCENARIO]: scenarioId }, ["firewall", "sensor", "shipper"]);
  const counts = watchIndexCounts(shared.backend, scenarioId, INGEST_SOURCES);
  const stopObserving = async () => ({
    peaks: await sampler.stop(),
    containerOutput: await logs.stop(),
    indexCounts: await counts.stop(),
  });
  try {
    const run = await runScenarios({
      scenarioFiles: [file],
      rulePaths: [join(assertionsDir, "rules")],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend: shared.backend,
      ingestTimeoutMs: INGEST_TIMEOUT_MS,
    });
    return rateFigures({ requestedPps: rate, run, ...(await stopObserving()) });
  } catch (error) {
    await stopObserving();
    throw error;
  }
}

/**
 * masscan over all 65,535 ports at each rate with every sensor on. Results are rewritten after
 * every rate, so a run cut short keeps the rates it finished.
 */
export async function benchIngest(rates: readonly number[] = RATES): Promise<void> {
  await benchSession("ingest", async (session) => {
    const backend = await session.backend();
    const measured: RateFigures[] = [];
    const bench = (): IngestBench => ({
      ...session.header(),
      backend: backend.description,
      rates: [...measured],
    });
    for (const rate of rates) {
      measured.push(
        await measureRate(rate, {
          backend,
          backendRunId: session.backendRunId,
          scenarioDir: session.scratch,
        }),
      );
      const figures = bench();
      await writeBenchResults("ingest", session.date, figures, (json) => renderMarkdown(figures, json));
    }
    process.stdout.write(`\n${renderText(bench())}\n`);
  });
}
