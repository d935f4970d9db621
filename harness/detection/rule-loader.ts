import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import { z } from "zod";
import { InputError, zodProblems, type Problem } from "../scenario/problems.js";
import { KqlSyntaxError, kqlToQueryDsl, parseKql } from "./kql.js";
import type { Rule, SkippedRule, ThreatMapping } from "./rule.js";

const SUPPORTED_TYPES = ["query", "threshold"] as const;
const SUPPORTED_LANGUAGES = ["kuery", "lucene"] as const;

const dateMath = z.string().regex(/^now-\d+[smhd]$/, 'Kibana date math such as "now-9m"');
const interval = z.string().regex(/^\d+[smhd]$/, 'an interval such as "5m"');

const Threat = z.looseObject({
  framework: z.literal("MITRE ATT&CK"),
  tactic: z.looseObject({ id: z.string(), name: z.string() }),
  technique: z
    .array(
      z.looseObject({
        id: z.string(),
        name: z.string(),
        subtechnique: z.array(z.looseObject({ id: z.string(), name: z.string() })).default([]),
      }),
    )
    .default([]),
});

/** The [rule] table as Elastic's detection-rules repository writes it; documentation keys pass. */
const RuleTable = z.looseObject({
  rule_id: z.string().min(1),
  name: z.string().min(1),
  description: z.string().default(""),
  type: z.string(),
  language: z.string().optional(),
  query: z.string().optional(),
  index: z.array(z.string()).min(1).optional(),
  severity: z.enum(["low", "medium", "high", "critical"]),
  risk_score: z.number().min(0).max(100),
  from: dateMath.default("now-6m"),
  interval: interval.default("5m"),
  max_signals: z.number().int().min(1).default(100),
  timestamp_override: z.string().optional(),
  threat: z.array(Threat).default([]),
  threshold: z
    .strictObject({
      field: z
        .union([z.string(), z.array(z.string())])
        .transform((f) => (Array.isArray(f) ? f : f ? [f] : [])),
      value: z.number().int().min(1),
      cardinality: z
        .array(z.strictObject({ field: z.string().min(1), value: z.number().int().min(1) }))
        .default([]),
    })
    .optional(),
});

const RuleFile = z.looseObject({ metadata: z.looseObject({}).optional(), rule: RuleTable });

function toMs(spec: string): number {
  const n = Number.parseInt(spec.replace(/^now-/, ""), 10);
  const unit = spec.at(-1);
  return n * (unit === "d" ? 86_400_000 : unit === "h" ? 3_600_000 : unit === "m" ? 60_000 : 1000);
}

/**
 * Where the [rule] table's query string starts in the file, so KQL errors point into the TOML file.
 * Other tables (e.g. [[transform.osquery]]) may have a `query` key of their own, and the newline
 * TOML trims after an opening multi-line delimiter may be CRLF.
 */
function queryOrigin(text: string): { line: number; column: number } {
  const table = /^\[rule\][ \t]*\r?$/m.exec(text);
  const start = table ? table.index + table[0].length : 0;
  const key = /^[ \t]*query[ \t]*=[ \t]*('''|"""|'|")(\r?\n)?/m.exec(text.slice(start));
  if (!key) return { line: 1, column: 1 };
  const lines = text.slice(0, start + key.index + key[0].length).split("\n");
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

export type LoadedRule = { ok: true; rule: Rule } | { ok: false; skipped: SkippedRule };

/**
 * Reads one rule TOML file. Malformed files throw an InputError naming file, line and path;
 * well-formed rules scanproof cannot run come back as skipped with the reason.
 */
export function loadRuleFile(path: string): LoadedRule {
  const file = relative(process.cwd(), path) || path;
  const text = readFileSync(path, "utf8");
  let data: unknown;
  try {
    data = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      throw new InputError([
        {
          file,
          line: error.line,
          column: error.column,
          path: "",
          message: `TOML: ${error.message.split("\n")[0] ?? ""}`,
        },
      ]);
    }
    throw error;
  }
  const parsed = RuleFile.safeParse(data);
  if (!parsed.success)
    throw new InputError(zodProblems(file, parsed.error.issues, () => ({ line: 1, column: 1 })));
  const r = parsed.data.rule;
  const skip = (reason: string): LoadedRule => ({
    ok: false,
    skipped: { file, ruleId: r.rule_id, name: r.name, reason },
  });
  if (!(SUPPORTED_TYPES as readonly string[]).includes(r.type)) {
    return skip(`rule type "${r.type}" is not supported (supported: ${SUPPORTED_TYPES.join(", ")})`);
  }
  const language = r.language ?? "kuery";
  if (!(SUPPORTED_LANGUAGES as readonly string[]).includes(language)) {
    return skip(
      `query language "${language}" is not supported by this backend (supported: ${SUPPORTED_LANGUAGES.join(", ")})`,
    );
  }
  if (!r.index) return skip("the rule names no index pattern (data views are not supported)");
  if (r.query === undefined) return skip("the rule has no query");
  let filter: Record<string, unknown>;
  if (language === "kuery") {
    try {
      filter = r.query.trim() === "" ? { match_all: {} } : kqlToQueryDsl(parseKql(r.query));
    } catch (error) {
      if (!(error instanceof KqlSyntaxError)) throw error;
      const origin = queryOrigin(text);
      const problem: Problem = {
        file,
        line: origin.line + error.line - 1,
        column: error.line === 1 ? origin.column + error.column - 1 : error.column,
        path: "rule.query",
        message: `KQL: ${error.message}`,
      };
      throw new InputError([problem]);
    }
  } else {
    filter = { query_string: { query: r.query } };
  }
  const threat: ThreatMapping[] = r.threat.map((t) => ({
    tactic: { id: t.tactic.id, name: t.tactic.name },
    techniques: t.technique.map((tech) => ({
      id: tech.id,
      name: tech.name,
      subtechniques: tech.subtechnique.map((s) => ({ id: s.id, name: s.name })),
    })),
  }));
  const base = {
    file,
    ruleId: r.rule_id,
    name: r.name,
    description: r.description,
    severity: r.severity,
    riskScore: r.risk_score,
    index: r.index,
    language: language as "kuery" | "lucene",
    query: r.query,
    filter,
    lookbackMs: toMs(r.from),
    intervalMs: toMs(r.interval),
    maxSignals: r.max_signals,
    timestampField: r.timestamp_override ?? "@timestamp",
    threat,
  };
  if (r.type === "threshold") {
    if (!r.threshold)
      throw new InputError([
        {
          file,
          line: 1,
          column: 1,
          path: "rule.threshold",
          message: "a threshold rule needs a [rule.threshold] table",
        },
      ]);
    return {
      ok: true,
      rule: {
        ...base,
        type: "threshold",
        threshold: {
          fields: r.threshold.field,
          value: r.threshold.value,
          cardinality: r.threshold.cardinality,
        },
      },
    };
  }
  return { ok: true, rule: { ...base, type: "query" } };
}

export interface RuleSet {
  readonly rules: readonly Rule[];
  readonly skipped: readonly SkippedRule[];
}

/** Loads every *.toml below the given files or folders; all problems are reported together. */
export function loadRules(paths: readonly string[]): RuleSet {
  const files = paths.flatMap((p) => (statSync(p).isDirectory() ? tomlFilesBelow(p) : [p]));
  const rules: Rule[] = [];
  const skipped: SkippedRule[] = [];
  const problems: Problem[] = [];
  const ids = new Map<string, string>();
  for (const f of files) {
    try {
      const loaded = loadRuleFile(f);
      if (!loaded.ok) {
        skipped.push(loaded.skipped);
        continue;
      }
      const earlier = ids.get(loaded.rule.ruleId);
      if (earlier) {
        problems.push({
          file: loaded.rule.file,
          line: 1,
          column: 1,
          path: "rule.rule_id",
          message: `rule_id ${loaded.rule.ruleId} is also used by ${earlier}`,
        });
        continue;
      }
      ids.set(loaded.rule.ruleId, loaded.rule.file);
      rules.push(loaded.rule);
    } catch (error) {
      if (error instanceof InputError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return { rules, skipped };
}

function tomlFilesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".toml"))
    .map((f) => join(dir, f))
    .sort();
}
