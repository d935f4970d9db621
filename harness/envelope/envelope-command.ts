import { resolve } from "node:path";
import type { EnvelopeDimensionName } from "../report/envelope-model.js";
import { writeEnvelopeDiff, writeEnvelopeReports } from "../report/envelope-files.js";
import { diffEnvelopes, envelopeOfOrigins, renderEnvelopeDiffSummary } from "../report/envelope-diff.js";
import { renderEnvelopeText } from "../report/envelope-table.js";
import { DETECTORS } from "./detectors.js";
import { loadEnvelopeRuleSets } from "./envelope-inputs.js";
import { runEnvelope } from "./envelope-run.js";

/** The options of `scanproof envelope` as the command line gives them. */
export interface EnvelopeCliOptions {
  rules: string[];
  rule?: string[];
  without: string[];
  dimensions: string[];
  maxPorts: number;
  maxTargets: number;
  maxDelay: number;
  pacePorts: number;
  maxPoints?: number;
  out?: string;
  source: "outside" | "lan";
  rulesBaseline?: string;
  rulesChanged?: string;
  setup: boolean;
}

/** `scanproof envelope`: loads the contenders, measures, writes the reports; returns what to print. */
export async function runEnvelopeCommand(
  options: EnvelopeCliOptions,
): Promise<{ text: string; moved?: boolean }> {
  const change =
    options.rulesBaseline !== undefined && options.rulesChanged !== undefined
      ? { baseline: options.rulesBaseline, changed: options.rulesChanged }
      : undefined;
  const ruleSets = loadEnvelopeRuleSets({
    pack: !change && !options.without.includes("pack"),
    elastic: !change && !options.without.includes("elastic"),
    rulePaths: change ? [] : options.rules,
    ...(change
      ? {
          named: [
            { origin: BASELINE, path: change.baseline },
            { origin: CHANGED, path: change.changed },
          ],
        }
      : {}),
    ...(options.rule ? { only: options.rule } : {}),
  });
  const { result, dir } = await runEnvelope({
    ruleSets,
    detectors: change ? [] : DETECTORS.filter((d) => !options.without.includes(d)),
    dimensions: options.dimensions as EnvelopeDimensionName[],
    limits: {
      maxPorts: options.maxPorts,
      maxTargets: options.maxTargets,
      maxDelayMs: options.maxDelay,
      pacePorts: options.pacePorts,
    },
    ...(options.maxPoints === undefined ? {} : { maxPoints: options.maxPoints }),
    source: options.source,
  });
  const out = resolve(options.out ?? dir);
  const files = writeEnvelopeReports(result, out);
  const text = [renderEnvelopeText(result), "", files.json, files.html, files.markdown, ...files.charts];
  if (!change) return { text: text.join("\n") };
  const diff = diffEnvelopes(
    { label: change.baseline, result: envelopeOfOrigins(result, [BASELINE]) },
    { label: change.changed, result: envelopeOfOrigins(result, [CHANGED]) },
  );
  const diffFiles = writeEnvelopeDiff(diff, out);
  return {
    text: [...text, diffFiles.json, diffFiles.markdown, "", renderEnvelopeDiffSummary(diff)].join("\n"),
    moved: diff.moves.length > 0,
  };
}

const BASELINE = "baseline";
const CHANGED = "changed";
