import { existsSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { ScanproofError } from "../core/errors.js";
import { assertionsDir, elasticNetworkRulesDir } from "../core/paths.js";
import type { RuleSet } from "../detection/rules/rule.js";
import { loadRules } from "../detection/rules/rule-loader.js";

export const PACK_ORIGIN = "scanproof";
export const ELASTIC_ORIGIN = "elastic";

export interface EnvelopeRuleInputs {
  /** scanproof's own pack (assertions/rules). */
  readonly pack: boolean;
  /** Elastic's published network rules, read where they are. */
  readonly elastic: boolean;
  /** A user's rule files or folders, each its own origin (named by the path's base name). */
  readonly rulePaths: readonly string[];
  /** Rule paths under names of their own (`baseline` and `changed`). */
  readonly named?: readonly { readonly origin: string; readonly path: string }[];
  /** Only rules with one of these rule ids or names, when given. */
  readonly only?: readonly string[];
}

/** The rule sets an envelope measures, by origin; a `--rule` that matches no rule is refused. */
export function loadEnvelopeRuleSets(inputs: EnvelopeRuleInputs): { origin: string; set: RuleSet }[] {
  const sources: { origin: string; path: string }[] = [];
  if (inputs.pack) sources.push({ origin: PACK_ORIGIN, path: join(assertionsDir, "rules") });
  if (inputs.elastic) {
    const dir = elasticNetworkRulesDir();
    if (!existsSync(dir))
      throw new ScanproofError(
        `${dir} is missing: the envelope runs Elastic's published network rules from there.`,
        "Set SCANPROOF_ELASTIC_RULES to a copy of detection-rules' rules/network, or leave Elastic out (--without elastic).",
      );
    sources.push({ origin: ELASTIC_ORIGIN, path: dir });
  }
  sources.push(...(inputs.named ?? []));
  const taken = new Set(sources.map((s) => s.origin));
  for (const path of inputs.rulePaths) {
    const base = basename(path, extname(path)) || "rules";
    let origin = base;
    for (let n = 2; taken.has(origin); n++) origin = `${base}-${n}`;
    taken.add(origin);
    sources.push({ origin, path });
  }
  const sets = sources.map(({ origin, path }) => ({ origin, set: only(loadRules([path]), inputs.only) }));
  const unmatched = (inputs.only ?? []).filter(
    (wanted) => !sets.some(({ set }) => [...set.rules, ...set.esql].some((r) => matches(r, wanted))),
  );
  if (unmatched.length > 0)
    throw new ScanproofError(
      `--rule ${unmatched.map((u) => `"${u}"`).join(", ")}: no rule of ${sources.map((s) => s.path).join(", ")} has that rule_id or name.`,
    );
  return sets.filter(({ set }) => set.rules.length + set.esql.length > 0);
}

function matches(rule: { ruleId: string; name: string }, wanted: string): boolean {
  return rule.ruleId === wanted || rule.name === wanted;
}

function only(set: RuleSet, wanted: readonly string[] | undefined): RuleSet {
  if (wanted === undefined || wanted.length === 0) return set;
  const keep = <R extends { ruleId: string; name: string }>(rules: readonly R[]) =>
    rules.filter((r) => wanted.some((w) => matches(r, w)));
  return { ...set, rules: keep(set.rules), esql: keep(set.esql) };
}
