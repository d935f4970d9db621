import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import * as tar from "tar-fs";
import { docker, followStream, imageExists, LABEL_IMAGE, LABEL_IMAGE_INPUTS } from "../docker/client.js";
import { ScanproofError } from "../core/errors.js";
import { cacheDir, containersDir } from "../core/paths.js";
import { say, task } from "../core/progress.js";
import { BASE_IMAGE } from "./base-image.js";
import {
  elasticsearchZipName,
  elasticsearchZipPath,
  ensureElasticsearchDistribution,
} from "./elasticsearch-dist.js";
import { ensureEsqlPlugins, esqlJarsDir } from "./esql-plugins.js";

export const LAB_IMAGES = [
  "netkit",
  "attacker",
  "firewall",
  "web",
  "ssh",
  "dns",
  "smtp",
  "ftp",
  "smb",
  "telnet",
  "snmp",
  "db",
  "https",
  "ids",
  "flow",
  "detectors",
  "shipper",
  "elasticsearch",
] as const;
export type LabImage = (typeof LAB_IMAGES)[number];

/**
 * Part of every image's hash: bump it when the way images are built or labelled changes. Images
 * carry io.scanproof.image, never io.scanproof.managed, which containers would inherit: only the
 * harness marks a container as managed (and so as something `prune` may remove).
 */
const IMAGE_FORMAT = "2";

/** The name the ES|QL plugins' folder gets in the Elasticsearch build context. */
const ESQL_JARS = "esql-jars";

/**
 * Files and folders a build needs beyond containers/<name>/, keyed by the name they get in the
 * build context.
 */
function extraInputs(name: LabImage): Record<string, string> {
  if (name !== "elasticsearch") return {};
  const zip = elasticsearchZipPath();
  const jars = esqlJarsDir();
  for (const [path, what] of [
    [zip, "The Elasticsearch distribution"],
    [jars, "The folder of Elastic's ES|QL plugins"],
  ] as const) {
    if (!existsSync(path)) throw new ScanproofError(`${what} ${path} is missing.`, "Run `scanproof setup`.");
  }
  return { [basename(zip)]: zip, [ESQL_JARS]: jars };
}

/** An extra input's files with their sizes (a downloaded artefact's name and size identify it). */
function extraFiles(path: string): [string, number][] {
  if (!statSync(path).isDirectory()) return [["", statSync(path).size]];
  return listFiles(path).map((f) => [relative(path, f), statSync(f).size]);
}

/** Every file under a folder a build reads (TypeScript sources are left out of contexts), sorted. */
export function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile() && !f.endsWith(".ts"))
    .sort();
}

/**
 * The image tag is a hash of everything the build reads (its folder, extra inputs, the base image),
 * so a changed Dockerfile or config rebuilds exactly that image and nothing else.
 */
async function inputsHash(name: LabImage, extras: Record<string, string>): Promise<string> {
  const hash = createHash("sha256");
  const dir = join(containersDir, name);
  for (const file of listFiles(dir)) hash.update(relative(dir, file)).update(readFileSync(file));
  for (const [inContext, path] of Object.entries(extras))
    for (const [file, size] of extraFiles(path)) hash.update(join(inContext, file)).update(String(size));
  hash.update((await docker().getImage(BASE_IMAGE).inspect()).Id);
  hash.update(IMAGE_FORMAT);
  return hash.digest("hex").slice(0, 12);
}

export async function labImageRef(name: LabImage, repository = "scanproof"): Promise<string> {
  return `${repository}/${name}:${await inputsHash(name, extraInputs(name))}`;
}

/** The current image of a lab host, which must already be built: a run never builds or pulls. */
export async function builtLabImage(name: LabImage): Promise<string> {
  const ref = await labImageRef(name);
  if (!(await imageExists(ref))) {
    throw new ScanproofError(
      `The lab image ${ref} is not built (containers/${name}/ changed since the last set-up, or it never ran).`,
      "Run `scanproof setup` (or `scanproof run` without --no-setup).",
    );
  }
  return ref;
}

async function buildImage(
  name: LabImage,
  ref: string,
  extras: Record<string, string>,
  noCache = false,
): Promise<void> {
  let context = join(containersDir, name);
  if (Object.keys(extras).length > 0) {
    const staged = join(cacheDir(), "build", name);
    rmSync(staged, { recursive: true, force: true });
    mkdirSync(staged, { recursive: true });
    cpSync(context, staged, { recursive: true });
    for (const [inContext, path] of Object.entries(extras))
      cpSync(path, join(staged, inContext), { recursive: true });
    context = staged;
  }
  await buildFromContext({
    context,
    ref,
    labels: { [LABEL_IMAGE]: name, [LABEL_IMAGE_INPUTS]: ref.split(":")[1] ?? "" },
    buildargs: name === "elasticsearch" ? { ES_ZIP: elasticsearchZipName(), ESQL_JARS } : {},
    noCache,
    what: `containers/${name}/Dockerfile`,
    fix: "Fix the Dockerfile, or run `scanproof doctor` to check the Debian mirror.",
  });
}

/** A `docker build` of a folder (TypeScript files left out), failing with the build's last lines. */
export async function buildFromContext(build: {
  readonly context: string;
  readonly dockerfile?: string;
  readonly ref: string;
  readonly labels: Record<string, string>;
  readonly buildargs?: Record<string, string>;
  readonly noCache?: boolean;
  /** How the error names the Dockerfile. */
  readonly what: string;
  readonly fix: string;
}): Promise<void> {
  const tail: string[] = [];
  const context$ = tar.pack(build.context, {
    ignore: (f) => f.endsWith(".ts"),
  }) as unknown as NodeJS.ReadableStream;
  const stream: NodeJS.ReadableStream = await docker().buildImage(context$, {
    t: build.ref,
    labels: build.labels,
    buildargs: build.buildargs ?? {},
    ...(build.dockerfile === undefined ? {} : { dockerfile: build.dockerfile }),
    rm: true,
    forcerm: true,
    nocache: build.noCache ?? false,
  });
  try {
    await followStream(stream, (line) => {
      tail.push(line);
      if (tail.length > 15) tail.shift();
    });
  } catch (error) {
    throw new ScanproofError(
      `Building ${build.ref} from ${build.what} failed: ${(error as Error).message}\n${tail.join("\n")}`,
      build.fix,
    );
  }
}

/**
 * Builds one lab image under another repository without Docker's layer cache (bench/setup's cold
 * build, which must neither reuse nor replace the images runs use); returns its reference.
 */
export async function buildLabImageUncached(name: LabImage, repository: string): Promise<string> {
  const ref = await labImageRef(name, repository);
  await buildImage(name, ref, extraInputs(name), true);
  return ref;
}

/** Builds every lab image whose inputs changed; returns how many were built. */
export async function ensureLabImages(names: readonly LabImage[] = LAB_IMAGES): Promise<number> {
  if (names.includes("elasticsearch")) {
    await ensureElasticsearchDistribution();
    await ensureEsqlPlugins();
  }
  let built = 0;
  for (const name of names) {
    const extras = extraInputs(name);
    const ref = `scanproof/${name}:${await inputsHash(name, extras)}`;
    if (await imageExists(ref)) continue;
    await task(`Build lab image ${ref}`, () => buildImage(name, ref, extras));
    built += 1;
  }
  if (built === 0) say(`  all ${names.length} lab images are current`);
  return built;
}
