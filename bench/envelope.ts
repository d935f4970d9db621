import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { format, resolveConfig } from "prettier";
import { say } from "../harness/core/progress.js";
import { DEFAULT_LIMITS } from "../harness/envelope/dimensions.js";
import { DETECTORS } from "../harness/envelope/detectors.js";
import { loadEnvelopeRuleSets } from "../harness/envelope/envelope-inputs.js";
import { runEnvelope } from "../harness/envelope/envelope-run.js";
import type { EnvelopeResult } from "../harness/report/envelope-model.js";
import { writeEnvelopeReports } from "../harness/report/envelope-files.js";
import { renderEnvelopeText } from "../harness/report/envelope-table.js";
import { renderEnvelopeBenchMarkdown, renderEnvelopeBenchText } from "./envelope-report.js";
import { RESULTS_DIR, writeBenchResults } from "./lib/results.js";
import { benchSession, type BenchHeader } from "./lib/session.js";

/** The budgets of issue 16: the pack's envelope over pace and size, and one rule's. */
export const GOALS = { packMs: 20 * 60_000, ruleMs: 3 * 60_000 } as const;
/**
 * Every scan comes from an insider on the LAN: Elastic's scan rules count only private sources, so
 * from the outside attacker they could never be compared.
 */
const SOURCE = "lan";
/** The rule whose envelope alone is timed: the pack's vertical port scan rule. */
export const SINGLE_RULE = "Vertical Port Scan Seen by the Firewall";

export interface EnvelopeRun {
  /** The envelope's own run: its lab started, every point measured, its lab removed. */
  readonly durationMs: number;
  readonly result: EnvelopeResult;
}

export interface EnvelopeBench extends BenchHeader {
  readonly goals: typeof GOALS;
  /** Starting the Elasticsearch both runs share: paid once per bench, not per envelope. */
  readonly backendStartMs: number;
  /** scanproof's pack, Elastic's published rules, psad and scanlogd, over size and pace, in one lab. */
  readonly pack: EnvelopeRun;
  /** One rule of the pack alone over the same dimensions. */
  readonly rule: EnvelopeRun;
}

/**
 * The pack's page and one chart per dimension under bench/results/envelope/ (the README shows the
 * charts), formatted as the repository's files are; its JSON is the results file's `pack.result`.
 */
async function writePackPage(result: EnvelopeResult): Promise<void> {
  const dir = join(RESULTS_DIR, "envelope");
  rmSync(dir, { recursive: true, force: true });
  const files = writeEnvelopeReports(result, dir);
  const style = (await resolveConfig(files.html)) ?? {};
  writeFileSync(files.html, await format(readFileSync(files.html, "utf8"), { ...style, parser: "html" }));
  for (const extra of [files.json, files.markdown]) rmSync(extra);
}

async function timed(run: () => Promise<EnvelopeResult>): Promise<EnvelopeRun> {
  const started = Date.now();
  const result = await run();
  return { durationMs: Date.now() - started, result };
}

/**
 * Measures the detection envelope twice in a row, every scan from an insider on the LAN: the whole
 * pack beside Elastic's rules, psad and scanlogd over ports per target, targets per port and pace,
 * then one rule alone; prints each table
 * and the durations against the budgets, and writes the pack's envelope and charts under bench/results.
 */
export async function benchEnvelope(): Promise<void> {
  await benchSession("envelope", async (session) => {
    const backendStarted = Date.now();
    const backend = await session.backend();
    const backendStartMs = Date.now() - backendStarted;
    const dimensions = ["vertical", "horizontal", "pace"] as const;
    say("\nThe pack, Elastic's published rules, psad and scanlogd:");
    const pack = await timed(async () => {
      const ruleSets = loadEnvelopeRuleSets({ pack: true, elastic: true, rulePaths: [] });
      return (
        await runEnvelope({
          ruleSets,
          detectors: DETECTORS,
          dimensions,
          limits: DEFAULT_LIMITS,
          backend,
          source: SOURCE,
        })
      ).result;
    });
    process.stdout.write(`\n${renderEnvelopeText(pack.result)}\n`);
    say(`\nOne rule alone (${SINGLE_RULE}):`);
    const rule = await timed(async () => {
      const ruleSets = loadEnvelopeRuleSets({
        pack: true,
        elastic: false,
        rulePaths: [],
        only: [SINGLE_RULE],
      });
      return (
        await runEnvelope({
          ruleSets,
          detectors: [],
          dimensions,
          limits: DEFAULT_LIMITS,
          backend,
          source: SOURCE,
        })
      ).result;
    });
    const figures: EnvelopeBench = { ...session.header(), goals: GOALS, backendStartMs, pack, rule };
    process.stdout.write(`\n${renderEnvelopeBenchText(figures)}\n`);
    await writePackPage(pack.result);
    await writeBenchResults("envelope", session.date, figures, (json) =>
      renderEnvelopeBenchMarkdown(figures, json),
    );
  });
}
