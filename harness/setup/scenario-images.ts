import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, relative } from "node:path";
import { docker, imageExists, LABEL_IMAGE, LABEL_IMAGE_INPUTS } from "../docker/client.js";
import { ScanproofError } from "../core/errors.js";
import { task } from "../core/progress.js";
import { buildFromContext, listFiles } from "./lab-images.js";

/** The images a Dockerfile builds FROM, by the names its FROM lines give (a stage name is no image). */
function baseImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const bases: string[] = [];
  for (const m of readFileSync(dockerfile, "utf8").matchAll(
    /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/gim,
  )) {
    const [, image = "", stage] = m;
    if (!stages.has(image.toLowerCase())) bases.push(image);
    if (stage) stages.add(stage.toLowerCase());
  }
  return bases;
}

/**
 * The tag of a scenario's own image (a target's or a traffic source's `build`): a hash of the
 * Dockerfile's folder (its build context) and of the local images it builds FROM, so a changed file
 * or a rebuilt base builds it again, and an unchanged one is built once for every later run.
 */
export async function scenarioImageRef(dockerfile: string): Promise<string> {
  if (!existsSync(dockerfile))
    throw new ScanproofError(
      `The Dockerfile ${dockerfile} does not exist.`,
      "Name a Dockerfile relative to the scenario file.",
    );
  const context = dirname(dockerfile);
  const hash = createHash("sha256").update(basename(dockerfile));
  for (const file of listFiles(context)) hash.update(relative(context, file)).update(readFileSync(file));
  for (const base of baseImages(dockerfile))
    hash.update(base).update((await imageExists(base)) ? (await docker().getImage(base).inspect()).Id : "");
  const name =
    basename(context)
      .toLowerCase()
      .replace(/[^a-z0-9._-]/g, "-") || "image";
  return `scanproof-scenario/${name}:${hash.digest("hex").slice(0, 12)}`;
}

/** A scenario's own image, built from its Dockerfile with the Dockerfile's folder as the context. */
export async function ensureScenarioImage(dockerfile: string, field: string): Promise<string> {
  const ref = await scenarioImageRef(dockerfile);
  if (await imageExists(ref)) return ref;
  await task(`Build ${ref} from ${dockerfile}`, () =>
    buildFromContext({
      context: dirname(dockerfile),
      dockerfile: basename(dockerfile),
      ref,
      labels: { [LABEL_IMAGE]: `scenario:${dockerfile}`, [LABEL_IMAGE_INPUTS]: ref.split(":")[1] ?? "" },
      what: dockerfile,
      fix: `Fix the Dockerfile the scenario's ${field} names; it is built with its own folder as the context, FROM an image that is present (scanproof/base:bookworm is).`,
    }),
  );
  return ref;
}
