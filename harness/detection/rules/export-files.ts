import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { detectionRulesToml, kibanaNdjson, kibanaRuleOf, ruleFileStem } from "./rule-export.js";
import { loadRules } from "./rule-loader.js";

/**
 * Loads the rules at `paths` and writes them as NDJSON for Kibana's import API and/or as one
 * detection-rules TOML file each; returns what was written and each rule left out with why.
 */
export function exportRules(
  paths: readonly string[],
  to: { readonly ndjson?: string; readonly toml?: string },
): { lines: string[] } {
  const set = loadRules(paths);
  const all = [...set.rules, ...set.esql];
  const lines: string[] = [];
  if (to.ndjson !== undefined) {
    const exported = all.map(kibanaRuleOf);
    const kept = exported.flatMap((e) => (e.ok ? [e.kibana] : []));
    writeFileSync(to.ndjson, kibanaNdjson(kept));
    lines.push(`${to.ndjson}: ${kept.length} rules for Kibana's import API`);
    for (const e of exported) if (!e.ok) lines.push(`  not exported: ${e.name} (${e.ruleId}): ${e.reason}`);
  }
  if (to.toml !== undefined) {
    mkdirSync(to.toml, { recursive: true });
    const stems = new Set<string>();
    for (const rule of all) {
      let stem = ruleFileStem(rule);
      if (stems.has(stem)) stem = `${stem}_${rule.ruleId}`;
      stems.add(stem);
      writeFileSync(join(to.toml, `${stem}.toml`), detectionRulesToml(rule));
    }
    lines.push(`${to.toml}: ${all.length} detection-rules TOML files`);
  }
  for (const s of set.skipped) lines.push(`  not exported: ${s.file}: skipped when loading: ${s.reason}`);
  return { lines };
}
