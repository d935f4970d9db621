import { overallVerdict, type RunResult, type ScenarioResult, type Verdict } from "../result.js";

export type VerdictCounts = Readonly<Record<Verdict, number>>;

interface RunSummary {
  readonly overall: Verdict;
  readonly scenarios: number;
  readonly byVerdict: VerdictCounts;
  readonly byTechnique: Readonly<Record<string, VerdictCounts>>;
}

const SCHEMA_VERSION = 1;

export function countVerdicts(scenarios: readonly ScenarioResult[]): VerdictCounts {
  const counts: Record<Verdict, number> = { pass: 0, fail: 0, error: 0 };
  for (const s of scenarios) counts[s.verdict] += 1;
  return counts;
}

export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function summarize(run: RunResult): RunSummary {
  const techniques = [...new Set(run.scenarios.map((s) => s.technique))].sort(compareCodePoints);
  return {
    overall: overallVerdict(run.scenarios),
    scenarios: run.scenarios.length,
    byVerdict: countVerdicts(run.scenarios),
    byTechnique: Object.fromEntries(
      techniques.map((t) => [t, countVerdicts(run.scenarios.filter((s) => s.technique === t))]),
    ),
  };
}

function sortedEntries(value: object): [string, unknown][] {
  return Object.entries(value).sort(([a], [b]) => compareCodePoints(a, b));
}

/** A JSON.stringify replacer: every object below the top level with its keys in code-point order. */
function sortNestedKeys(key: string, value: unknown): unknown {
  if (key === "" || value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(sortedEntries(value));
}

/** The run as pretty JSON: `schemaVersion` and `summary` first, then the run's own keys, all sorted. */
export function renderJson(run: RunResult): string {
  const document = {
    schemaVersion: SCHEMA_VERSION,
    summary: summarize(run),
    ...Object.fromEntries(sortedEntries(run)),
  };
  return `${JSON.stringify(document, sortNestedKeys, 2)}\n`;
}
