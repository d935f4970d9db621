import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { InputError, locate, zodProblems } from "../scenario/problems.js";

/**
 * Reads one YAML file and validates it against a schema; every problem is reported at once as
 * file:line:column: path: what was expected.
 */
export function readValidatedYaml<S extends z.ZodType>(
  path: string,
  schema: S,
): z.output<S> & { file: string } {
  const file = relative(process.cwd(), path) || path;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new InputError([
      { file, line: 1, column: 1, path: "", message: `cannot be read: ${(error as Error).message}` },
    ]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return {
          file,
          line: pos.line,
          column: pos.col,
          path: "",
          message: `YAML: ${e.message.split("\n")[0] ?? ""}`,
        };
      }),
    );
  }
  const parsed = schema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (!parsed.success)
    throw new InputError(
      zodProblems(file, parsed.error.issues, (p, anchor) => locate(doc, lines, p, anchor)),
    );
  return { ...(parsed.data as object), file } as z.output<S> & { file: string };
}
