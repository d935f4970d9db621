import type { Backend } from "../backend/backend.js";
import { ALERTS_INDEX } from "../backend/templates.js";
import type { Escalation } from "../escalation/escalate.js";
import type { Detection } from "./engine.js";

export interface Alert extends Detection {
  readonly escalation: Escalation;
}

/** Kibana's numeric severities, so dashboards that sort by event.severity keep working. */
const SEVERITY = { low: 21, medium: 47, high: 73, critical: 99 } as const;

export interface AlertLabels {
  readonly runId: string;
  readonly scenarioId: string;
}

/** The alert as an ECS document: rule, ATT&CK mapping, evidence counts and the escalation. */
export function alertDocument(alert: Alert, labels: AlertLabels, now: Date): Record<string, unknown> {
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
    labels: { scanproof_run_id: labels.runId, scanproof_scenario: labels.scenarioId },
    scanproof: {
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
 * Writes alerts with their stable ids (`create`): a detection already alerted on is not written
 * again, so overlapping look-back windows never alert twice. Returns once they are searchable.
 */
export async function writeAlerts(
  backend: Backend,
  alerts: readonly Alert[],
  labels: AlertLabels,
): Promise<{ created: number; duplicates: number }> {
  if (alerts.length === 0) return { created: 0, duplicates: 0 };
  const now = new Date();
  const response = await backend.client.bulk({
    refresh: "wait_for",
    operations: alerts.flatMap((a) => [
      { create: { _index: ALERTS_INDEX, _id: a.id } },
      alertDocument(a, labels, now),
    ]),
  });
  let created = 0;
  let duplicates = 0;
  for (const item of response.items) {
    const status = item.create?.status ?? 0;
    if (status === 201) created += 1;
    else if (status === 409) duplicates += 1;
    else throw new Error(`Elasticsearch refused an alert: ${JSON.stringify(item.create?.error ?? item)}`);
  }
  return { created, duplicates };
}
