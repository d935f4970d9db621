import { describeError } from "./errors.js";

export type ProgressSink = (line: string) => void;

let sink: ProgressSink = (line) => process.stderr.write(`${line}\n`);

export function setProgressSink(next: ProgressSink): ProgressSink {
  const previous = sink;
  sink = next;
  return previous;
}

export function say(line: string): void {
  sink(line);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
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
