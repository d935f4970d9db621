import type { Backend } from "../../backend/backend.js";
import { executeRule, type ExecutionOptions, type RuleExecution } from "./engine.js";
import type { Rule } from "../rules/rule.js";
import { nextStart } from "../rules/schedule.js";

/** Time as the scheduler sees it; tests pass a fake one. */
export interface Clock {
  now(): Date;
  /** Resolves at `at`, or as soon as the signal aborts. */
  waitUntil(at: Date, signal: AbortSignal): Promise<void>;
}

const systemClock: Clock = {
  now: () => new Date(),
  waitUntil: (at, signal) =>
    new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      // Timers run on the monotonic clock and may wake a millisecond before the wall clock reaches `at`.
      const arm = (): void => {
        const left = at.getTime() - Date.now();
        if (left <= 0 || signal.aborted) done();
        else timer = setTimeout(arm, left);
      };
      signal.addEventListener("abort", done, { once: true });
      arm();
    }),
};

export interface Scheduler {
  /** Stops scheduling; resolves when the executions under way have finished. */
  stop(): Promise<void>;
}

/** Runs one execution of a rule that started at `startedAt`; the previous one started at `previousStartedAt`. */
export type RunExecution = (
  rule: Rule,
  startedAt: Date,
  previousStartedAt: Date | undefined,
) => Promise<void>;

/**
 * Kibana's task scheduling: every rule runs at once, then one interval after its previous start
 * (at once if its execution took longer than that); executions of one rule never overlap.
 */
export function schedule(rules: readonly Rule[], run: RunExecution, clock: Clock): Scheduler {
  const stopping = new AbortController();
  const loops = rules.map(async (rule) => {
    let previous: Date | undefined;
    let next = clock.now();
    for (;;) {
      await clock.waitUntil(next, stopping.signal);
      if (stopping.signal.aborted) return;
      const startedAt = clock.now();
      await run(rule, startedAt, previous);
      previous = startedAt;
      next = nextStart(rule.intervalMs, startedAt, clock.now());
    }
  });
  return {
    stop: async () => {
      stopping.abort();
      await Promise.all(loops);
    },
  };
}

export interface SchedulerOptions<E> extends Pick<ExecutionOptions<E>, "scope" | "escalate"> {
  /** Told about every execution: its alerts, what was already alerted, warnings and skips. */
  readonly onExecution?: (execution: RuleExecution<E>) => void;
  /** Told when an execution fails; the rule runs again at its next interval. */
  readonly onError: (rule: Rule, error: unknown) => void;
  readonly clock?: Clock;
}

/**
 * The scheduled mode (`lab up`): every rule runs at its interval over its look-back window, as
 * Kibana runs it, until `stop()`. Overlapping windows never alert twice.
 */
export function startScheduler<E>(
  backend: Backend,
  rules: readonly Rule[],
  options: SchedulerOptions<E>,
): Scheduler {
  return schedule(
    rules,
    async (rule, startedAt, previousStartedAt) => {
      try {
        const execution = await executeRule(backend, rule, {
          startedAt,
          ...(previousStartedAt ? { previousStartedAt } : {}),
          scope: options.scope,
          escalate: options.escalate,
        });
        options.onExecution?.(execution);
      } catch (error) {
        options.onError(rule, error);
      }
    },
    options.clock ?? systemClock,
  );
}
