import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../scenario/problems.js";
import type { RunResult } from "../result.js";
import { renderHtml } from "./html.js";
import {
  buildIncidentReport,
  escalatedAlerts,
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

/** Writes every report of the run into `dir` (created if missing) and returns where each one is. */
export function writeReports(run: RunResult, dir: string): ReportFiles {
  mkdirSync(dir, { recursive: true });
  const entries = Object.entries(REPORTS).map(([name, report]) => {
    const path = join(dir, report.file);
    writeFileSync(path, report.render(run));
    return [name, path] as const;
  });
  const incidents = escalatedAlerts(run).flatMap(({ scenario, alert }) => {
    const folder = join(dir, "incidents", scenario.id);
    mkdirSync(folder, { recursive: true });
    const report = buildIncidentReport(run, scenario, alert);
    const md = join(folder, `${alert.id}.md`);
    const json = join(folder, `${alert.id}.json`);
    writeFileSync(md, renderIncidentMarkdown(report));
    writeFileSync(json, renderIncidentJson(report));
    return [md, json];
  });
  return { ...(Object.fromEntries(entries) as Record<keyof typeof REPORTS, string>), incidents };
}

/** Reads a results.json written by `scanproof run`, refusing anything else with the reason. */
export function readRunResult(path: string): RunResult {
  const refuse = (message: string) => new InputError([{ file: path, line: 1, column: 1, path: "", message }]);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw refuse(`not a readable JSON file (${(error as Error).message})`);
  }
  const file = data as Partial<RunResult> & { schemaVersion?: unknown; summary?: unknown };
  if (file.schemaVersion !== 1 || !Array.isArray(file.scenarios) || typeof file.runId !== "string") {
    throw refuse(
      "not a scanproof results file: expected schemaVersion 1 with runId and scenarios (scanproof-results/<run id>/results.json)",
    );
  }
  const { schemaVersion, summary, ...run } = file;
  return run as RunResult;
}
