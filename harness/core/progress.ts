import { AsyncLocalStorage } from "node:async_hooks";
import { describeError } from "./errors.js";
import { terminalText } from "./printable.js";
import { seconds } from "./format.js";

export type ProgressSink = (line: string) => void;

/** Progress can quote the lab (tool errors, paths): it reaches the terminal without control sequences. */
let sink: ProgressSink = (line) => process.stderr.write(`${terminalText(line)}\n`);

export function setProgressSink(next: ProgressSink): ProgressSink {
  const previous = sink;
  sink = next;
  return previous;
}

const scoped = new AsyncLocalStorage<ProgressSink>();

export function say(line: string): void {
  (scoped.getStore() ?? sink)(line);
}

/** Sends what `work` says (and everything it awaits) to `scopedSink`: one scenario's own log. */
export function withProgressSink<T>(scopedSink: ProgressSink, work: () => Promise<T>): Promise<T> {
  return scoped.run(scopedSink, work);
}

/**
 * Runs one titled, timed task: "▸ title…", then "✔ title (1.2 s)" or "✖ title: why (1.2 s)".
 * The task may return a short note that replaces the default success line's detail.
 */
export async function task<T>(
  title: string,
  work: () => Promise<T>,
  note?: (result: T) => string,
): Promise<T> {
  const started = Date.now();
  say(`▸ ${title}…`);
  try {
    const result = await work();
    const detail = note ? `: ${note(result)}` : "";
    say(`✔ ${title}${detail} (${seconds(Date.now() - started)})`);
    return result;
  } catch (error) {
    say(`✖ ${title}: ${describeError(error).split("\n")[0] ?? ""} (${seconds(Date.now() - started)})`);
    throw error;
  }
}
