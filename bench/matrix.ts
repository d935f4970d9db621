import { existsSync } from "node:fs";
import { join } from "node:path";
import { settleEsqlRules } from "../harness/detection/live/backend-rules.js";
import { loadRules } from "../harness/detection/rules/rule-loader.js";
import type { SkippedRule } from "../harness/detection/rules/rule.js";
import { ScanproofError } from "../harness/core/errors.js";
import { assertionsDir, elasticNetworkRulesDir } from "../harness/core/paths.js";
import { say } from "../harness/core/progress.js";
import { loadInputs } from "../harness/run/inputs.js";
import { runScenarios } from "../harness/run/run-scenarios.js";
import type { SensorName } from "../harness/core/vocabulary.js";
import { watchAlerts, type FirstAlerts } from "./lib/alert-watch.js";
import { CORPUS_SEED_ENV, corpusSeed, DEFAULT_CORPUS_SIZE, writeCorpus } from "./lib/challenge-corpus.js";
import { readDetectorReports } from "../harness/logs/detector-reports.js";
import { replayAfterRun } from "./lib/elastic-replay.js";
import { writeBenchResults } from "./lib/results.js";
import { libraryScenarios, writeVariant, type Variant } from "./lib/scenario-variants.js";
import { benchSession, type BenchHeader } from "./lib/session.js";
import {
  MATRIX_DEFINITIONS,
  matrixRow,
  summarise,
  type ContenderSummary,
  type MatrixRow,
  type RowSet,
} from "./matrix-figures.js";
import { renderMatrixMarkdown, renderMatrixText } from "./matrix-report.js";

const OBSERVERS: readonly SensorName[] = ["flow", "psad", "scanlogd"];
const CONCURRENCY = 2;
const DEFAULT_CONTEXT = join(assertionsDir, "context", "default.yaml");

export interface MatrixBench extends BenchHeader {
  readonly backend: string;
  readonly corpus: { readonly seed: number; readonly size: number };
  readonly rules: {
    readonly scanproof: readonly string[];
    readonly elastic: readonly string[];
    readonly elasticSkipped: readonly SkippedRule[];
    /** What the engine said about Elastic's rules while running them: rules that did not run, warnings. */
    readonly elasticNotes: readonly string[];
  };
  readonly definitions: readonly string[];
  readonly rows: readonly MatrixRow[];
  readonly summary: readonly ContenderSummary[];
}

type MatrixVariant = Variant & { readonly set: RowSet };

/**
 * Every library scenario and a seeded challenge corpus, each run once with NetFlow, psad and
 * scanlogd observing beside its own sensors and scanproof's pack as the only rules, judged on the
 * scenario's own sensors; Elastic's published rules then run over the same run's events of each
 * scenario, as of when the pack ran.
 */
export async function benchMatrix(): Promise<void> {
  await benchSession("matrix", async (session) => {
    const elasticDir = elasticNetworkRulesDir();
    if (!existsSync(elasticDir))
      throw new ScanproofError(
        `${elasticDir} is missing: the matrix runs Elastic's published network rules from there.`,
        "Set SCANPROOF_ELASTIC_RULES to a copy of detection-rules' rules/network.",
      );
    const seed = corpusSeed();
    say(`Challenge corpus: ${DEFAULT_CORPUS_SIZE} scenarios drawn from seed ${seed} (${CORPUS_SEED_ENV})`);
    const variants: MatrixVariant[] = [
      ...libraryScenarios().map((s) => ({ set: "library" as const, s })),
      ...writeCorpus(join(session.scratch, "corpus"), seed).map((s) => ({ set: "corpus" as const, s })),
    ].map(({ set, s }) => ({ set, ...writeVariant(s, session.scratch) }));
    const files = { scenarioFiles: variants.map((v) => v.file), contextFile: DEFAULT_CONTEXT };
    const scanproofRules = join(assertionsDir, "rules");
    const elastic = loadInputs({ ...files, rulePaths: [elasticDir] });
    const contexts = new Map(elastic.scenarios.map((s) => [s.id, elastic.contextOf(s)]));
    const backend = await session.backend();
    const elasticRules = await settleEsqlRules(backend, elastic.rules);
    const rulesRanAt = new Map<string, Date>();
    const watch = watchAlerts(
      backend,
      variants.map((v) => v.id),
    );
    let firstAlerts: FirstAlerts = new Map();
    const run = await runScenarios({
      ...files,
      rulePaths: [scanproofRules],
      observers: OBSERVERS,
      backend,
      concurrency: CONCURRENCY,
      onProgress: (p) => {
        if (p.phase === "detection") rulesRanAt.set(p.scenarioId, new Date());
        if (p.phase === "done") process.stderr.write(`  ${p.scenarioId}: ${p.verdict ?? "?"}\n`);
      },
    }).finally(async () => {
      firstAlerts = await watch.stop();
    });
    const replayed = await replayAfterRun(
      backend,
      elasticRules.rules,
      run.runId,
      elastic.scenarios.flatMap((scenario) => {
        const at = rulesRanAt.get(scenario.id);
        const context = contexts.get(scenario.id);
        return at === undefined || context === undefined ? [] : [{ scenario, context, at }];
      }),
    );
    const rows = variants.map((v) => {
      const logDir = join(run.resultsDir, v.id, "logs");
      return matrixRow({
        set: v.set,
        scenario: v.scenario,
        variantId: v.id,
        result: run.scenarios.find((r) => r.id === v.id),
        resultsDir: run.resultsDir,
        firstAlerts,
        elastic: replayed.alerts.get(v.id) ?? [],
        reports: {
          psad: readDetectorReports(logDir, "psad"),
          scanlogd: readDetectorReports(logDir, "scanlogd"),
        },
        context: contexts.get(v.id) ?? elastic.context,
      });
    });
    const figures: MatrixBench = {
      ...session.header(),
      backend: backend.description,
      corpus: { seed, size: DEFAULT_CORPUS_SIZE },
      rules: {
        scanproof: loadRules([scanproofRules]).rules.map((r) => r.ruleId),
        elastic: elasticRules.rules.map((r) => r.ruleId),
        elasticSkipped: elasticRules.skipped,
        elasticNotes: replayed.notes,
      },
      definitions: MATRIX_DEFINITIONS,
      rows,
      summary: summarise(rows),
    };
    process.stdout.write(`\n${renderMatrixText(figures)}\n`);
    await writeBenchResults("matrix", session.date, figures, (json) => renderMatrixMarkdown(figures, json));
  });
}
