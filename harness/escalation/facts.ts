import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../backend/backend.js";
import { SOURCE_INDEX } from "../backend/templates.js";
import type { Detection } from "../detection/engine.js";
import type { EscalationContext } from "./context.js";
import type { EscalationFacts } from "./escalate.js";

/** Looks up what escalation needs: the source's history before this detection, and its targets. */
export async function gatherFacts(
  backend: Backend,
  detection: Detection,
  context: EscalationContext,
  scope: readonly estypes.QueryDslQueryContainer[],
): Promise<EscalationFacts> {
  const source = detection.group["source.ip"] ?? "";
  const before = new Date(detection.window.gte);
  const history = await backend.client.count({
    index: Object.values(SOURCE_INDEX),
    ignore_unavailable: true,
    allow_no_indices: true,
    query: {
      bool: {
        filter: [
          { term: { "source.ip": source } },
          {
            range: {
              "@timestamp": {
                gte: new Date(before.getTime() - context.history_window).toISOString(),
                lt: before.toISOString(),
              },
            },
          },
          ...scope,
        ],
      },
    },
  });
  const targets = detection.group["destination.ip"]
    ? [detection.group["destination.ip"]]
    : await distinctTargets(backend, detection, source, scope);
  return { source, targets, priorEvents: history.count, at: new Date(detection.evidence.lastSeen) };
}

async function distinctTargets(
  backend: Backend,
  detection: Detection,
  source: string,
  scope: readonly estypes.QueryDslQueryContainer[],
): Promise<string[]> {
  const response = await backend.client.search({
    index: [...detection.rule.index],
    size: 0,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: {
      bool: {
        filter: [
          detection.rule.filter,
          { term: { "source.ip": source } },
          {
            range: {
              [detection.rule.timestampField]: { gte: detection.window.gte, lte: detection.window.lte },
            },
          },
          ...scope,
        ],
      },
    },
    aggs: { targets: { terms: { field: "destination.ip", size: 1000 } } },
  });
  const agg = response.aggregations?.targets as estypes.AggregationsStringTermsAggregate | undefined;
  return ((agg?.buckets ?? []) as estypes.AggregationsStringTermsBucket[]).map((b) => String(b.key));
}
