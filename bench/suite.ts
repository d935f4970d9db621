import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { scenariosDir } from "../harness/core/paths.js";
import { readRunResult } from "../harness/report/write-reports.js";
import type { RunResult } from "../harness/result.js";
import { writeBenchResults } from "./lib/results.js";
import { benchSession, type BenchHeader } from "./lib/session.js";
import { runCli } from "./lib/timing.js";
import { renderSuiteMarkdown, renderSuiteText } from "./suite-report.js";

export const SUITE_TARGET_MS = 5 * 60_000;
export const ONE_SCENARIO = "nmap-syn-top1000.yaml";
const PARALLEL = 2;

export interface ScenarioTiming {
  readonly id: string;
  readonly verdict: string;
  readonly durationMs: number;
  readonly labStartMs?: number;
}

export interface CliRun {
  readonly label: string;
  readonly args: readonly string[];
  readonly exitCode: number;
  /** The whole command: Node start, set-up check, Elasticsearch start, every scenario, reports. */
  readonly wallMs: number;
  /** As the run's progress line reports it. */
  readonly elasticsearchStartMs?: number;
  readonly scenarios: readonly ScenarioTiming[];
}

export interface SuiteBench extends BenchHeader {
  readonly runs: readonly CliRun[];
  /** Why the parallel suite was not measured, when it was not. */
  readonly parallelSkipped?: string;
}

const ES_START = /✔ Start Elasticsearch \([^)]*\) \((\d+(?:\.\d+)?) s\)/;

function resultOf(dir: string): RunResult | undefined {
  if (!existsSync(dir)) return undefined;
  const run = readdirSync(dir).find((d) => existsSync(join(dir, d, "results.json")));
  return run === undefined ? undefined : readRunResult(join(dir, run, "results.json"));
}

async function measure(label: string, args: readonly string[], resultsDir: string): Promise<CliRun> {
  const result = await runCli(["run", ...args], { SCANPROOF_RESULTS_DIR: resultsDir });
  const run = resultOf(resultsDir);
  const esStart = ES_START.exec(result.stderr)?.[1];
  return {
    label,
    args,
    exitCode: result.code,
    wallMs: result.ms,
    ...(esStart === undefined ? {} : { elasticsearchStartMs: Number(esStart) * 1000 }),
    scenarios: (run?.scenarios ?? []).map((s) => ({
      id: s.id,
      verdict: s.verdict,
      durationMs: s.durationMs,
      ...(s.timings.labStartMs === undefined ? {} : { labStartMs: s.timings.labStartMs }),
    })),
  };
}

/**
 * The CLI as a user runs it, each time with its own Elasticsearch: one scenario end to end, then
 * the default suite serially and, where the CLI has --concurrency, two scenarios at a time.
 */
export async function benchSuite(): Promise<void> {
  await benchSession("suite", async (session) => {
    const runs: CliRun[] = [];
    const dir = (label: string) => join(session.scratch, label);
    runs.push(await measure("one scenario", [join(scenariosDir, ONE_SCENARIO)], dir("one")));
    runs.push(await measure("default suite, serial", ["--tag", "default"], dir("serial")));
    const help = await runCli(["run", "--help"]);
    const parallel = help.stdout.includes("--concurrency");
    if (parallel)
      runs.push(
        await measure(
          `default suite, ${PARALLEL} at a time`,
          ["--tag", "default", "--concurrency", String(PARALLEL)],
          dir("parallel"),
        ),
      );
    const figures: SuiteBench = {
      ...session.header(),
      runs,
      ...(parallel ? {} : { parallelSkipped: "`scanproof run` has no --concurrency option yet" }),
    };
    process.stdout.write(`\n${renderSuiteText(figures)}\n`);
    await writeBenchResults("suite", session.date, figures, (json) => renderSuiteMarkdown(figures, json));
  });
}
