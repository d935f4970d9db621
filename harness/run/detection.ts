import type { Backend } from "../backend/backend.js";
import type { EscalationContext } from "../context/context.js";
import { placeInventory, type InventoryTarget } from "../context/inventory.js";
import { ScanproofError } from "../core/errors.js";
import { say } from "../core/progress.js";
import { deleteScopeAlerts, type Alert } from "../detection/live/alerts.js";
import { executeRules, type ExecutionOptions, type RuleExecution } from "../detection/live/engine.js";
import type { Rule } from "../detection/rules/rule.js";
import { escalate, type Escalation } from "../escalation/escalate.js";
import { gatherFacts } from "../escalation/gather-facts.js";
import type { StartedLab } from "../lab/started-lab.js";
import type { PlannedTarget } from "../lab/topology.js";
import { scenarioFilter } from "../logs/accounting.js";
import type { AlertSummary } from "../result.js";

/** What a rule execution for one scenario's lab needs: its events only, and escalation in its context. */
export function scenarioDetection(
  backend: Backend,
  context: EscalationContext,
  lab: Pick<StartedLab, "runId" | "scenarioId" | "plan">,
): Pick<ExecutionOptions<Escalation>, "scope" | "escalate"> {
  const filters = scenarioFilter(lab);
  const inventory = placeInventory(context.assets, lab.plan.targets.map(inventoryTarget));
  return {
    scope: {
      filters,
      inventory,
      key: scopeKey(lab),
      labels: { runId: lab.runId, scenarioId: lab.scenarioId },
    },
    escalate: async (detection, peers) =>
      escalate(
        await gatherFacts(backend, detection, context, { filters, inventory }, peers),
        context,
        inventory,
      ),
  };
}

/** Where a scenario's alerts and their threshold history are kept. */
function scopeKey(lab: Pick<StartedLab, "runId" | "scenarioId">): string {
  return `${lab.runId}/${lab.scenarioId}`;
}

/** Removes the scenario's alerts, so that another rule set runs over its events as the first would. */
export function forgetScenarioAlerts(
  backend: Backend,
  lab: Pick<StartedLab, "runId" | "scenarioId">,
): Promise<void> {
  return deleteScopeAlerts(backend, scopeKey(lab));
}

/** A lab target as the inventory places it: where its services moved, and a custom image's own ports. */
function inventoryTarget(t: PlannedTarget): InventoryTarget {
  const { image } = t;
  return {
    name: t.name,
    address: t.address,
    portMoves: t.portMoves,
    ...(image.kind === "custom"
      ? {
          own: {
            criticality: t.criticality ?? "medium",
            why: `the scenario's own target image (${image.dockerfile})`,
            services: t.services,
          },
        }
      : {}),
  };
}

/**
 * Runs the rules once and escalates what they find; each alert's time to alert counts from `since`,
 * when the steps it follows ended. A rule whose search Elasticsearch could not run leaves no verdict.
 */
export async function detectAndEscalate(
  backend: Backend,
  rules: readonly Rule[],
  context: EscalationContext,
  lab: StartedLab,
  since: number,
  startedAt = new Date(),
): Promise<AlertSummary[]> {
  const executions = await executeRules(backend, rules, {
    startedAt,
    ...scenarioDetection(backend, context, lab),
  });
  for (const line of executionNotes(executions)) say(`  [${lab.scenarioId}] ${line}`);
  refuseFailedSearches(executions, "so no verdict can be given");
  return executions
    .flatMap((e) => e.alerts)
    .map((a) => ({ ...summarise(a), timeToAlertMs: a.searchableAt.getTime() - since }));
}

/**
 * Runs the rules as of `at`, a moment of the scenario's history, and escalates what they find, as
 * the SOC's rules did then: the alerts are stamped at `at` and labelled as history, so later
 * escalation reads them as the source's past alerts. Returns how many alerts were raised.
 */
export async function detectInHistory(
  backend: Backend,
  rules: readonly Rule[],
  context: EscalationContext,
  lab: Pick<StartedLab, "runId" | "scenarioId" | "plan">,
  at: Date,
): Promise<number> {
  const detection = scenarioDetection(backend, context, lab);
  const executions = await executeRules(backend, rules, {
    ...detection,
    startedAt: at,
    scope: { ...detection.scope, labels: { ...detection.scope.labels, history: true } },
  });
  refuseFailedSearches(executions, `over the history of ${lab.scenarioId} as of ${at.toISOString()}`);
  return executions.reduce((n, e) => n + e.alerts.length, 0);
}

/** A rule whose search Elasticsearch could not run leaves no verdict: the executions stop there. */
function refuseFailedSearches(executions: readonly RuleExecution[], where: string): void {
  const failed = executions.filter((e) => e.failed !== undefined);
  if (failed.length > 0)
    throw new ScanproofError(
      `${failed.length} rule${failed.length === 1 ? "" : "s"} could not search, ${where}: ${failed.map((e) => `"${e.rule.name}": ${e.failed}`).join("; ")}`,
      "Fix the rule's query for the field types of the indices it reads, or narrow its index patterns.",
    );
}

/** What an analyst should know about the executions beyond their alerts: skips, failures, warnings. */
export function executionNotes(executions: readonly RuleExecution[]): string[] {
  return executions.flatMap((e) => [
    ...(e.skipped ? [`rule "${e.rule.name}" did not run: ${e.skipped}`] : []),
    ...(e.failed ? [`rule "${e.rule.name}" failed: ${e.failed}`] : []),
    ...(e.indices.length > 0 ? e.warnings : []).map((w) => `rule "${e.rule.name}": ${w}`),
  ]);
}

function summarise(alert: Alert<Escalation>): AlertSummary {
  const source = alert.group["source.ip"];
  const destination = alert.group["destination.ip"];
  return {
    id: alert.id,
    ruleId: alert.rule.ruleId,
    ruleName: alert.rule.name,
    severity: alert.rule.severity,
    riskScore: alert.rule.riskScore,
    techniques: alert.rule.threat.flatMap((t) =>
      t.techniques.flatMap((tech) => [tech.id, ...tech.subtechniques.map((s) => s.id)]),
    ),
    ...(source ? { source } : {}),
    ...(destination ? { destination } : {}),
    events: alert.evidence.events,
    distinct: alert.evidence.distinct,
    tier: alert.escalation.tier,
    reasons: alert.escalation.reasons,
    firstSeen: alert.evidence.firstSeen,
    lastSeen: alert.evidence.lastSeen,
    targets: alert.escalation.enrichment.targets,
    analysis: alert.escalation.analysis,
    enrichment: alert.escalation.enrichment,
    nextAction: alert.escalation.nextAction,
  };
}
