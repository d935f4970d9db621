import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, dirname, relative } from "node:path";
import { docker, imageExists, LABEL_IMAGE, LABEL_IMAGE_INPUTS } from "../docker/client.js";
import { task } from "../core/progress.js";
import { BASE_IMAGE } from "./base-image.js";
import { buildFromContext, listFiles } from "./lab-images.js";

/**
 * A scenario's own target image, built from its Dockerfile with the Dockerfile's folder as the
 * context. Tagged by a hash of every file in that folder and of the Debian base image (which such
 * images usually build FROM), so an unchanged image is built once and reused by every later run;
 * returns the image reference.
 */
export async function ensureCustomImage(dockerfile: string): Promise<string> {
  const context = dirname(dockerfile);
  const hash = createHash("sha256").update(basename(dockerfile));
  for (const file of listFiles(context)) hash.update(relative(context, file)).update(readFileSync(file));
  if (await imageExists(BASE_IMAGE)) hash.update((await docker().getImage(BASE_IMAGE).inspect()).Id);
  const inputs = hash.digest("hex").slice(0, 12);
  const ref = `scanproof/custom:${inputs}`;
  if (await imageExists(ref)) return ref;
  await task(`Build target image ${ref} from ${dockerfile}`, () =>
    buildFromContext({
      context,
      dockerfile: basename(dockerfile),
      ref,
      labels: { [LABEL_IMAGE]: "custom", [LABEL_IMAGE_INPUTS]: inputs },
      what: dockerfile,
      fix: "Fix the Dockerfile named by the target's `build`.",
    }),
  );
  return ref;
}
