import { isMap, isNode, isScalar, LineCounter, type Document } from "yaml";
import type { z } from "zod";

/** One thing wrong with an input file, located as precisely as the parser allows. */
export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ""}${p.message}`;
}

export class InputError extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "InputError";
  }
}

export function dotPath(path: readonly PropertyKey[]): string {
  return path
    .map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`))
    .join("")
    .replace(/^\./, "");
}

/** Where a path points in a YAML document: the deepest node that exists along it. */
export type Anchor = "value" | "key";

/**
 * Where a path points in a YAML document: the value it names (or, with "key", the key naming it),
 * else the deepest node that exists along it.
 */
export function locate(
  doc: Document,
  lines: LineCounter,
  path: readonly PropertyKey[],
  anchor: Anchor = "value",
): { line: number; column: number } {
  if (anchor === "key" && path.length > 0) {
    const parent: unknown =
      path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1) as unknown[], true);
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path.at(-1));
      if (isNode(pair?.key) && pair.key.range) {
        const pos = lines.linePos(pair.key.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
  }
  for (let depth = path.length; depth >= 0; depth--) {
    const node: unknown = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) {
      const pos = lines.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}

export function zodProblems(
  file: string,
  issues: readonly z.core.$ZodIssue[],
  where: (path: readonly PropertyKey[], anchor: Anchor) => { line: number; column: number },
): Problem[] {
  return issues.map((issue) => {
    const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0] ?? ""] : issue.path;
    const message =
      issue.code === "unrecognized_keys"
        ? `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`
        : issue.message.replace(/^Invalid input: /, "");
    return {
      file,
      ...where(path, issue.code === "unrecognized_keys" ? "key" : "value"),
      path: dotPath(issue.path),
      message,
    };
  });
}
