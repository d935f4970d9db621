import type { Backend } from "../../backend/backend.js";
import { ALERTS_INDEX } from "../../backend/templates.js";
import type { DeepPartial } from "../../core/deep-partial.js";
import type { Detection, ThreatMapping, ThresholdRule } from "../rules/rule.js";
import { historyKey, type ThresholdHistory } from "./threshold-rule.js";

/** A finding with what escalation made of it (scanproof's Escalation; the engine only carries it). */
export interface Alert<E = unknown> extends Detection {
  readonly escalation: E;
}

/** Kibana's numeric severities, so dashboards that sort by event.severity keep working. */
const SEVERITY = { low: 21, medium: 47, high: 73, critical: 99 } as const;

export interface AlertLabels {
  readonly runId: string;
  readonly scenarioId: string;
  /** Raised over a scenario's history (its past runs), not by the scenario's own steps. */
  readonly history?: true;
}

/** Where alerts belong: the run labels they carry and the key of the scope their history is kept in. */
export interface AlertScope {
  readonly key: string;
  readonly labels: AlertLabels;
}

/** An alert as the alerts index holds it: ECS fields, Kibana's rule fields, and scanproof's own. */
export interface AlertDocument<E> {
  readonly "@timestamp": string;
  readonly message: string;
  readonly event: {
    readonly kind: "alert";
    readonly severity: number;
    readonly risk_score: number;
    readonly created: string;
  };
  readonly rule: {
    readonly id: string;
    readonly uuid: string;
    readonly name: string;
    readonly description: string;
    readonly ruleset: "scanproof";
    readonly type: string;
    readonly reference: string;
  };
  readonly threat: readonly {
    readonly framework: "MITRE ATT&CK";
    readonly tactic: ThreatMapping["tactic"];
    readonly technique: readonly {
      readonly id: string;
      readonly name: string;
      readonly subtechnique: ThreatMapping["techniques"][number]["subtechniques"];
    }[];
  }[];
  readonly source?: { readonly ip: string };
  readonly destination?: { readonly ip: string };
  readonly labels: {
    readonly scanproof_run_id: string;
    readonly scanproof_scenario: string;
    readonly scanproof_history?: true;
  };
  readonly scanproof: {
    readonly scope: string;
    readonly group: Readonly<Record<string, string>>;
    readonly evidence: {
      readonly events: number;
      readonly distinct: Detection["evidence"]["distinct"];
      readonly first_seen: string;
      readonly last_seen: string;
    };
    readonly window: Detection["window"];
    readonly escalation: E;
  };
}

/**
 * An alert document as a search returns it: any field may be missing (a filtered _source, a document
 * an older version wrote); escalation is read no further than its tier.
 */
export type StoredAlert = DeepPartial<AlertDocument<{ readonly tier: string }>>;

/** The alert as an ECS document: rule, ATT&CK mapping, evidence counts and the escalation. */
export function alertDocument<E>(alert: Alert<E>, scope: AlertScope, now: Date): AlertDocument<E> {
  const { rule, evidence, group } = alert;
  const distinct = evidence.distinct.map((d) => `${d.values} distinct ${d.field}`).join(", ");
  const from = group["source.ip"] ?? "any source";
  const to = group["destination.ip"] ? ` to ${group["destination.ip"]}` : "";
  return {
    "@timestamp": now.toISOString(),
    message: `${rule.name}: ${from}${to}, ${evidence.events} events${distinct ? `, ${distinct}` : ""} between ${evidence.firstSeen} and ${evidence.lastSeen}`,
    event: {
      kind: "alert",
      severity: SEVERITY[rule.severity],
      risk_score: rule.riskScore,
      created: now.toISOString(),
    },
    rule: {
      id: rule.ruleId,
      uuid: alert.id,
      name: rule.name,
      description: rule.description,
      ruleset: "scanproof",
      type: rule.type,
      reference: rule.file,
    },
    threat: rule.threat.map((t) => ({
      framework: "MITRE ATT&CK",
      tactic: t.tactic,
      technique: t.techniques.map((tech) => ({
        id: tech.id,
        name: tech.name,
        subtechnique: tech.subtechniques,
      })),
    })),
    ...(group["source.ip"] ? { source: { ip: group["source.ip"] } } : {}),
    ...(group["destination.ip"] ? { destination: { ip: group["destination.ip"] } } : {}),
    labels: {
      scanproof_run_id: scope.labels.runId,
      scanproof_scenario: scope.labels.scenarioId,
      ...(scope.labels.history ? { scanproof_history: true } : {}),
    },
    scanproof: {
      scope: scope.key,
      group,
      evidence: {
        events: evidence.events,
        distinct: evidence.distinct,
        first_seen: evidence.firstSeen,
        last_seen: evidence.lastSeen,
      },
      window: alert.window,
      escalation: alert.escalation,
    },
  };
}

/**
 * Writes alerts with their stable ids (`create`), stamped with the start of the execution that
 * raised them, as Kibana stamps its alerts: a detection already alerted on is not written again, so
 * overlapping look-back windows never alert twice. Returns once they are searchable.
 */
export async function writeAlerts(
  backend: Backend,
  alerts: readonly Alert[],
  scope: AlertScope,
  executionStartedAt: Date,
): Promise<{ createdIds: Set<string>; duplicates: number }> {
  const createdIds = new Set<string>();
  if (alerts.length === 0) return { createdIds, duplicates: 0 };
  const response = await backend.client.bulk({
    refresh: "wait_for",
    operations: alerts.flatMap((a) => [
      { create: { _index: ALERTS_INDEX, _id: a.id } },
      alertDocument(a, scope, executionStartedAt),
    ]),
  });
  let duplicates = 0;
  for (const item of response.items) {
    const status = item.create?.status ?? 0;
    if (status === 201) createdIds.add(item.create?._id ?? "");
    else if (status === 409) duplicates += 1;
    else throw new Error(`Elasticsearch refused an alert: ${JSON.stringify(item.create?.error ?? item)}`);
  }
  return { createdIds, duplicates };
}

/** Which of the ids are already alerts. */
export async function existingAlertIds(backend: Backend, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const response = await backend.client.search({
    index: ALERTS_INDEX,
    ignore_unavailable: true,
    size: ids.length,
    _source: false,
    query: { ids: { values: [...ids] } },
  });
  return new Set(response.hits.hits.map((h) => h._id ?? ""));
}

export interface StoredThresholdAlert {
  readonly group: Readonly<Record<string, string>>;
  readonly lastSeen: string;
}

/**
 * Kibana's threshold signal history: for each group, the last event an alert of this rule already
 * covered. Alerts of the same rule grouped by other fields (an earlier version of it) do not count.
 */
export function buildThresholdHistory(
  rule: Pick<ThresholdRule, "threshold">,
  alerts: readonly StoredThresholdAlert[],
): ThresholdHistory {
  const fields = [...rule.threshold.fields].sort().join("\n");
  const history = new Map<string, { group: Readonly<Record<string, string>>; lastSeen: Date }>();
  for (const alert of alerts) {
    if (Object.keys(alert.group).sort().join("\n") !== fields) continue;
    const lastSeen = new Date(alert.lastSeen);
    if (Number.isNaN(lastSeen.getTime())) continue;
    const key = historyKey(alert.group);
    const known = history.get(key);
    if (!known || known.lastSeen < lastSeen) history.set(key, { group: alert.group, lastSeen });
  }
  return history;
}

/** The history of one threshold rule in one scope, from alerts whose last event is at or after `since`. */
export async function thresholdHistory(
  backend: Backend,
  rule: ThresholdRule,
  scopeKey: string,
  since: Date,
): Promise<ThresholdHistory> {
  const response = await backend.client.search<StoredAlert>({
    index: ALERTS_INDEX,
    ignore_unavailable: true,
    size: 10_000,
    _source: ["scanproof.group", "scanproof.evidence.last_seen"],
    query: {
      bool: {
        filter: [
          { term: { "rule.id": rule.ruleId } },
          { term: { "scanproof.scope": scopeKey } },
          { range: { "scanproof.evidence.last_seen": { gte: since.toISOString() } } },
        ],
      },
    },
  });
  return buildThresholdHistory(
    rule,
    response.hits.hits.map((h) => ({
      group: Object.fromEntries(
        Object.entries(h._source?.scanproof?.group ?? {}).filter(
          (e): e is [string, string] => typeof e[1] === "string",
        ),
      ),
      lastSeen: h._source?.scanproof?.evidence?.last_seen ?? "",
    })),
  );
}

/** Alerts deleted per request: a scenario's alerts are a handful, a long lab session's a few hundred. */
const DELETE_PAGE = 1000;

/**
 * Removes every alert of one scope, and with them the threshold history they carry: rules run in the
 * scope afterwards find its events as if none had run there before. By id, page by page: the minimal
 * Elasticsearch distribution has no delete-by-query (it is the reindex module's).
 */
export async function deleteScopeAlerts(backend: Backend, scopeKey: string): Promise<void> {
  for (;;) {
    const found = await backend.client.search({
      index: ALERTS_INDEX,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: DELETE_PAGE,
      _source: false,
      query: { term: { "scanproof.scope": scopeKey } },
    });
    const ids = found.hits.hits.flatMap((h) => (h._id === undefined ? [] : [h._id]));
    if (ids.length === 0) return;
    const response = await backend.client.bulk({
      refresh: "wait_for",
      operations: ids.map((id) => ({ delete: { _index: ALERTS_INDEX, _id: id } })),
    });
    if (response.errors)
      throw new Error(
        `Elasticsearch did not delete the alerts of ${scopeKey}: ${JSON.stringify(response.items.find((i) => i.delete?.error)?.delete?.error)}`,
      );
  }
}
