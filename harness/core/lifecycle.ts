import { describeError } from "./errors.js";
import { say } from "./progress.js";

/**
 * Teardown in reverse order of creation. Each resource is registered the moment it exists, so a
 * failure half-way through start-up, an error or Ctrl-C still removes everything created so far.
 */
export class Teardown {
  private readonly steps: { title: string; dispose: () => Promise<unknown> }[] = [];
  private running: Promise<void> | undefined;

  defer(title: string, dispose: () => Promise<unknown>): void {
    this.steps.push({ title, dispose });
  }

  /** Runs every registered disposal once, newest first; failures are reported, never thrown. */
  run(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop();
        if (!step) break;
        try {
          await step.dispose();
        } catch (error) {
          say(`  ! could not ${step.title}: ${describeError(error)}`);
        }
      }
    })();
    return this.running;
  }
}

type Signal = "SIGINT" | "SIGTERM";

/** Teardowns of work in progress, oldest first: nested work (a bench around a run) has several. */
const active: Teardown[] = [];

/** Runs every active teardown, the innermost (newest) first, so a lab goes before its backend. */
async function runActive(): Promise<void> {
  for (const teardown of [...active].reverse()) await teardown.run();
}

/**
 * While `work` runs, SIGINT/SIGTERM run the teardown — and those of any work it runs inside, or
 * that runs inside it — and exit with 128+signal; otherwise the teardown runs when `work` settles,
 * whatever the outcome.
 */
export async function withTeardown<T>(teardown: Teardown, work: () => Promise<T>): Promise<T> {
  const handlers = new Map<Signal, () => void>();
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    const handler = (): void => {
      say(`\n${signal}: tearing down the lab…`);
      void runActive().finally(() => process.exit(code));
    };
    handlers.set(signal, handler);
    process.once(signal, handler);
  }
  active.push(teardown);
  try {
    return await work();
  } finally {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    active.splice(active.indexOf(teardown), 1);
    await teardown.run();
  }
}
