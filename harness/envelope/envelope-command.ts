import { resolve } from "node:path";
import type { EnvelopeDimensionName } from "../report/envelope-model.js";
import { writeEnvelopeReports } from "../report/envelope-files.js";
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
  setup: boolean;
}

/** `scanproof envelope`: loads the contenders, measures, writes the reports; returns what to print. */
export async function runEnvelopeCommand(options: EnvelopeCliOptions): Promise<string> {
  const ruleSets = loadEnvelopeRuleSets({
    pack: !options.without.includes("pack"),
    elastic: !options.without.includes("elastic"),
    rulePaths: options.rules,
    ...(options.rule ? { only: options.rule } : {}),
  });
  const { result, dir } = await runEnvelope({
    ruleSets,
    detectors: DETECTORS.filter((d) => !options.without.includes(d)),
    dimensions: options.dimensions as EnvelopeDimensionName[],
    limits: {
      maxPorts: options.maxPorts,
      maxTargets: options.maxTargets,
      maxDelayMs: options.maxDelay,
      pacePorts: options.pacePorts,
    },
    ...(options.maxPoints === undefined ? {} : { maxPoints: options.maxPoints }),
  });
  const files = writeEnvelopeReports(result, resolve(options.out ?? dir));
  return [renderEnvelopeText(result), "", files.json, files.html, files.markdown, ...files.charts].join("\n");
}
