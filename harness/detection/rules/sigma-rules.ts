import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { z } from "zod";
import { assertionsDir, projectRoot } from "../../core/paths.js";
import { ScanproofError } from "../../core/errors.js";
import { InputError, type Problem } from "../../core/problems.js";
import { readInputText } from "../../core/input-files.js";
import { sigmaPython, sigmaToolchainReady } from "../../setup/sigma-toolchain.js";
import type { RuleFromDocument } from "./kibana-export.js";
import type { LoadedRule } from "./rule.js";

/**
 * Sigma rules, converted by the reference implementation (pySigma and its Elasticsearch backend,
 * installed by `scanproof setup`) with scanproof's ECS field mapping as the processing pipeline
 * (assertions/sigma/scanproof-ecs.yml) and logsources mapped to indices
 * (assertions/sigma/logsources.yml): each rule becomes a Lucene query rule, and each event_count or
 * value_count correlation a threshold rule, read as the TOML loader reads a rule.
 */

const CONVERTER = join(projectRoot, "harness", "detection", "rules", "sigma_convert.py");
const PIPELINE = join(assertionsDir, "sigma", "scanproof-ecs.yml");
const LOGSOURCES = join(assertionsDir, "sigma", "logsources.yml");

/** Kibana's risk score at the middle of each severity's band, as Elastic's rules use them. */
const RISK = { low: 21, medium: 47, high: 73, critical: 99 } as const;
const SEVERITY = {
  informational: "low",
  low: "low",
  medium: "medium",
  high: "high",
  critical: "critical",
} as const;

const Converted = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  level: z.enum(["informational", "low", "medium", "high", "critical"]),
  status: z.string(),
  tags: z.array(z.string()),
  falsepositives: z.array(z.string()),
  kind: z.enum(["query", "threshold"]),
  query: z.string(),
  index: z.array(z.string()),
  group_by: z.array(z.string()).optional(),
  timespan_seconds: z.number().int().min(1).optional(),
  value: z.number().int().min(1).optional(),
  cardinality: z.object({ field: z.string(), value: z.number().int().min(1) }).optional(),
});
type Converted = z.infer<typeof Converted>;

const FileResult = z.union([
  z.object({ file: z.string(), error: z.string() }),
  z.object({
    file: z.string(),
    rules: z.array(Converted),
    skipped: z.array(z.object({ id: z.string(), title: z.string(), reason: z.string() })),
  }),
]);

/** Whether a YAML file is a Sigma rule file: Sigma requires a detection or a correlation. */
export function isSigmaFile(path: string): boolean {
  if (!/\.ya?ml$/.test(path)) return false;
  return /^(detection|correlation):/m.test(readInputText(path).text);
}

/** Every rule of the Sigma files, loaded or skipped with its reason; a file pySigma cannot parse is refused. */
export function loadSigmaFiles(files: readonly string[], ruleFromDocument: RuleFromDocument): LoadedRule[] {
  if (files.length === 0) return [];
  const shown = files.map((f) => readInputText(f).file);
  if (!sigmaToolchainReady()) {
    return shown.map((file) => ({
      ok: false,
      skipped: { file, reason: "Sigma: pySigma is not installed here; `scanproof setup` installs it" },
    }));
  }
  const output = converted(files);
  const problems: Problem[] = [];
  const loaded: LoadedRule[] = [];
  output
    .trim()
    .split("\n")
    .forEach((line, i) => {
      const file = shown[i] ?? "";
      const parsed = FileResult.safeParse(JSON.parse(line));
      if (!parsed.success) {
        throw new ScanproofError(
          `${file}: the Sigma converter's output does not have the expected shape: ${parsed.error.message}`,
        );
      }
      const result = parsed.data;
      if ("error" in result) {
        problems.push({ file, line: 1, column: 1, path: "", message: `Sigma: ${result.error}` });
        return;
      }
      for (const s of result.skipped) {
        loaded.push({
          ok: false,
          skipped: { file, ruleId: s.id, name: s.title, reason: `Sigma: ${s.reason}` },
        });
      }
      for (const rule of result.rules) {
        const at = { line: 1, column: 1 };
        const origin = { file, start: at, key: () => at, query: () => at };
        loaded.push(ruleFromDocument(documentOf(rule), origin, () => ({ ok: true, clauses: [] })));
      }
    });
  if (problems.length > 0) throw new InputError(problems);
  return loaded;
}

/** The converter's output: one JSON line per file. */
function converted(files: readonly string[]): string {
  try {
    return execFileSync(sigmaPython(), [CONVERTER, PIPELINE, LOGSOURCES, ...files], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    const output = (error as { stderr?: unknown }).stderr;
    const stderr = typeof output === "string" ? output.trim() : "";
    throw new ScanproofError(
      `The Sigma converter (pySigma in ${sigmaPython()}) failed: ${stderr.split("\n").slice(-3).join(" ") || (error as Error).message}`,
      "Run `scanproof setup` to reinstall the Sigma toolchain.",
    );
  }
}

/** The converted rule in detection-rules' layout, so it loads, runs and exports as a TOML rule does. */
function documentOf(rule: Converted): { metadata: Record<string, unknown>; rule: Record<string, unknown> } {
  const severity = SEVERITY[rule.level];
  const table: Record<string, unknown> = {
    rule_id: rule.id,
    name: rule.title,
    description: rule.description,
    type: rule.kind,
    language: "lucene",
    query: rule.query,
    index: rule.index,
    severity,
    risk_score: RISK[severity],
    false_positives: rule.falsepositives,
    threat: threatOf(rule.tags),
  };
  if (rule.kind === "threshold" && rule.timespan_seconds !== undefined && rule.value !== undefined) {
    table.from = `now-${rule.timespan_seconds}s`;
    table.interval = `${rule.timespan_seconds}s`;
    table.threshold = {
      field: rule.group_by ?? [],
      value: rule.value,
      cardinality: rule.cardinality ? [rule.cardinality] : [],
    };
  }
  return { metadata: { maturity: rule.status === "deprecated" ? "deprecated" : "production" }, rule: table };
}

/** MITRE ATT&CK from Sigma's tags: `attack.<tactic>` and `attack.tNNNN[.NNN]`, under each tactic named. */
function threatOf(tags: readonly string[]): Record<string, unknown>[] {
  const attack = tags.filter((t) => t.startsWith("attack.")).map((t) => t.slice("attack.".length));
  const techniques = attack.filter((t) => /^t\d{4}(\.\d{3})?$/.test(t)).map((t) => t.toUpperCase());
  const tactics = attack.filter((t) => TACTICS[t] !== undefined);
  const parents = [...new Set(techniques.map((t) => t.split(".")[0] ?? t))];
  return tactics.map((tactic) => ({
    framework: "MITRE ATT&CK",
    tactic: { id: TACTICS[tactic]?.id, name: TACTICS[tactic]?.name },
    technique: parents.map((id) => ({
      id,
      name: id,
      subtechnique: techniques.filter((t) => t.startsWith(`${id}.`)).map((s) => ({ id: s, name: s })),
    })),
  }));
}

const TACTICS: Readonly<Record<string, { id: string; name: string }>> = {
  reconnaissance: { id: "TA0043", name: "Reconnaissance" },
  resource_development: { id: "TA0042", name: "Resource Development" },
  initial_access: { id: "TA0001", name: "Initial Access" },
  execution: { id: "TA0002", name: "Execution" },
  persistence: { id: "TA0003", name: "Persistence" },
  privilege_escalation: { id: "TA0004", name: "Privilege Escalation" },
  defense_evasion: { id: "TA0005", name: "Defense Evasion" },
  credential_access: { id: "TA0006", name: "Credential Access" },
  discovery: { id: "TA0007", name: "Discovery" },
  lateral_movement: { id: "TA0008", name: "Lateral Movement" },
  collection: { id: "TA0009", name: "Collection" },
  command_and_control: { id: "TA0011", name: "Command and Control" },
  exfiltration: { id: "TA0010", name: "Exfiltration" },
  impact: { id: "TA0040", name: "Impact" },
};
