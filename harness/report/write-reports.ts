import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { z } from "zod";
import { ResultsFileSchema, type RunResult } from "../result.js";
import { InputError, zodProblems, type Anchor, type Problem } from "../core/problems.js";
import { renderHtml } from "./html.js";
import {
  buildIncidentReport,
  escalatedAlerts,
  incidentFiles,
  renderIncidentJson,
  renderIncidentMarkdown,
} from "./incident.js";
import { renderJson } from "./json.js";
import { renderJunit } from "./junit.js";
import { renderNavigatorLayer } from "./navigator.js";

const REPORTS = {
  results: { file: "results.json", render: renderJson },
  junit: { file: "junit.xml", render: renderJunit },
  navigatorLayer: { file: "navigator-layer.json", render: renderNavigatorLayer },
  html: { file: "report.html", render: renderHtml },
} as const;

export type ReportFiles = Readonly<Record<keyof typeof REPORTS, string>> & {
  /** One Markdown and one JSON incident report per Tier 2 alert, under incidents/<scenario>/. */
  readonly incidents: readonly string[];
};

export const REPORT_FILES: readonly string[] = Object.values(REPORTS).map((r) => r.file);

/** The path of a report below the output folder; anything that would land outside it is a bug, and refused. */
function inside(dir: string, file: string): string {
  const path = join(dir, ...file.split("/"));
  const rel = relative(resolve(dir), resolve(path));
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel))
    throw new Error(`refusing to write ${JSON.stringify(file)} outside the report folder ${dir}`);
  return path;
}

/** Writes every report of the run into `dir` (created if missing) and returns where each one is. */
export function writeReports(run: RunResult, dir: string): ReportFiles {
  mkdirSync(dir, { recursive: true });
  const entries = Object.entries(REPORTS).map(([name, report]) => {
    const path = join(dir, report.file);
    writeFileSync(path, report.render(run));
    return [name, path] as const;
  });
  const written = new Set<string>();
  const incidents = escalatedAlerts(run).flatMap(({ scenario, alert }) => {
    const files = incidentFiles(scenario.id, alert.id);
    const md = inside(dir, files.md);
    const json = inside(dir, files.json);
    if (written.has(md)) return [];
    written.add(md);
    mkdirSync(dirname(md), { recursive: true });
    const report = buildIncidentReport(run, scenario, alert);
    writeFileSync(md, renderIncidentMarkdown(report));
    writeFileSync(json, renderIncidentJson(report));
    return [md, json];
  });
  return { ...(Object.fromEntries(entries) as Record<keyof typeof REPORTS, string>), incidents };
}

/** A results file of thousands of scenarios is a few tens of megabytes; anything near this is not one. */
const MAX_RESULTS_BYTES = 256 * 1024 * 1024;
/** Problems shown for one file; a file wrong everywhere is not worth listing in full. */
const MAX_PROBLEMS = 20;

function readResultsText(path: string, refuse: (message: string) => InputError): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw refuse(`not a readable JSON file (${(error as Error).message})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw refuse("not a readable JSON file (not a regular file)");
    if (stat.size > MAX_RESULTS_BYTES)
      throw refuse(`not a results file: larger than ${MAX_RESULTS_BYTES} bytes (${stat.size} bytes)`);
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a results.json written by `scanproof run`, checking every field against the results
 * schema: a file from another machine or version is refused with each problem at its line, its
 * dot path and what was expected, never rendered on trust.
 */
export function readRunResult(path: string): RunResult {
  const refuse = (message: string) => new InputError([{ file: path, line: 1, column: 1, path: "", message }]);
  const text = readResultsText(path, refuse);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw refuse(`not a readable JSON file (${(error as Error).message})`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data) || !("schemaVersion" in data))
    throw refuse(
      "not a scanproof results file: expected schemaVersion 1 with runId and scenarios (scanproof-results/<run id>/results.json)",
    );
  const parsed = ResultsFileSchema.safeParse(data);
  if (!parsed.success) throw new InputError(locatedProblems(path, text, parsed.error.issues));
  const { schemaVersion, summary, ...run } = parsed.data;
  return run;
}

function locatedProblems(file: string, text: string, issues: readonly z.core.$ZodIssue[]): Problem[] {
  const where = positions(text);
  const shown = zodProblems(file, issues.slice(0, MAX_PROBLEMS), where);
  if (issues.length <= MAX_PROBLEMS) return shown;
  return [
    ...shown,
    { file, line: 1, column: 1, path: "", message: `and ${issues.length - MAX_PROBLEMS} more problems` },
  ];
}

/**
 * Where a path points in a JSON text that parsed: the value it names (with "key", the key naming
 * it), else the deepest value that exists along it. One pass over the text per problem.
 */
export function positions(
  text: string,
): (path: readonly PropertyKey[], anchor: Anchor) => { line: number; column: number } {
  return (path, anchor) => lineAndColumn(text, jsonOffset(text, path, anchor));
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line += 1;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

function jsonOffset(text: string, path: readonly PropertyKey[], anchor: Anchor): number {
  const space = (i: number): number => {
    while (i < text.length && " \t\n\r".includes(text.charAt(i))) i++;
    return i;
  };
  const endOfString = (i: number): number => {
    for (i += 1; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    return i + 1;
  };
  const endOfValue = (i: number): number => {
    if (text[i] === '"') return endOfString(i);
    if (text[i] !== "{" && text[i] !== "[") {
      while (i < text.length && !",}] \t\n\r".includes(text.charAt(i))) i++;
      return i;
    }
    let depth = 0;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '"') i = endOfString(i) - 1;
      else if (c === "{" || c === "[") depth++;
      else if ((c === "}" || c === "]") && --depth === 0) return i + 1;
    }
    return i;
  };
  let at = space(0);
  for (const [depth, step] of path.entries()) {
    const open = text[at];
    if (!(open === "{" && typeof step === "string") && !(open === "[" && typeof step === "number")) return at;
    let i = space(at + 1);
    let found: number | undefined;
    for (let index = 0; text[i] !== "}" && text[i] !== "]" && i < text.length; index++) {
      const keyAt = i;
      let key: unknown = index;
      if (open === "{") {
        const end = endOfString(i);
        key = JSON.parse(text.slice(i, end));
        i = space(space(end) + 1);
      }
      if (key === step) {
        found = anchor === "key" && depth === path.length - 1 ? keyAt : i;
        break;
      }
      i = space(endOfValue(i));
      if (text[i] === ",") i = space(i + 1);
    }
    if (found === undefined) return at;
    at = found;
  }
  return at;
}
