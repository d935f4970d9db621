import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { relative } from "node:path";
import {
  type Document,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  LineCounter,
  parseDocument,
} from "yaml";
import { dotPath, InputError, type Problem } from "./problems.js";

/** Scenario, rule and context files are a few kilobytes; anything near this is not one. */
export const MAX_INPUT_BYTES = 1024 * 1024;
/** YAML aliases expand to copies: a handful of them can describe gigabytes ("billion laughs"). */
const MAX_YAML_ALIASES = 100;

/** How an input file is named in problems: relative to the working directory. */
export function displayName(path: string): string {
  return relative(process.cwd(), path) || path;
}

function whole(file: string, message: string): InputError {
  return new InputError([{ file, line: 1, column: 1, path: "", message }]);
}

/**
 * Opening a FIFO for reading waits for a writer, and a terminal may become the controlling one:
 * neither happens with these flags, so what is no regular file is refused at once.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** What reading a file gave: its bytes, or why it was refused before or while reading it. */
export type FileRead =
  | { readonly ok: true; readonly data: Buffer }
  | { readonly ok: false; readonly refused: "unreadable"; readonly error: NodeJS.ErrnoException }
  | { readonly ok: false; readonly refused: "not-regular" }
  | { readonly ok: false; readonly refused: "too-large"; readonly size: number };

/**
 * Reads a file whole without ever waiting: a missing file, a folder, a device, pipe or socket, a
 * file larger than `maxBytes` are refused, and nothing about its content is in the refusal.
 */
export function readRegularFile(path: string, maxBytes: number): FileRead {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (error) {
    return { ok: false, refused: "unreadable", error: error as NodeJS.ErrnoException };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, refused: "not-regular" };
    if (stat.size > maxBytes) return { ok: false, refused: "too-large", size: stat.size };
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < stat.size) {
      const n = readSync(fd, buffer, read, stat.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return { ok: true, data: buffer.subarray(0, read) };
  } catch (error) {
    return { ok: false, refused: "unreadable", error: error as NodeJS.ErrnoException };
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads an input file as UTF-8, refusing what cannot be one before reading it: a missing file, a
 * folder, a device, pipe or socket, a file larger than `maxBytes`.
 */
export function readInputText(path: string, maxBytes = MAX_INPUT_BYTES): { file: string; text: string } {
  const file = displayName(path);
  const read = readRegularFile(path, maxBytes);
  if (read.ok) return { file, text: read.data.toString("utf8") };
  switch (read.refused) {
    case "unreadable":
      throw whole(file, `cannot be read: ${read.error.message}`);
    case "not-regular":
      throw whole(file, "is not a regular file");
    case "too-large":
      throw whole(file, `the file is larger than ${maxBytes} bytes (${read.size} bytes)`);
  }
}

export interface YamlInput {
  readonly doc: Document;
  readonly lines: LineCounter;
  /** The document as plain data, for schema validation. */
  readonly value: unknown;
}

/** Parses a YAML input: syntax errors, duplicate keys and alias bombs are problems, never crashes. */
export function parseYamlInput(file: string, text: string): YamlInput {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.map((e): Problem => {
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
  const duplicates = duplicateKeys(file, doc, lines);
  if (duplicates.length > 0) throw new InputError(duplicates);
  try {
    return { doc, lines, value: doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) };
  } catch (error) {
    throw whole(
      file,
      `YAML: the document cannot be expanded (${(error as Error).message}); at most ${MAX_YAML_ALIASES} alias uses are allowed`,
    );
  }
}

/** A node still to visit, with how it was reached: the path is rebuilt only for a problem. */
interface Visit {
  readonly node: unknown;
  readonly parent?: Visit;
  readonly key?: PropertyKey;
}

function pathOf(visit: Visit): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let v: Visit | undefined = visit; v?.key !== undefined; v = v.parent) path.push(v.key);
  return path.reverse();
}

/**
 * Keys given twice in one mapping, each at its second occurrence, in one pass over the document
 * with a set per mapping (the yaml library's own check compares every pair of keys: minutes for a
 * large file). Scalar keys are equal when they name the same property of the parsed object, so
 * `1` and `"1"` collide; aliases are not followed, their anchors are visited where they stand.
 */
function duplicateKeys(file: string, doc: Document, lines: LineCounter): Problem[] {
  const problems: Problem[] = [];
  const offset = (node: unknown, fallback: unknown): number =>
    isNode(node) && node.range ? node.range[0] : isNode(fallback) && fallback.range ? fallback.range[0] : 0;
  const stack: Visit[] = [{ node: doc.contents }];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    const { node } = visit;
    if (!isCollection(node)) continue;
    const seen = new Map<string, number>();
    node.items.forEach((item: unknown, i) => {
      if (!isPair(item)) {
        stack.push({ node: item, parent: visit, key: i });
        return;
      }
      const key = String(isScalar(item.key) ? item.key.value : item.key);
      if (isMap(node) && (isScalar(item.key) || item.key === null)) {
        const first = seen.get(key);
        const at = offset(item.key, item.value);
        if (first === undefined) seen.set(key, at);
        else {
          const pos = lines.linePos(at);
          problems.push({
            file,
            line: pos.line,
            column: pos.col,
            path: dotPath(pathOf(visit)),
            message: `YAML: map keys must be unique; ${JSON.stringify(key)} is already a key of this map at line ${lines.linePos(first).line}`,
          });
        }
      }
      stack.push({ node: item.value, parent: visit, key });
    });
  }
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}
