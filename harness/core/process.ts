import { spawn } from "node:child_process";
import { ScanproofError } from "./errors.js";

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a host command with an argument array (never a shell) and collects its output. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error) =>
      reject(new ScanproofError(`Could not run ${command}: ${error.message}`, undefined, { cause: error })),
    );
    child.on("close", (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

export async function runChecked(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    const tail = (result.stderr || result.stdout).trim().split("\n").slice(-5).join("\n");
    throw new ScanproofError(`${command} ${args.join(" ")} exited with ${result.code}:\n${tail}`);
  }
  return result.stdout;
}

export async function commandExists(command: string): Promise<boolean> {
  const result = await runCommand("sh", ["-c", 'command -v "$1"', "sh", command]).catch(() => undefined);
  return result?.code === 0;
}
