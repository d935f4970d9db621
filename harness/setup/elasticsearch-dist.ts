import { existsSync, mkdirSync, readdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { ScanproofError } from "../core/errors.js";
import { cacheDir } from "../core/paths.js";
import { say } from "../core/progress.js";
import { commandExists, runCommand } from "../core/process.js";
import { aptInstall } from "./apt.js";

/**
 * 8.19 is the newest 8.x line: it runs on Debian's own OpenJDK 17 (9.x needs Java 21+, which
 * bookworm does not ship) and @elastic/elasticsearch 8 speaks to it natively.
 */
export const ELASTICSEARCH_VERSION = process.env.SCANPROOF_ES_VERSION ?? "8.19.21";
const ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch";

export function elasticsearchZipName(version = ELASTICSEARCH_VERSION): string {
  return `elasticsearch-${version}.zip`;
}

export function elasticsearchZipPath(version = ELASTICSEARCH_VERSION): string {
  return join(cacheDir(), "elasticsearch", elasticsearchZipName(version));
}

/** Fetches the integ-test-zip distribution from Maven Central once; returns its cached path. */
export async function ensureElasticsearchDistribution(version = ELASTICSEARCH_VERSION): Promise<string> {
  const target = elasticsearchZipPath(version);
  const dir = dirname(target);
  if (existsSync(target)) return target;
  if (!(await commandExists("mvn")))
    await aptInstall(["maven"], "Maven (to fetch Elasticsearch from Maven Central)");
  mkdirSync(dir, { recursive: true });
  const staging = join(dir, `.download-${process.pid}`);
  say(`  mvn dependency:copy ${ARTIFACT}:${version}:zip`);
  const result = await runCommand("mvn", [
    "-q",
    "-B",
    "dependency:copy",
    `-Dartifact=${ARTIFACT}:${version}:zip`,
    `-DoutputDirectory=${staging}`,
  ]);
  const fetched = existsSync(staging) ? readdirSync(staging).find((f) => f.endsWith(".zip")) : undefined;
  if (result.code !== 0 || !fetched) {
    throw new ScanproofError(
      `Could not fetch Elasticsearch ${version} (${ARTIFACT}) from Maven Central:\n${result.stdout.trim().split("\n").slice(-5).join("\n")}`,
      "Check that Maven Central is reachable, or choose another version with SCANPROOF_ES_VERSION.",
    );
  }
  renameSync(join(staging, fetched), target);
  return target;
}
