import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { LAB_DATA_STREAMS, dataStreamName, SOURCE_INDEX } from "../harness/backend/templates.js";
import { ScanproofError } from "../harness/core/errors.js";
import { assertionsDir, elasticNetworkRulesDir, projectRoot } from "../harness/core/paths.js";
import { settleEsqlRules } from "../harness/detection/live/backend-rules.js";
import { loadRules } from "../harness/detection/rules/rule-loader.js";
import type { Verdict } from "../harness/result.js";
import { runScenarios } from "../harness/run/run-scenarios.js";
import { renderElasticRulesMarkdown, renderElasticRulesText } from "./elastic-rules-report.js";
import {
  ELASTIC_RULE_SCENARIOS,
  outcomeCounts,
  ruleOutcomes,
  type Outcome,
  type RuleOutcome,
} from "./lib/elastic-outcomes.js";
import { writeBenchResults } from "./lib/results.js";
import { benchSession, type BenchHeader } from "./lib/session.js";

export interface ElasticRulesBench extends BenchHeader {
  readonly backend: string;
  /** The detection-rules folder read, relative to the project (never copied: Elastic License 2.0). */
  readonly rulesDir: string;
  readonly scenarios: readonly { readonly id: string; readonly verdict: Verdict }[];
  /** Where the lab's events are searchable by Elastic's rules: each data stream and its index. */
  readonly dataStreams: readonly { readonly name: string; readonly index: string; readonly holds: string }[];
  readonly counts: Readonly<Record<Outcome, number>>;
  readonly rules: readonly RuleOutcome[];
}

/**
 * Runs every rule of Elastic's published network folder, unmodified, over the scenarios written for
 * them, and tells for each rule whether it fired, stayed silent, cannot apply to what the lab's
 * sensors write (and what is missing), or was not run (and why).
 */
export async function benchElasticRules(): Promise<void> {
  await benchSession("elastic-rules", async (session) => {
    const rulesDir = elasticNetworkRulesDir();
    if (!existsSync(rulesDir))
      throw new ScanproofError(
        `${rulesDir} is missing: this bench runs Elastic's published network rules from there.`,
        "Set SCANPROOF_ELASTIC_RULES to a copy of detection-rules' rules/network.",
      );
    const backend = await session.backend();
    const run = await runScenarios({
      scenarioFiles: ELASTIC_RULE_SCENARIOS,
      rulePaths: [rulesDir],
      contextFile: join(assertionsDir, "context", "default.yaml"),
      backend,
    });
    const rules = await settleEsqlRules(backend, loadRules([rulesDir]));
    const outcomes = await ruleOutcomes(backend, rules.rules, rules.skipped, run);
    const figures: ElasticRulesBench = {
      ...session.header(),
      backend: backend.description,
      rulesDir: relative(projectRoot, rulesDir),
      scenarios: run.scenarios.map((s) => ({ id: s.id, verdict: s.verdict })),
      dataStreams: LAB_DATA_STREAMS.map((d) => ({
        name: dataStreamName(d.dataset),
        index: SOURCE_INDEX[d.source],
        holds: d.holds,
      })),
      counts: outcomeCounts(outcomes),
      rules: outcomes,
    };
    process.stdout.write(`\n${renderElasticRulesText(figures)}\n`);
    await writeBenchResults("elastic-rules", session.date, figures, (json) =>
      renderElasticRulesMarkdown(figures, json),
    );
  });
}
