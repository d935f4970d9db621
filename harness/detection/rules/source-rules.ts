import { elasticAliases, SOURCE_INDEX } from "../../backend/templates.js";
import type { LogSourceName } from "../../core/vocabulary.js";
import { wildcardMatcher } from "./field-values.js";
import type { Rule } from "./rule.js";

/** Every name under which a source's events are searched: its index and its Elastic aliases. */
export function namesOf(source: LogSourceName): string[] {
  return [SOURCE_INDEX[source], ...elasticAliases(source).map((a) => a.name)];
}

/** The lab sources whose events a rule's index patterns reach (none for an index scanproof does not write). */
export function sourcesRead(rule: Pick<Rule, "index">): LogSourceName[] {
  const matchers = rule.index.map(wildcardMatcher);
  return (Object.keys(SOURCE_INDEX) as LogSourceName[]).filter((source) =>
    namesOf(source).some((name) => matchers.some((matches) => matches(name))),
  );
}

/**
 * The rules that can speak for a lab writing these sources: those reading one of them, and those
 * reading only indices scanproof's sensors do not write (a user's own, which it cannot judge).
 * A rule that reads only other sources could fire only on events of sensors the scenario never
 * declared, so it takes no part in that scenario's verdict.
 */
export function rulesReading<R extends Pick<Rule, "index">>(
  rules: readonly R[],
  sources: readonly LogSourceName[],
): R[] {
  return rules.filter((rule) => {
    const read = sourcesRead(rule);
    return read.length === 0 || read.some((s) => sources.includes(s));
  });
}
