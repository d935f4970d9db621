import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError, zodProblems } from "../core/problems.js";
import { EnvelopeResultSchema, type EnvelopeResult } from "./envelope-model.js";
import { renderEnvelopeDiffMarkdown, type EnvelopeDiff } from "./envelope-diff.js";
import { renderEnvelopeHtml } from "./envelope-html.js";
import { renderEnvelopeSvg } from "./envelope-svg.js";
import { detectingContenders, renderEnvelopeMarkdown } from "./envelope-table.js";
import { positions } from "./write-reports.js";

export const ENVELOPE_JSON = "envelope.json";

export interface EnvelopeFiles {
  readonly json: string;
  readonly html: string;
  readonly markdown: string;
  /** One chart per dimension: envelope-<dimension>.svg. */
  readonly charts: readonly string[];
}

/** Writes the envelope for machines (JSON), for people (HTML with the charts, Markdown) and each chart as a file. */
export function writeEnvelopeReports(result: EnvelopeResult, dir: string): EnvelopeFiles {
  mkdirSync(dir, { recursive: true });
  const files = {
    json: join(dir, ENVELOPE_JSON),
    html: join(dir, "envelope.html"),
    markdown: join(dir, "envelope.md"),
    charts: result.dimensions.map((d) => join(dir, `envelope-${d.name}.svg`)),
  };
  writeFileSync(files.json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(files.html, renderEnvelopeHtml(result));
  writeFileSync(files.markdown, `${renderEnvelopeMarkdown(result)}\n`);
  const contenders = detectingContenders(result);
  result.dimensions.forEach((d, i) => writeFileSync(files.charts[i] ?? "", renderEnvelopeSvg(d, contenders)));
  return files;
}

/** Reads an envelope JSON back, refusing anything else with the file and place of each problem. */
export function readEnvelopeResult(path: string): EnvelopeResult {
  const refuse = (message: string) => new InputError([{ file: path, line: 1, column: 1, path: "", message }]);
  let text: string;
  let data: unknown;
  try {
    text = readFileSync(path, "utf8");
    data = JSON.parse(text);
  } catch (error) {
    throw refuse(`not a readable JSON file (${(error as Error).message})`);
  }
  const parsed = EnvelopeResultSchema.safeParse(data);
  if (!parsed.success) throw new InputError(zodProblems(path, parsed.error.issues, positions(text)));
  return parsed.data;
}

/** What moved between two envelopes, as JSON and as a Markdown comment for a pull request. */
export function writeEnvelopeDiff(diff: EnvelopeDiff, dir: string): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const files = { json: join(dir, "envelope-diff.json"), markdown: join(dir, "envelope-diff.md") };
  writeFileSync(files.json, `${JSON.stringify(diff, null, 2)}\n`);
  writeFileSync(files.markdown, renderEnvelopeDiffMarkdown(diff));
  return files;
}

/**
 * The envelope file a `diff` input names, when it names one: an envelope JSON itself, or a folder
 * holding envelope.json. Anything else is left to the run results' reading (and its errors).
 */
export function envelopeFileOf(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const file = statSync(path).isDirectory() ? join(path, ENVELOPE_JSON) : path;
  if (!existsSync(file) || statSync(file).isDirectory()) return undefined;
  try {
    const data: unknown = JSON.parse(readFileSync(file, "utf8"));
    return typeof data === "object" && data !== null && "kind" in data && data.kind === "scanproof-envelope"
      ? file
      : undefined;
  } catch {
    return undefined;
  }
}
