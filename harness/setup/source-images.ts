import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import * as tar from "tar-fs";
import {
  docker,
  followStream,
  imageExists,
  LABEL_IMAGE,
  LABEL_IMAGE_INPUTS,
  LABEL_RUN,
} from "../docker/client.js";
import { ScanproofError } from "../core/errors.js";
import { task } from "../core/progress.js";

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
 * The tag of a traffic source's own image: a hash of the Dockerfile's folder (its build context)
 * and of the local images it builds FROM, so a changed file or a rebuilt base builds it again.
 */
export async function sourceImageRef(dockerfile: string): Promise<string> {
  if (!existsSync(dockerfile))
    throw new ScanproofError(
      `The Dockerfile ${dockerfile} does not exist.`,
      "Name a Dockerfile relative to the scenario file.",
    );
  const context = dirname(dockerfile);
  const hash = createHash("sha256").update(basename(dockerfile));
  const files = readdirSync(context, { recursive: true, encoding: "utf8" })
    .map((f) => join(context, f))
    .filter((f) => statSync(f).isFile())
    .sort();
  for (const file of files) hash.update(relative(context, file)).update(readFileSync(file));
  for (const base of baseImages(dockerfile))
    hash.update(base).update((await imageExists(base)) ? (await docker().getImage(base).inspect()).Id : "");
  const name =
    basename(context)
      .toLowerCase()
      .replace(/[^a-z0-9._-]/g, "-") || "source";
  return `scanproof-source/${name}:${hash.digest("hex").slice(0, 12)}`;
}

/**
 * A traffic source's image from the user's Dockerfile, cached by the content hash of its folder as
 * lab images are (the same folder builds once), labelled with the run that built it.
 */
export async function ensureSourceImage(dockerfile: string, runId: string): Promise<string> {
  const ref = await sourceImageRef(dockerfile);
  if (await imageExists(ref)) return ref;
  await task(`Build the source image ${ref} from ${dockerfile}`, async () => {
    const tail: string[] = [];
    const stream: NodeJS.ReadableStream = await docker().buildImage(
      tar.pack(dirname(dockerfile)) as unknown as NodeJS.ReadableStream,
      {
        t: ref,
        dockerfile: basename(dockerfile),
        labels: {
          [LABEL_IMAGE]: `source:${dockerfile}`,
          [LABEL_IMAGE_INPUTS]: ref.split(":")[1] ?? "",
          [LABEL_RUN]: runId,
        },
        rm: true,
        forcerm: true,
      },
    );
    try {
      await followStream(stream, (line) => {
        tail.push(line);
        if (tail.length > 15) tail.shift();
      });
    } catch (error) {
      throw new ScanproofError(
        `Building ${ref} from ${dockerfile} failed: ${(error as Error).message}\n${tail.join("\n")}`,
        "Fix the Dockerfile; it is built with its own folder as the context, FROM an image that is present (scanproof/base:bookworm is).",
      );
    }
  });
  return ref;
}
