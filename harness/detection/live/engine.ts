import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../../backend/backend.js";
import { inPool } from "../../core/pool.js";
import type { Asset } from "../../context/inventory.js";
import { existingAlertIds, thresholdHistory, writeAlerts, type Alert, type AlertScope } from "./alerts.js";
import { esqlDetections } from "./esql-rule.js";
import { checkFields } from "./field-check.js";
import { expandFieldPatterns } from "../rules/field-patterns.js";
import { inventoryFilters } from "../rules/inventory-filter.js";
import { newTermsDetections } from "./new-terms-rule.js";
import { queryDetections } from "./query-rule.js";
import type { Detection, Rule } from "../rules/rule.js";
import { planExecution, type ExecutionWindow } from "../rules/schedule.js";
import { RuleCannotApplyError, RuleSearchError, type SearchContext } from "./search.js";
import { thresholdDetections } from "./threshold-rule.js";

/** Where rules run: the events they may see and where their alerts and alert history belong. */
export interface ExecutionScope extends AlertScope {
  /** Filters that confine every search to the scope's events (a scenario's or a lab's labels). */
  readonly filters: readonly estypes.QueryDslQueryContainer[];
  /** The asset inventory placed in the scope, for rules with scanproof's inventory filter. */
  readonly inventory?: readonly Asset[];
}

export interface ExecutionOptions<E = unknown> {
  readonly startedAt: Date;
  /** When the rule's previous execution started; missed intervals since then are caught up. */
  readonly previousStartedAt?: Date;
  readonly scope: ExecutionScope;
  /**
   * Escalates a finding; `peers` are the findings of the same execution (every rule's, on demand),
   * this one included, which the alerts index does not hold yet.
   */
  readonly escalate: (detection: Detection, peers: readonly Detection[]) => Promise<E>;
}

/** The outcome of one execution of one rule, as Kibana's rule execution log would tell it. */
export interface RuleExecution<E = unknown> {
  readonly rule: Rule;
  readonly startedAt: Date;
  readonly windows: readonly ExecutionWindow[];
  /** The indices the rule's patterns matched; none means nothing was searched. */
  readonly indices: readonly string[];
  /** Alerts this execution created, each with when it became searchable. */
  readonly alerts: readonly ExecutedAlert<E>[];
  /** Findings that earlier executions (overlapping windows) had already alerted on. */
  readonly alreadyAlerted: number;
  readonly warnings: readonly string[];
  /** Why the rule could not run in this execution, when it could not. */
  readonly skipped?: string;
  /** Why Elasticsearch could not run the rule's search: nothing it found is evidence either way. */
  readonly failed?: string;
}

/**
 * One execution of a rule, as Kibana runs it: the look-back window (and catch-up windows for
 * missed executions), at most `max_signals` new alerts per window, findings already alerted on not
 * alerted again, every new alert escalated and written before the next window is searched.
 */
export async function executeRule<E>(
  backend: Backend,
  rule: Rule,
  options: ExecutionOptions<E>,
): Promise<RuleExecution<E>> {
  const prepared = await prepare<E>(backend, rule, options);
  if (prepared.searchesNothing) return prepared.searchesNothing;
  const alerts: ExecutedAlert<E>[] = [];
  let alreadyAlerted = 0;
  for (const window of prepared.execution.windows) {
    const found = await searchedOrFailed(() =>
      findNew(backend, prepared.rule, window, prepared, options.scope),
    );
    if ("failed" in found || "skipped" in found)
      return { ...prepared.execution, alerts, alreadyAlerted, warnings: prepared.warnings, ...found };
    alreadyAlerted += found.alreadyAlerted;
    const written = await escalateAndWrite(backend, found.detections, found.detections, options);
    alreadyAlerted += written.duplicates;
    alerts.push(...written.alerts);
  }
  return { ...prepared.execution, alerts, alreadyAlerted, warnings: prepared.warnings };
}

/**
 * Runs each rule once at `startedAt` (the harness's on-demand mode, after a scenario's steps). Every
 * rule searches first, then every finding is escalated knowing what all the rules found, so an
 * alert's escalation does not depend on the order the rules run in.
 */
export async function executeRules<E>(
  backend: Backend,
  rules: readonly Rule[],
  options: Omit<ExecutionOptions<E>, "previousStartedAt">,
): Promise<RuleExecution<E>[]> {
  const searched = await inPool(rules, SEARCHES_AT_ONCE, async (rule): Promise<Searched<E>> => {
    const prepared = await prepare<E>(backend, rule, options);
    if (prepared.searchesNothing) return { prepared, done: prepared.searchesNothing };
    const [window] = prepared.execution.windows;
    if (!window) return { prepared, found: { detections: [], alreadyAlerted: 0 } };
    const found = await searchedOrFailed(() =>
      findNew(backend, prepared.rule, window, prepared, options.scope),
    );
    if (!("failed" in found || "skipped" in found)) return { prepared, found };
    const done = {
      ...prepared.execution,
      alerts: [],
      alreadyAlerted: 0,
      warnings: prepared.warnings,
      ...found,
    };
    return { prepared, done };
  });
  const peers = searched.flatMap((s) => s.found?.detections ?? []);
  return inPool(searched, SEARCHES_AT_ONCE, async ({ prepared, found, done }) => {
    if (done) return done;
    const written = await escalateAndWrite(backend, found?.detections ?? [], peers, options);
    return {
      ...prepared.execution,
      alerts: written.alerts,
      alreadyAlerted: (found?.alreadyAlerted ?? 0) + written.duplicates,
      warnings: prepared.warnings,
    };
  });
}

/**
 * Rules searching, or findings escalating, at once: enough to keep a small cluster busy between
 * round trips, few enough never to fill its search queue.
 */
const SEARCHES_AT_ONCE = 4;

interface Searched<E> {
  readonly prepared: Prepared<E>;
  readonly found?: { detections: Detection[]; alreadyAlerted: number };
  readonly done?: RuleExecution<E>;
}

type ExecutedAlert<E> = Alert<E> & { readonly searchableAt: Date };

interface Prepared<E> {
  /** The rule as it searches: its query's field patterns expanded against the searched indices. */
  readonly rule: Rule;
  readonly execution: Pick<RuleExecution<E>, "rule" | "startedAt" | "windows" | "indices">;
  /** Warnings so far; searching a window may add more. */
  readonly warnings: string[];
  readonly filters: readonly estypes.QueryDslQueryContainer[];
  /** The finished execution of a rule that cannot run or whose patterns match no index. */
  readonly searchesNothing?: RuleExecution<E>;
}

async function prepare<E>(
  backend: Backend,
  rule: Rule,
  options: Pick<ExecutionOptions<E>, "startedAt" | "previousStartedAt" | "scope">,
): Promise<Prepared<E>> {
  const plan = planExecution(rule, options.startedAt, options.previousStartedAt);
  const fields = await checkFields(backend, rule);
  const warnings = [...fields.warnings];
  const expanded = expandFieldPatterns(rule, fields.mappedFields);
  for (const { pattern, fields: names } of expanded.expansions) {
    if (names.length > 0) warnings.push(`the field pattern ${pattern} searches ${names.join(", ")}`);
  }
  const inventory = options.scope.inventory ?? [];
  if (rule.inventoryFilter && inventory.length === 0) {
    warnings.push(
      `its ${rule.inventoryFilter} filter needs the asset inventory, which is empty here: it matches nothing`,
    );
  }
  const filters = [...options.scope.filters, ...inventoryFilters(rule, inventory)];
  if (plan.uncoveredMs > 0) {
    warnings.push(
      `${Math.round(plan.uncoveredMs / 1000)} s since the previous execution lie outside every window (Kibana catches up at most 4 intervals)`,
    );
  }
  const execution = { rule, startedAt: options.startedAt, windows: plan.windows, indices: fields.indices };
  const searchesNothing = (skipped?: string): RuleExecution<E> => ({
    ...execution,
    alerts: [],
    alreadyAlerted: 0,
    warnings,
    ...(skipped === undefined ? {} : { skipped }),
  });
  const prepared = { rule: expanded.rule, execution, warnings, filters };
  if (fields.blocking) return { ...prepared, searchesNothing: searchesNothing(fields.blocking) };
  if (fields.indices.length === 0) return { ...prepared, searchesNothing: searchesNothing() };
  return prepared;
}

/**
 * The search's findings, why the rule cannot apply to the searched indices, or why Elasticsearch
 * could not run it; any other error is thrown.
 */
async function searchedOrFailed<T>(
  search: () => Promise<T>,
): Promise<T | { failed: string } | { skipped: string }> {
  try {
    return await search();
  } catch (error) {
    if (error instanceof RuleCannotApplyError) return { skipped: error.why };
    if (error instanceof RuleSearchError) return { failed: error.why };
    throw error;
  }
}

async function findNew<E>(
  backend: Backend,
  rule: Rule,
  window: ExecutionWindow,
  prepared: Prepared<E>,
  scope: ExecutionScope,
): Promise<{ detections: Detection[]; alreadyAlerted: number }> {
  const context: SearchContext = { window, filters: prepared.filters, scopeKey: scope.key };
  const admitted = await admitNew(backend, rule.maxSignals, await detectionsOf(backend, rule, context));
  if (admitted.capped) {
    prepared.warnings.push(
      `max_signals (${rule.maxSignals}) reached for ${window.gte.toISOString()}..${window.lte.toISOString()}: further findings were not alerted in this execution`,
    );
  }
  return admitted;
}

async function escalateAndWrite<E>(
  backend: Backend,
  detections: readonly Detection[],
  peers: readonly Detection[],
  options: Pick<ExecutionOptions<E>, "scope" | "escalate" | "startedAt">,
): Promise<{ alerts: ExecutedAlert<E>[]; duplicates: number }> {
  const escalated: Alert<E>[] = await inPool(detections, SEARCHES_AT_ONCE, async (d) => ({
    ...d,
    escalation: await options.escalate(d, peers),
  }));
  const written = await writeAlerts(backend, escalated, options.scope, options.startedAt);
  const searchableAt = new Date();
  return {
    alerts: escalated.filter((a) => written.createdIds.has(a.id)).map((a) => ({ ...a, searchableAt })),
    duplicates: written.duplicates,
  };
}

async function detectionsOf(
  backend: Backend,
  rule: Rule,
  context: SearchContext,
): Promise<AsyncGenerator<Detection[]>> {
  switch (rule.type) {
    case "threshold":
      return thresholdDetections(
        backend,
        rule,
        context,
        await thresholdHistory(backend, rule, context.scopeKey, context.window.gte),
      );
    case "new_terms":
      return newTermsDetections(backend, rule, context);
    case "query":
      return queryDetections(backend, rule, context);
    case "esql":
      return esqlDetections(backend, rule, context);
  }
}

/** Up to `max` findings not alerted on before, in the order the rule yields them. */
async function admitNew(
  backend: Backend,
  max: number,
  pages: AsyncGenerator<Detection[]>,
): Promise<{ detections: Detection[]; alreadyAlerted: number; capped: boolean }> {
  const detections: Detection[] = [];
  let alreadyAlerted = 0;
  for await (const page of pages) {
    const existing = await existingAlertIds(
      backend,
      page.map((d) => d.id),
    );
    alreadyAlerted += existing.size;
    const fresh = page.filter((d) => !existing.has(d.id));
    if (detections.length + fresh.length > max) {
      detections.push(...fresh.slice(0, max - detections.length));
      await pages.return(undefined);
      return { detections, alreadyAlerted, capped: true };
    }
    detections.push(...fresh);
  }
  return { detections, alreadyAlerted, capped: false };
}
