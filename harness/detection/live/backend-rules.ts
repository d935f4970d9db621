import { errors } from "@elastic/elasticsearch";
import type { Backend } from "../../backend/backend.js";
import { pluginBoundFeatures } from "../rules/esql-query.js";
import type { EsqlRule, RuleSet } from "../rules/rule.js";

/** Whether the backend answers an ES|QL query, and if not, what it answered. */
async function probeEsql(
  backend: Backend,
): Promise<{ available: true } | { available: false; answer: string }> {
  try {
    await backend.client.transport.request({
      method: "POST",
      path: "/_query",
      body: { query: "ROW probe = 1" },
    });
    return { available: true };
  } catch (error) {
    if (!(error instanceof errors.ResponseError)) throw error;
    const body: unknown = error.body;
    const reason =
      typeof body === "object" && body !== null && "error" in body
        ? JSON.stringify((body as { error: unknown }).error).slice(0, 200)
        : String(body).slice(0, 200);
    return { available: false, answer: `POST /_query answered ${error.statusCode ?? "?"}: ${reason}` };
  }
}

/**
 * Decides the ES|QL rules once the backend is known, by asking it: where `_query` answers they
 * join the rules that run, except those using a command or function whose plugin the backend lacks;
 * with no ES|QL each is skipped with the backend's answer.
 */
export async function settleEsqlRules(backend: Backend, set: RuleSet): Promise<RuleSet> {
  if (set.esql.length === 0) return set;
  const probe = await probeEsql(backend);
  if (probe.available) {
    const lacking = (rule: EsqlRule) =>
      pluginBoundFeatures(rule.query).filter((f) => backend.esqlLacks?.includes(f.needs));
    const runnable = set.esql.filter((r) => lacking(r).length === 0);
    const unsupported = set.esql.flatMap((r) => {
      const features = lacking(r);
      if (features.length === 0) return [];
      const what = features.map((f) => `${f.name} (needs ${f.needs})`).join(", ");
      const reason = `esql: the query uses ${what}, which ${backend.description} lacks (see docs/esql.md)`;
      return [{ file: r.file, ruleId: r.ruleId, name: r.name, reason }];
    });
    return { rules: [...set.rules, ...runnable], esql: [], skipped: [...set.skipped, ...unsupported] };
  }
  const reason = `esql: the backend has no ES|QL (${backend.description}: ${probe.answer})`;
  return {
    rules: set.rules,
    esql: [],
    skipped: [
      ...set.skipped,
      ...set.esql.map((r) => ({ file: r.file, ruleId: r.ruleId, name: r.name, reason })),
    ],
  };
}
