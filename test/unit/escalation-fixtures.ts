import { readFileSync } from "node:fs";
import type { EscalationFacts } from "../../harness/escalation/facts.js";
import { fixture } from "./fixture-helpers.js";

type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** Recorded facts of one alert under test/fixtures/escalation/, with fields replaced (arrays whole). */
export function factsFixture(name: string, overrides: DeepPartial<EscalationFacts> = {}): EscalationFacts {
  const base = JSON.parse(
    readFileSync(fixture("escalation", `${name}.facts.json`), "utf8"),
  ) as EscalationFacts;
  return merge(base, overrides) as EscalationFacts;
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (typeof base !== "object" || base === null || Array.isArray(base)) return over;
  if (typeof over !== "object" || over === null || Array.isArray(over)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
  return out;
}
