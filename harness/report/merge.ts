import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { RunResult } from "../result.js";
import { InputError } from "../core/problems.js";
import { readRunResult } from "./write-reports.js";

/** A results.json itself, or the run folder that holds one. */
export function resultsFile(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, "results.json") : path;
}

/**
 * One run made of several shards' results: every scenario once, in id order, the rules any shard
 * loaded or skipped, the earliest start and latest end. A scenario that two shards both ran is
 * refused: the shards were not cut from the same suite.
 */
export function mergeRunResults(paths: readonly string[], resultsDir: string): RunResult {
  const runs = paths.map((p) => ({ file: resultsFile(p), run: readRunResult(resultsFile(p)) }));
  const owner = new Map<string, string>();
  const problems = runs.flatMap(({ file, run }) =>
    run.scenarios.flatMap((s) => {
      const other = owner.get(s.id);
      owner.set(s.id, file);
      return other
        ? [{ file, line: 1, column: 1, path: "scenarios", message: `scenario "${s.id}" is also in ${other}` }]
        : [];
    }),
  );
  if (problems.length > 0) throw new InputError(problems);
  const all = runs.map((r) => r.run);
  const skipped = new Map(all.flatMap((r) => r.rules.skipped).map((s) => [s.file, s]));
  return {
    runId: all.map((r) => r.runId).join("+"),
    startedAt: all.map((r) => r.startedAt).sort()[0] ?? "",
    endedAt:
      all
        .map((r) => r.endedAt)
        .sort()
        .at(-1) ?? "",
    backend: [...new Set(all.map((r) => r.backend))].join("; "),
    rules: {
      loaded: [...new Set(all.flatMap((r) => r.rules.loaded))].sort(),
      skipped: [...skipped.values()],
    },
    scenarios: all.flatMap((r) => r.scenarios).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    resultsDir,
  };
}
