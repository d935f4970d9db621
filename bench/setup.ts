import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { docker } from "../harness/docker/client.js";
import { projectRoot } from "../harness/core/paths.js";
import { runChecked } from "../harness/core/process.js";
import { importDebootstrapRootfs } from "../harness/setup/base-image.js";
import { ensureElasticsearchDistribution } from "../harness/setup/elasticsearch-dist.js";
import { ensureEsqlPlugins } from "../harness/setup/esql-plugins.js";
import { buildLabImageUncached, LAB_IMAGES } from "../harness/setup/lab-images.js";
import { writeBenchResults } from "./lib/results.js";
import { benchSession, type BenchHeader } from "./lib/session.js";
import { runCli, timed, withEnv, type Timed } from "./lib/timing.js";
import { renderSetupMarkdown, renderSetupText } from "./setup-report.js";

/** Cold images go to their own repository: never the tags that runs use, removed afterwards. */
const COLD_REPOSITORY = "scanproof-bench-cold";
const WARM_REPEATS = 3;

export interface SetupBench extends BenchHeader {
  readonly cold: readonly Timed[];
  readonly coldImages: readonly Timed[];
  readonly warm: readonly Timed[];
}

async function removeImage(ref: string): Promise<void> {
  await docker()
    .getImage(ref)
    .remove({ force: true })
    .catch(() => undefined);
}

/**
 * Cold: every download and build in a scratch HOME, npm cache, Maven repository and scanproof
 * cache, and every lab image built without Docker's layer cache into a separate repository. Not
 * cold: the Docker engine (shared by everyone on the machine; it cannot be removed while others
 * run) and the base image the lab images build FROM (the debootstrap is timed on its own).
 * Warm: `scanproof setup` again on this machine, as every run does first.
 */
export async function benchSetup(): Promise<void> {
  await benchSession("setup", async (session) => {
    const scratch = (...parts: string[]) => {
      const dir = join(session.scratch, ...parts);
      mkdirSync(dir, { recursive: true });
      return dir;
    };
    const env = {
      HOME: scratch("home"),
      npm_config_cache: scratch("npm-cache"),
      SCANPROOF_CACHE_DIR: scratch("cache"),
      MAVEN_OPTS: `-Dmaven.repo.local=${scratch("m2")}`,
    };
    const cold = await withEnv(env, async () => {
      const project = scratch("project");
      for (const f of ["package.json", "package-lock.json"])
        copyFileSync(join(projectRoot, f), join(project, f));
      const steps: Timed[] = [];
      steps.push(
        await timed("npm ci (empty npm cache)", async () => {
          await runChecked("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: project });
          return undefined;
        }),
      );
      const out = scratch("dist");
      steps.push(
        await timed("TypeScript compile (no incremental state)", async () => {
          await runChecked(
            "npx",
            [
              "--no-install",
              "tsc",
              "-p",
              "tsconfig.json",
              "--outDir",
              out,
              "--tsBuildInfoFile",
              join(out, "info"),
            ],
            { cwd: projectRoot },
          );
          return undefined;
        }),
      );
      const base = `${COLD_REPOSITORY}/base:bookworm`;
      session.teardown.defer(`remove ${base}`, () => removeImage(base));
      steps.push(
        await timed("Debian base image (debootstrap minbase + docker import)", async () => {
          await importDebootstrapRootfs(base);
          return undefined;
        }),
      );
      steps.push(
        await timed("Elasticsearch distribution (Maven, empty local repository)", async () => {
          await ensureElasticsearchDistribution();
          return undefined;
        }),
      );
      steps.push(
        await timed("Elastic's ES|QL plugins (Maven, empty local repository)", async () => {
          await ensureEsqlPlugins();
          return undefined;
        }),
      );
      return steps;
    });
    const coldImages: Timed[] = [];
    await withEnv({ SCANPROOF_CACHE_DIR: env.SCANPROOF_CACHE_DIR }, async () => {
      for (const name of LAB_IMAGES) {
        coldImages.push(
          await timed(`Lab image ${name} (no layer cache)`, async () => {
            const ref = await buildLabImageUncached(name, COLD_REPOSITORY);
            session.teardown.defer(`remove ${ref}`, () => removeImage(ref));
            return ref;
          }),
        );
      }
    });
    const warm: Timed[] = [];
    for (let i = 1; i <= WARM_REPEATS; i++) {
      warm.push(
        await timed(`scanproof setup, warm (${i}/${WARM_REPEATS})`, async () => {
          const result = await runCli(["setup"]);
          if (result.code !== 0)
            throw new Error(`exit ${result.code}: ${result.stderr.trim().split("\n").at(-1) ?? ""}`);
          return undefined;
        }),
      );
    }
    const figures: SetupBench = { ...session.header(), cold, coldImages, warm };
    process.stdout.write(`\n${renderSetupText(figures)}\n`);
    await writeBenchResults("setup", session.date, figures, (json) => renderSetupMarkdown(figures, json));
  });
}
