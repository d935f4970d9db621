import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The scanproof checkout or installed package: three levels above dist/harness/core/. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export const containersDir = join(projectRoot, "containers");
export const assertionsDir = join(projectRoot, "assertions");
export const scenariosDir = join(projectRoot, "scenarios");

/** Downloads and build inputs kept between runs (Elasticsearch distribution, base rootfs). */
export function cacheDir(): string {
  return process.env.SCANPROOF_CACHE_DIR ?? join(homedir(), ".cache", "scanproof");
}

/** Where a run writes raw sensor logs, ground truth and reports. */
export function resultsDir(): string {
  return resolve(process.env.SCANPROOF_RESULTS_DIR ?? "scanproof-results");
}

/**
 * Elastic's published network rules (detection-rules' `rules/network/`, Elastic License 2.0), read
 * where they are and never copied into this repository: the tests and the detection matrix run them
 * unmodified. SCANPROOF_ELASTIC_RULES names another copy.
 */
export function elasticNetworkRulesDir(): string {
  return resolve(
    process.env.SCANPROOF_ELASTIC_RULES ??
      join(projectRoot, "..", "shared", "elastic-detection-rules", "rules", "network"),
  );
}
