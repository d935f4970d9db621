import { existsSync } from "node:fs";
import { dockerAnswers, dockerEndpoint, imageExists } from "./docker/client.js";
import { countLeftovers } from "./lab/prune.js";
import { commandExists } from "./core/process.js";
import { BASE_IMAGE } from "./setup/base-image.js";
import { elasticsearchZipPath, ELASTICSEARCH_VERSION } from "./setup/elasticsearch-dist.js";
import { esqlJarsDir } from "./setup/esql-plugins.js";
import { LAB_IMAGES, labImageRef } from "./setup/lab-images.js";
import { SIGMA_PACKAGES, sigmaToolchainReady, sigmaVenvDir } from "./setup/sigma-toolchain.js";

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly fix?: string;
}

/** What a run needs, what is present, and for each missing piece the exact fix. */
export async function doctor(): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string, fix: string) =>
    checks.push({ name, ok, detail, ...(ok ? {} : { fix }) });
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  add(
    "Node.js",
    major > 20 || (major === 20 && minor >= 19),
    `v${process.versions.node}`,
    "Install Node.js 20.19 or newer.",
  );
  const engine = await dockerAnswers();
  add(
    "Docker engine",
    engine,
    engine ? `answers at ${dockerEndpoint()}` : `no answer at ${dockerEndpoint()}`,
    "scanproof setup (as root it installs docker.io and starts dockerd)",
  );
  for (const tool of ["debootstrap", "mvn"]) {
    const present = await commandExists(tool);
    add(
      tool,
      present,
      present ? "installed" : "not installed (needed only to build images the first time)",
      `scanproof setup, or apt-get install -y ${tool === "mvn" ? "maven" : tool}`,
    );
  }
  const zip = elasticsearchZipPath();
  add(
    `Elasticsearch ${ELASTICSEARCH_VERSION} distribution`,
    existsSync(zip),
    existsSync(zip) ? zip : "not downloaded",
    "scanproof setup",
  );
  const esql = esqlJarsDir();
  add(
    `Elastic's ES|QL plugins ${ELASTICSEARCH_VERSION}`,
    existsSync(esql),
    existsSync(esql) ? esql : "not downloaded",
    "scanproof setup",
  );
  const sigma = sigmaToolchainReady();
  add(
    "Sigma toolchain",
    sigma,
    sigma
      ? `${SIGMA_PACKAGES.join(", ")} in ${sigmaVenvDir()}`
      : "not installed (needed only for Sigma rules)",
    "scanproof setup",
  );
  if (engine) {
    const base = await imageExists(BASE_IMAGE);
    add("Debian base image", base, base ? BASE_IMAGE : "missing", "scanproof setup");
    if (base) {
      for (const name of LAB_IMAGES) {
        const ref = await labImageRef(name).catch(() => `scanproof/${name}:?`);
        const present = await imageExists(ref);
        add(
          `lab image ${name}`,
          present,
          present ? ref : `${ref} not built (inputs changed or never built)`,
          "scanproof setup",
        );
      }
    }
    const leftovers = await countLeftovers();
    const orphaned = leftovers.orphanedRuns.length;
    add(
      "leftovers of killed runs",
      orphaned === 0,
      `${orphaned === 0 ? "none" : `runs ${leftovers.orphanedRuns.join(", ")}`}; ${leftovers.containers} labelled containers and ${leftovers.networks} networks in all`,
      "scanproof prune",
    );
  }
  return checks;
}
