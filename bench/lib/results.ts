import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { format, resolveConfig } from "prettier";
import { projectRoot } from "../../harness/core/paths.js";
import { say } from "../../harness/core/progress.js";

export const RESULTS_DIR = join(projectRoot, "bench", "results");

/**
 * Writes `bench/results/<name>-<date>.json` (every figure) and `bench/results/<name>.md` (the
 * summary of the latest run, which names the JSON file it was made from).
 */
export async function writeBenchResults(
  name: string,
  date: string,
  figures: unknown,
  markdown: (jsonFile: string) => string,
): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const jsonFile = join(RESULTS_DIR, `${name}-${date}.json`);
  const markdownFile = join(RESULTS_DIR, `${name}.md`);
  const style = (await resolveConfig(jsonFile)) ?? {};
  writeFileSync(jsonFile, await format(JSON.stringify(figures), { ...style, parser: "json" }));
  writeFileSync(
    markdownFile,
    await format(markdown(relative(projectRoot, jsonFile)), { ...style, parser: "markdown" }),
  );
  for (const file of [jsonFile, markdownFile]) say(`wrote ${relative(process.cwd(), file)}`);
}
