import type { RuleSet } from "../detection/rules/rule.js";
import { loadRules } from "../detection/rules/rule-loader.js";
import { loadContext, type EscalationContext } from "../context/context.js";
import { InputError, type Problem } from "../core/problems.js";
import { scenarioScopeProblems } from "../scenario/scope.js";
import { loadScenario, type Scenario } from "../scenario/load.js";

/** The files a run reads: scenarios, rules and the escalation context. */
export interface InputFiles {
  readonly scenarioFiles: readonly string[];
  readonly rulePaths: readonly string[];
  readonly contextFile: string;
}

/** Every input of a run, validated. */
export interface LoadedInputs {
  readonly scenarios: readonly Scenario[];
  readonly rules: RuleSet;
  readonly context: EscalationContext;
  /** The escalation context of each scenario: its own `context` file, or the run's. */
  readonly contextOf: (scenario: Scenario) => EscalationContext;
}

/** Validates every input before anything starts: all problems of all files, at once. */
export function loadInputs(options: InputFiles): LoadedInputs {
  const problems: Problem[] = [];
  const collect = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (error instanceof InputError) problems.push(...error.problems);
      else throw error;
      return undefined;
    }
  };
  const scenarios = options.scenarioFiles.map((f) => collect(() => loadScenario(f, [scenarioScopeProblems])));
  const rules = collect(() => loadRules(options.rulePaths));
  const context = collect(() => loadContext(options.contextFile));
  const own = new Map<string, EscalationContext | undefined>();
  for (const s of scenarios)
    if (s?.contextFile !== undefined && !own.has(s.contextFile)) {
      const file = s.contextFile;
      own.set(
        file,
        collect(() => loadContext(file)),
      );
    }
  if (problems.length > 0 || !rules || !context) throw new InputError(problems);
  const ids = new Map<string, string>();
  for (const s of scenarios) {
    if (!s) continue;
    const other = ids.get(s.id);
    if (other)
      problems.push({
        file: s.file,
        line: 1,
        column: 1,
        path: "id",
        message: `scenario id "${s.id}" is also used by ${other}`,
      });
    ids.set(s.id, s.file);
  }
  if (problems.length > 0) throw new InputError(problems);
  return {
    scenarios: scenarios.filter((s): s is Scenario => s !== undefined),
    rules,
    context,
    contextOf: (s) => (s.contextFile === undefined ? undefined : own.get(s.contextFile)) ?? context,
  };
}
