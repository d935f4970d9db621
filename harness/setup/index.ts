import { ensureSigmaToolchain } from "./sigma-toolchain.js";
import { task } from "../core/progress.js";
import { ensureBaseImage } from "./base-image.js";
import { ensureDockerEngine } from "./docker-engine.js";
import { ensureElasticsearchDistribution } from "./elasticsearch-dist.js";
import { ensureEsqlPlugins } from "./esql-plugins.js";
import { ensureLabImages, LAB_IMAGES } from "./lab-images.js";

/** Idempotent, cached set-up: each step prints one line with its duration. */
export async function runSetup(): Promise<void> {
  await task("Docker engine", ensureDockerEngine, (r) => r);
  await task("Debian base image", ensureBaseImage, (r) => r);
  await task("Elasticsearch distribution", ensureElasticsearchDistribution, (path) => path);
  await task("Elastic's ES|QL plugins", ensureEsqlPlugins, (path) => path);
  await task("Sigma toolchain (pySigma)", ensureSigmaToolchain, (path) => path);
  await task(
    "Lab images",
    () => ensureLabImages(),
    (n) => (n === 0 ? `${LAB_IMAGES.length} current` : `${n} built, ${LAB_IMAGES.length - n} current`),
  );
}
