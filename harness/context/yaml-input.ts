import type { z } from "zod";
import { parseYamlInput, readInputText } from "../core/input-files.js";
import { InputError, locate, zodProblems } from "../core/problems.js";

/**
 * Reads one YAML file and validates it against a schema; every problem is reported at once as
 * file:line:column: path: what was expected.
 */
export function readValidatedYaml<S extends z.ZodType>(
  path: string,
  schema: S,
): z.output<S> & { file: string } {
  const { file, text } = readInputText(path);
  const { doc, lines, value } = parseYamlInput(file, text);
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new InputError(
      zodProblems(file, parsed.error.issues, (p, anchor) => locate(doc, lines, p, anchor)),
    );
  return { ...(parsed.data as object), file } as z.output<S> & { file: string };
}
