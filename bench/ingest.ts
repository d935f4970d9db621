import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { format, resolveConfig } from "prettier";
import type { Backend } from "../harness/backend/backend.js";
import { LABEL_ROLE, LABEL_RUN, LABEL_SCENARIO, requireDocker } from "../harness/docker/client.js";
import { describeError } from "../harness/errors.js";
import { Teardown, withTeardown } from "../harness/lifecycle.js";
import { assertionsDir, projectRoot } from "../harness/paths.js";
import { say } from "../harness/progress.js";
import { newRunId, openBackend, runScenarios } from "../harness/run.js";
import { collectLogs } from "./container-logs.js";
import { samplePeaks } from "./container-peaks.js";
import { rateFigures, type IngestBench, type RateFigures } from "./ingest-figures.js";
import { renderMarkdown, renderText } from "./ingest-report.js";
import { watchIndexCounts } from "./index-progress.js";
import { INGEST_SOURCES, ingestScenarioId, writeIngestScenario } from "./ingest-scenario.js";
import { describeMachine } from "./machine.js";

const RATES = [1000, 10_000, 50_000] as const;
const INGEST_TIMEOUT_MS = 600_000;
const RESULTS_DIR = join(projectRoot, "bench", "results");

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

async function writeResults(bench: IngestBench): Promise<string[]> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const jsonFile = join(RESULTS_DIR, `ingest-${bench.date}.json`);
  const markdownFile = join(RESULTS_DIR, "ingest.md");
  const style = (await resolveConfig(jsonFile)) ?? {};
  writeFileSync(jsonFile, await format(JSON.stringify(bench), { ...style, parser: "json" }));
  writeFileSync(markdownFile, renderMarkdown(bench, relative(projectRoot, jsonFile)));
  return [jsonFile, markdownFile];
}

/** Results are rewritten after every rate, so a run cut short keeps the rates it finished. */
async function main(): Promise<void> {
  const date = new Date().toISOString().slice(0, 10);
  const teardown = new Teardown();
  await withTeardown(teardown, async () => {
    await requireDocker();
    const machine = await describeMachine();
    const backendRunId = `bench-${newRunId()}`;
    const backend = await openBackend(backendRunId, teardown);
    const scenarioDir = mkdtempSync(join(tmpdir(), "scanproof-bench-"));
    teardown.defer("remove the bench scenarios", () => rm(scenarioDir, { recursive: true, force: true }));
    const rates: RateFigures[] = [];
    const measured = (): IngestBench => ({ date, machine, backend: backend.description, rates: [...rates] });
    let files: string[] = [];
    for (const rate of RATES) {
      rates.push(await measureRate(rate, { backend, backendRunId, scenarioDir }));
      files = await writeResults(measured());
    }
    process.stdout.write(`\n${renderText(measured())}\n`);
    for (const file of files) say(`wrote ${relative(process.cwd(), file)}`);
  });
}

main().catch((error: unknown) => {
  say(`bench:ingest failed: ${describeError(error)}`);
  process.exitCode = 1;
});
