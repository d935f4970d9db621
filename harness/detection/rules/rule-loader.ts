import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { estypes } from "@elastic/elasticsearch";
import { parse as parseToml, TomlError } from "smol-toml";
import { z } from "zod";
import { displayName, readInputText } from "../../core/input-files.js";
import { InputError, zodProblems, type Problem } from "../../core/problems.js";
import { INVENTORY_FILTERS } from "./rule.js";
import { KqlSyntaxError, kqlToQueryDsl, parseKql } from "./kql.js";
import { checkLuceneSyntax, LuceneSyntaxError } from "./lucene.js";
import type {
  EsqlRule,
  ExceptionResolution,
  FilterClause,
  LoadedRule,
  Rule,
  RuleDocument,
  RuleOrigin,
  RuleSet,
  SkippedRule,
  ThreatMapping,
} from "./rule.js";
import { isKibanaExport, loadKibanaExport } from "./kibana-export.js";
import { isSigmaFile, loadSigmaFiles } from "./sigma-rules.js";

export type { LoadedRule } from "./rule.js";
import { withFilters } from "./query-filters.js";
import { intervalProblem } from "./schedule.js";
import { esqlSourcePatterns, isAggregatingEsql } from "./esql-query.js";

const RUNNABLE_TYPES = ["query", "threshold", "new_terms"] as const;
const LANGUAGES = ["kuery", "lucene"] as const;

/** Why each rule type Kibana knows, other than the runnable ones and esql, cannot run here. */
const UNRUNNABLE_TYPES: Readonly<Record<string, string>> = {
  eql: "EQL (event sequences) is not implemented by scanproof",
  machine_learning: "it needs Elastic's anomaly detection jobs, which only a licensed cluster with ML runs",
  threat_match:
    "indicator match needs threat-intelligence indicator indices, which scanproof does not implement",
  saved_query: "its query is saved in Kibana, which scanproof cannot read",
};

/** [rule] keys that change which events alert and that scanproof cannot honour, with the reason. */
const UNSUPPORTED_KEYS: Readonly<Record<string, string>> = {
  exceptions_list: "its exception lists live in Kibana, so the rule would alert on what its authors excluded",
  alert_suppression: "scanproof does not suppress alerts, so the rule would alert more often than in Kibana",
  data_view_id: "it searches a Kibana data view; scanproof searches index patterns only",
  saved_id: "its query is saved in Kibana, which scanproof cannot read",
};

/** [rule] keys that describe the rule or its alerts without changing which events alert. */
const DESCRIPTIVE_KEYS = new Set([
  "actions",
  "created_at",
  "created_by",
  "execution_summary",
  "id",
  "immutable",
  "revision",
  "rule_source",
  "updated_at",
  "updated_by",
  "author",
  "building_block_type",
  "enabled",
  "false_positives",
  "investigation_fields",
  "license",
  "meta",
  "namespace",
  "note",
  "output_index",
  "references",
  "related_integrations",
  "required_fields",
  "response_actions",
  "risk_score_mapping",
  "rule_name_override",
  "setup",
  "severity_mapping",
  "tags",
  "throttle",
  "timeline_id",
  "timeline_title",
  "version",
]);

/**
 * The longest look-back (`from`, `history_window_start`) or `interval` a rule may name: a century,
 * longer than any retention of the events a rule searches. Then a window, even with the
 * scheduler's catch-up intervals before it, starts well inside the dates JavaScript can represent
 * (±8.64e15 ms, years -271821 to 275760) for any "now" from year 0 to 9999; an unbounded one
 * ("now-1000000000d") starts outside them, and every date computed from it is invalid.
 */
export const MAX_LOOKBACK_DAYS = 36_525;

const withinLookbackBound = (spec: string): boolean => toMs(spec) <= MAX_LOOKBACK_DAYS * 86_400_000;
const dateMath = z
  .string()
  .regex(/^now(-\d+[smhdw])?$/, { error: 'Kibana date math such as "now-9m"', abort: true })
  .refine(withinLookbackBound, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} looks back further than a century; expected at most "now-${MAX_LOOKBACK_DAYS}d"`,
  });
const interval = z
  .string()
  .regex(/^\d+[smhd]$/, { error: 'an interval such as "5m"', abort: true })
  .refine(withinLookbackBound, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is longer than a century; expected at most "${MAX_LOOKBACK_DAYS}d"`,
  });

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

const Threshold = z.strictObject({
  field: z.union([z.string(), z.array(z.string())]).transform((f) => (Array.isArray(f) ? f : f ? [f] : [])),
  value: z.number().int().min(1),
  cardinality: z
    .array(z.strictObject({ field: z.string().min(1), value: z.number().int().min(1) }))
    .max(1, "Kibana allows one cardinality clause")
    .default([]),
});

const NewTermsFields = z.array(z.string().min(1)).min(1).max(3, "Kibana allows at most 3 new terms fields");

/** detection-rules writes Kibana's `new_terms_fields` and `history_window_start` as this table. */
const NewTermsTable = z.strictObject({
  field: z.literal("new_terms_fields"),
  value: NewTermsFields,
  history_window_start: z
    .array(z.strictObject({ field: z.literal("history_window_start"), value: dateMath }))
    .length(1),
});

/** A Kibana filter: a query clause with `meta` saying whether it is negated or disabled. */
const Filter = z.looseObject({
  meta: z
    .looseObject({ negate: z.boolean().default(false), disabled: z.boolean().default(false) })
    .default({ negate: false, disabled: false }),
  query: z.record(z.string(), z.unknown()).optional(),
});

/** The [rule] table as Elastic's detection-rules repository writes it. */
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
  to: dateMath.default("now"),
  interval: interval.default("5m"),
  max_signals: z.number().int().min(1).default(100),
  timestamp_override: z.string().min(1).optional(),
  timestamp_override_fallback_disabled: z.boolean().default(false),
  threat: z.array(Threat).default([]),
  threshold: Threshold.optional(),
  new_terms: NewTermsTable.optional(),
  new_terms_fields: NewTermsFields.optional(),
  history_window_start: dateMath.optional(),
  filters: z.array(Filter).default([]),
  exceptions_list: z.array(z.unknown()).default([]),
});
type RuleTable = z.infer<typeof RuleTable>;

const UNDERSTOOD_KEYS = new Set(Object.keys(RuleTable.shape));

const RuleFile = z.looseObject({
  metadata: z.looseObject({ maturity: z.string().optional() }).optional(),
  scanproof: z.strictObject({ inventory_filter: z.enum(INVENTORY_FILTERS) }).optional(),
  rule: RuleTable,
});

/** Milliseconds before "now" of Kibana date math ("now-9m") or of an interval ("5m"). */
function toMs(spec: string): number {
  const match = /(\d+)([smhdw])$/.exec(spec);
  if (!match) return 0;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as "s"];
  return Number(match[1]) * unit;
}

/** Where a [rule] key (or its [rule.key] table) is written, for problems about it. */
function keyOrigin(text: string, key: string): { line: number; column: number } {
  const table = /^\[rule\][ \t]*\r?$/m.exec(text);
  const start = table ? table.index + table[0].length : 0;
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const found = new RegExp(`^([ \\t]*)(${escaped}[ \\t]*=|\\[\\[?rule\\.${escaped}[\\].])`, "m").exec(
    text.slice(start),
  );
  if (!found) return table ? lineAndColumn(text, table.index) : { line: 1, column: 1 };
  return lineAndColumn(text, start + found.index + (found[1]?.length ?? 0));
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const lines = text.slice(0, offset).split("\n");
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
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
  return lineAndColumn(text, start + key.index + key[0].length);
}

/**
 * Reads one rule TOML file. Malformed files throw an InputError naming file, line and path;
 * well-formed rules scanproof cannot run come back as skipped with the reason.
 */
export function loadRuleFile(path: string): LoadedRule {
  const { file, text } = readInputText(path);
  const origin: RuleOrigin = {
    file,
    start: { line: 1, column: 1 },
    key: (key) => keyOrigin(text, key),
    query: () => queryOrigin(text),
  };
  return ruleFromDocument(parseTomlFile(file, text), origin);
}

/**
 * A rule document (`{ metadata?, scanproof?, rule }`, detection-rules' layout) as a rule, an ES|QL
 * rule or a skip. `exceptions` resolves the rule's exception lists where its file carries them
 * (Kibana's export); without it a rule with exception lists is skipped, as they live in Kibana.
 */
export function ruleFromDocument(
  document: unknown,
  origin: RuleOrigin,
  exceptions?: (references: readonly unknown[]) => ExceptionResolution,
): LoadedRule {
  const { file } = origin;
  const problem = (key: string, message: string): InputError =>
    new InputError([{ file, ...origin.key(key), path: `rule.${key}`, message }]);
  const parsed = RuleFile.safeParse(document);
  if (!parsed.success) {
    throw new InputError(
      zodProblems(file, parsed.error.issues, (p) =>
        p[0] === "rule" && typeof p[1] === "string" ? origin.key(p[1]) : origin.start,
      ),
    );
  }
  const r = parsed.data.rule;
  const skip = (reason: string): LoadedRule => ({
    ok: false,
    skipped: { file, ruleId: r.rule_id, name: r.name, reason },
  });
  if (parsed.data.metadata?.maturity === "deprecated") {
    return skip("the rule is deprecated (metadata.maturity), as Kibana no longer installs it");
  }
  const esql = r.type === "esql";
  if (!esql && !(RUNNABLE_TYPES as readonly string[]).includes(r.type)) {
    const why = UNRUNNABLE_TYPES[r.type] ?? "Kibana has no such rule type";
    return skip(`rule type "${r.type}": ${why} (scanproof runs ${RUNNABLE_TYPES.join(", ")} and esql rules)`);
  }
  const language = esql ? "esql" : (r.language ?? "kuery");
  if (!esql && !(LANGUAGES as readonly string[]).includes(language)) {
    return skip(
      `query language "${language}" is not supported for ${r.type} rules (supported: kuery, lucene)`,
    );
  }
  if (esql && r.query === undefined) throw problem("query", "an esql rule needs a query");
  const excepted = exceptions && r.exceptions_list.length > 0 ? exceptions(r.exceptions_list) : undefined;
  if (excepted && !excepted.ok) return skip(`rule.exceptions_list: ${excepted.reason}`);
  const unsupported = unsupportedKey(excepted ? { ...r, exceptions_list: [] } : r);
  if (unsupported) return skip(unsupported);
  const index = esql && r.query !== undefined ? esqlSourcePatterns(r.query) : r.index;
  if (!index) {
    return skip(
      esql
        ? "the ES|QL query reads no index (its source command is not FROM)"
        : "the rule names no index pattern (data views are not supported)",
    );
  }
  if (r.query === undefined) return skip("the rule has no query");
  if (toMs(r.to) >= toMs(r.from)) throw problem("from", `"${r.from}" must be earlier than to ("${r.to}")`);
  const intervalIssue = intervalProblem(toMs(r.interval));
  if (intervalIssue) throw problem("interval", `"${r.interval}": ${intervalIssue}`);

  const clauses = [...filterClauses(r.filters), ...(excepted?.clauses ?? [])];
  const base = {
    file,
    document: document as RuleDocument,
    ruleId: r.rule_id,
    name: r.name,
    description: r.description,
    severity: r.severity,
    riskScore: r.risk_score,
    index,
    query: r.query,
    filter: withFilters(esql ? { match_all: {} } : compileQuery(origin, language, r.query), clauses),
    filterClauses: clauses,
    lookbackMs: toMs(r.from),
    endOffsetMs: toMs(r.to),
    intervalMs: toMs(r.interval),
    maxSignals: r.max_signals,
    timestampField: r.timestamp_override ?? "@timestamp",
    timestampFallback: r.timestamp_override !== undefined && !r.timestamp_override_fallback_disabled,
    threat: threatOf(r),
    ...(parsed.data.scanproof ? { inventoryFilter: parsed.data.scanproof.inventory_filter } : {}),
  };
  const kqlOrLucene = language as "kuery" | "lucene";
  switch (r.type) {
    case "esql":
      return {
        ok: true,
        esql: { ...base, type: "esql", language: "esql", aggregating: isAggregatingEsql(r.query) },
      };
    case "threshold": {
      if (!r.threshold) throw problem("threshold", "a threshold rule needs a [rule.threshold] table");
      const { field, value, cardinality } = r.threshold;
      return {
        ok: true,
        rule: {
          ...base,
          language: kqlOrLucene,
          type: "threshold",
          threshold: { fields: field, value, cardinality },
        },
      };
    }
    case "new_terms": {
      const fields = r.new_terms?.value ?? r.new_terms_fields;
      const start = r.new_terms?.history_window_start[0]?.value ?? r.history_window_start;
      if (!fields || !start) {
        throw problem(
          "new_terms",
          "a new_terms rule needs [rule.new_terms] (new_terms_fields and history_window_start)",
        );
      }
      if (toMs(start) <= base.lookbackMs) {
        throw problem("new_terms", `history_window_start "${start}" must be earlier than from ("${r.from}")`);
      }
      return {
        ok: true,
        rule: {
          ...base,
          language: kqlOrLucene,
          type: "new_terms",
          newTerms: { fields, historyWindowMs: toMs(start) },
        },
      };
    }
    default:
      return { ok: true, rule: { ...base, language: kqlOrLucene, type: "query" } };
  }
}

function parseTomlFile(file: string, text: string): unknown {
  try {
    return parseToml(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const message = `TOML: ${error.message.split("\n")[0] ?? ""}`;
    throw new InputError([{ file, line: error.line, column: error.column, path: "", message }]);
  }
}

/** The first [rule] key that changes what the rule detects and that scanproof cannot honour. */
function unsupportedKey(r: RuleTable): string | undefined {
  for (const [key, value] of Object.entries(r)) {
    const reason = UNSUPPORTED_KEYS[key];
    if (reason && !(Array.isArray(value) && value.length === 0)) return `rule.${key}: ${reason}`;
    if (!reason && !UNDERSTOOD_KEYS.has(key) && !DESCRIPTIVE_KEYS.has(key)) {
      return `rule.${key}: an unknown key, which may change what the rule detects`;
    }
  }
  return undefined;
}

function compileQuery(origin: RuleOrigin, language: string, query: string): estypes.QueryDslQueryContainer {
  if (query.trim() === "") return { match_all: {} };
  try {
    if (language === "lucene") {
      checkLuceneSyntax(query);
      return { query_string: { query, analyze_wildcard: true } };
    }
    return kqlToQueryDsl(parseKql(query));
  } catch (error) {
    if (!(error instanceof KqlSyntaxError) && !(error instanceof LuceneSyntaxError)) throw error;
    const at = origin.query();
    const problem: Problem = {
      file: origin.file,
      line: at.line + error.line - 1,
      column: error.line === 1 ? at.column + error.column - 1 : error.column,
      path: "rule.query",
      message: `${error instanceof LuceneSyntaxError ? "Lucene" : "KQL"}: ${error.message}`,
    };
    throw new InputError([problem]);
  }
}

/** Kibana's enabled filters as query clauses, each negated or not. */
function filterClauses(filters: RuleTable["filters"]): FilterClause[] {
  return filters
    .filter((f) => !f.meta.disabled)
    .map((f) => {
      const { meta, query: inner, $state: _state, ...rest } = f;
      return { negate: meta.negate, clause: (inner ?? rest) as estypes.QueryDslQueryContainer };
    });
}

function threatOf(r: RuleTable): ThreatMapping[] {
  return r.threat.map((t) => ({
    tactic: { id: t.tactic.id, name: t.tactic.name },
    techniques: t.technique.map((tech) => ({
      id: tech.id,
      name: tech.name,
      subtechniques: tech.subtechnique.map((s) => ({ id: s.id, name: s.name })),
    })),
  }));
}

/** Loads every *.toml below the given files or folders; all problems are reported together. */
export function loadRules(paths: readonly string[]): RuleSet {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0)
    throw new InputError(
      missing.map((p) => ({
        file: displayName(p),
        line: 1,
        column: 1,
        path: "",
        message: "no such rule file or folder",
      })),
    );
  const files = paths.flatMap((p) => (statSync(p).isDirectory() ? ruleFilesBelow(p) : [p]));
  const rules: Rule[] = [];
  const esql: EsqlRule[] = [];
  const skipped: SkippedRule[] = [];
  const problems: Problem[] = [];
  const ids = new Map<string, string>();
  const add = (loaded: LoadedRule): void => {
    if (!loaded.ok) {
      skipped.push(loaded.skipped);
      return;
    }
    const rule = "rule" in loaded ? loaded.rule : loaded.esql;
    const earlier = ids.get(rule.ruleId);
    if (earlier) {
      problems.push({
        file: rule.file,
        line: 1,
        column: 1,
        path: "rule.rule_id",
        message: `rule_id ${rule.ruleId} is also used by ${earlier}`,
      });
      return;
    }
    ids.set(rule.ruleId, rule.file);
    if ("rule" in loaded) rules.push(loaded.rule);
    else esql.push(loaded.esql);
  };
  const sigma = files.filter(isSigmaFile);
  for (const f of files.filter((f) => !sigma.includes(f))) {
    try {
      if (isKibanaExport(f)) loadKibanaExport(f, ruleFromDocument).forEach(add);
      else add(loadRuleFile(f));
    } catch (error) {
      if (error instanceof InputError) problems.push(...error.problems);
      else throw error;
    }
  }
  try {
    loadSigmaFiles(sigma, ruleFromDocument).forEach(add);
  } catch (error) {
    if (error instanceof InputError) problems.push(...error.problems);
    else throw error;
  }
  if (problems.length > 0) throw new InputError(problems);
  return { rules, esql, skipped };
}

/** The rule files of a folder and its subfolders: detection-rules TOML, Kibana exports, Sigma. */
function ruleFilesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".toml") || isKibanaExport(f) || isSigmaFile(join(dir, f)))
    .map((f) => join(dir, f))
    .sort();
}
