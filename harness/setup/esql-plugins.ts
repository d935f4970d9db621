import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ScanproofError } from "../core/errors.js";
import { cacheDir } from "../core/paths.js";
import { printableText } from "../core/printable.js";
import { say } from "../core/progress.js";
import { commandExists, runCommand } from "../core/process.js";
import { aptInstall } from "./apt.js";
import { ELASTICSEARCH_VERSION } from "./elasticsearch-dist.js";

/**
 * Elastic's ES|QL plugins as Maven Central publishes them (the integ-test distribution has no
 * ES|QL). Their runtime dependencies come from their POMs; containers/elasticsearch/assemble-esql.sh
 * lays them out as modules, each with the jars its own build record (plugin-test-build-info.json)
 * names. Not on Maven Central, so left out: elasticsearch-h3 (ST_GEOHEX*), and the extended plugins
 * lang-painless and x-pack-ml (CATEGORIZE, CHANGE_POINT) — see docs/esql.md.
 */
export const ESQL_PLUGINS = ["x-pack-esql-core", "x-pack-esql"] as const;
/**
 * What x-pack-esql uses that Maven Central does not serve, so the embedded build lacks it. A query
 * with CATEGORIZE or CHANGE_POINT stops such a node (NoClassDefFoundError for x-pack-ml's classes).
 */
export const ESQL_UNPUBLISHED = ["lang-painless", "x-pack-ml", "elasticsearch-h3"] as const;
const UNPUBLISHED = [{ groupId: "org.elasticsearch", artifactId: "elasticsearch-h3" }];

export function esqlJarsDir(version = ELASTICSEARCH_VERSION): string {
  return join(cacheDir(), "elasticsearch", `esql-${version}`);
}

/** A POM whose runtime dependencies are the ES|QL plugins and everything they need. */
export function esqlPom(version: string): string {
  const exclusions = UNPUBLISHED.map(
    (u) => `<exclusion><groupId>${u.groupId}</groupId><artifactId>${u.artifactId}</artifactId></exclusion>`,
  ).join("");
  const dependencies = ESQL_PLUGINS.map(
    (artifactId) =>
      `    <dependency><groupId>org.elasticsearch.plugin</groupId><artifactId>${artifactId}</artifactId>` +
      `<version>${version}</version><exclusions>${exclusions}</exclusions></dependency>`,
  ).join("\n");
  return [
    `<project xmlns="http://maven.apache.org/POM/4.0.0">`,
    `  <modelVersion>4.0.0</modelVersion>`,
    `  <groupId>io.scanproof</groupId><artifactId>esql-plugins</artifactId><version>${version}</version>`,
    `  <packaging>pom</packaging>`,
    `  <dependencies>`,
    dependencies,
    `  </dependencies>`,
    `</project>`,
    ``,
  ].join("\n");
}

/** Maven's first error line (what could not be resolved), without terminal colours. */
export function mavenError(output: string): string {
  const lines = printableText(output).split("\n");
  return (
    lines.find((l) => l.startsWith("[ERROR] ")) ??
    lines
      .filter((l) => l.trim())
      .slice(-3)
      .join("\n")
  );
}

/** Fetches the ES|QL plugins and their runtime dependencies from Maven Central once; returns the folder. */
export async function ensureEsqlPlugins(version = ELASTICSEARCH_VERSION): Promise<string> {
  const target = esqlJarsDir(version);
  if (existsSync(target)) return target;
  if (!(await commandExists("mvn")))
    await aptInstall(["maven"], "Maven (to fetch Elasticsearch from Maven Central)");
  // A staging folder of an earlier set-up that was killed is left over: nothing else uses it.
  const parent = dirname(target);
  if (existsSync(parent))
    for (const left of readdirSync(parent).filter((f) => f.startsWith(`${basename(target)}.download-`)))
      rmSync(join(parent, left), { recursive: true, force: true });
  const staging = `${target}.download-${process.pid}`;
  try {
    mkdirSync(join(staging, "jars"), { recursive: true });
    writeFileSync(join(staging, "pom.xml"), esqlPom(version));
    say(`  mvn dependency:copy-dependencies ${ESQL_PLUGINS.map((p) => `${p}:${version}`).join(" ")}`);
    const result = await runCommand(
      "mvn",
      ["-q", "-B", "dependency:copy-dependencies", "-DincludeScope=runtime", "-DoutputDirectory=jars"],
      { cwd: staging },
    );
    const jars = readdirSync(join(staging, "jars"));
    const missing = ESQL_PLUGINS.filter((p) => !jars.includes(`${p}-${version}.jar`));
    if (result.code !== 0 || missing.length > 0)
      throw new ScanproofError(
        `Could not fetch the ES|QL plugins ${version} from Maven Central: ${mavenError(result.stdout + result.stderr)}`,
        "Check that Maven Central is reachable; the ES|QL plugins must have the distribution's version (SCANPROOF_ES_VERSION).",
      );
    renameSync(join(staging, "jars"), target);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return target;
}
