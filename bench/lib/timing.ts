import { projectRoot } from "../../harness/core/paths.js";
import { runCommand, type CommandResult } from "../../harness/core/process.js";
import { task } from "../../harness/core/progress.js";

/** How long one titled step took, and whether it worked. */
export interface Timed {
  readonly what: string;
  readonly ms: number;
  readonly ok: boolean;
  readonly note?: string;
}

/** Runs `work` as a progress task and records its duration even when it fails. */
export async function timed(what: string, work: () => Promise<string | undefined>): Promise<Timed> {
  const started = Date.now();
  try {
    const note = await task(what, work, (n) => n ?? "done");
    return { what, ms: Date.now() - started, ok: true, ...(note === undefined ? {} : { note }) };
  } catch (error) {
    return { what, ms: Date.now() - started, ok: false, note: (error as Error).message.split("\n")[0] ?? "" };
  }
}

/** Runs this checkout's CLI as a user would (`node bin/scanproof.js …`) and times it. */
export async function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CommandResult & { readonly ms: number }> {
  const started = Date.now();
  const result = await runCommand("node", ["bin/scanproof.js", ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
  });
  return { ...result, ms: Date.now() - started };
}

/** Sets environment variables for the duration of `work`, then restores them. */
export async function withEnv<T>(vars: Readonly<Record<string, string>>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await work();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = value;
    }
  }
}
