import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadRules } from "../harness/detection/rule-loader.js";
import { ScanproofError } from "../harness/errors.js";
import { assertionsDir, projectRoot } from "../harness/paths.js";
import { runScenarios } from "../harness/run.js";
import { watchAlerts, type FirstAlerts } from "./lib/alert-watch.js";
import { readDetectorReports } from "./lib/detector-logs.js";
import { writeBenchResults } from "./lib/results.js";
import { libraryScenarios, writeVariant } from "./lib/scenario-variants.js";
import { benchSession, type BenchHeader } from "./lib/session.js";
import { matrixRow, summarise, type ContenderSummary, type MatrixRow } from "./matrix-figures.js";
import { renderMatrixMarkdown, renderMatrixText } from "./matrix-report.js";

/** scanproof's own Elastic-format reproductions of Elastic's prebuilt scan rules. */
export const ELASTIC_RULES_DIR = join(projectRoot, "test", "fixtures", "rules", "elastic");

export interface MatrixBench extends BenchHeader {
  readonly backend: string;
  readonly rules: { readonly scanproof: readonly string[]; readonly elastic: readonly string[] };
  readonly rows: readonly MatrixRow[];
  readonly summary: readonly ContenderSummary[];
}

/**
 * Every library scenario once, with NetFlow (which Elastic's rules read), psad and scanlogd
 * switched on beside its own sensors, so all four contenders see the same traffic in one run.
 */
export async function benchMatrix(): Promise<void> {
  await benchSession("matrix", async (session) => {
    if (!existsSync(ELASTIC_RULES_DIR))
      throw new ScanproofError(`${ELASTIC_RULES_DIR} is missing: the Elastic rule reproductions are needed.`);
    const scanproofRules = join(assertionsDir, "rules");
    const ruleIds = (path: string) => new Set(loadRules([path]).rules.map((r) => r.ruleId));
    const ruleSets = { scanproof: ruleIds(scanproofRules), elastic: ruleIds(ELASTIC_RULES_DIR) };
    const variants = libraryScenarios().map((s) =>
      writeVariant(s, session.scratch, ["flow", "psad", "scanlogd"]),
    );
    const backend = await session.backend();
    const watch = watchAlerts(
      backend,
      variants.map((v) => v.id),
    );
    let firstAlerts: FirstAlerts = new Map();
    const run = await runScenarios({
      scenarioFiles: variants.map((v) => v.file),
      rulePaths: [scanproofRules, ELASTIC_RULES_DIR],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend,
    }).finally(async () => {
      firstAlerts = await watch.stop();
    });
    const rows = variants.map((v) => {
      const logDir = join(run.resultsDir, v.id, "logs");
      return matrixRow({
        scenario: v.scenario,
        variantId: v.id,
        result: run.scenarios.find((r) => r.id === v.id),
        resultsDir: run.resultsDir,
        firstAlerts,
        ruleSets,
        reports: {
          psad: readDetectorReports(logDir, "psad"),
          scanlogd: readDetectorReports(logDir, "scanlogd"),
        },
      });
    });
    const figures: MatrixBench = {
      ...session.header(),
      backend: backend.description,
      rules: { scanproof: [...ruleSets.scanproof], elastic: [...ruleSets.elastic] },
      rows,
      summary: summarise(rows),
    };
    process.stdout.write(`\n${renderMatrixText(figures)}\n`);
    await writeBenchResults("matrix", session.date, figures, (json) => renderMatrixMarkdown(figures, json));
  });
}
