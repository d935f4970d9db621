export {
  runScenarios,
  compareRuleSets,
  openBackend,
  newRunId,
  type RunOptions,
  type RuleComparison,
} from "./run/run-scenarios.js";
export { loadInputs, type LoadedInputs } from "./run/inputs.js";
export { runSetup } from "./setup/index.js";
export { doctor, type Check } from "./doctor.js";
export { prune } from "./lab/prune.js";
export { loadScenario, type Scenario } from "./scenario/load.js";
export { InputError, type Problem } from "./core/problems.js";
export { loadRules, loadRuleFile } from "./detection/rules/rule-loader.js";
export type { Rule, RuleSet, SkippedRule } from "./detection/rules/rule.js";
export { settleEsqlRules } from "./detection/live/backend-rules.js";
export {
  executeRule,
  executeRules,
  type ExecutionScope,
  type RuleExecution,
} from "./detection/live/engine.js";
export { startScheduler, type Scheduler, type SchedulerOptions } from "./detection/live/scheduler.js";
export { parseKql, kqlToQueryDsl, KqlSyntaxError } from "./detection/rules/kql.js";
export { escalate, type Escalation } from "./escalation/escalate.js";
export type { Enrichment, Reason } from "./escalation/enrichment.js";
export { loadContext, type EscalationContext } from "./context/context.js";
export { renderSummary } from "./report/terminal.js";
export { diffRuns, renderDiffJson, type RunDiff } from "./report/diff.js";
export { renderDiffMarkdown, renderDiffSummary } from "./report/diff-text.js";
export { readRunResult } from "./report/write-reports.js";
export type { RunResult, ScenarioResult, AlertSummary, ExpectationResult, Verdict } from "./result.js";
export type { Backend } from "./backend/backend.js";
export { ScanproofError } from "./core/errors.js";
export { RuleSearchError } from "./detection/live/search.js";
