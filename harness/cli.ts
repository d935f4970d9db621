import { Command, CommanderError } from "commander";
import { describeError, ScanproofError } from "./errors.js";
import { runSetup } from "./setup/index.js";

/** Exit codes: 0 all passed, 1 a scenario failed, 2 a scenario errored, 3 bad input, 4 set-up failed. */
export const EXIT = { ok: 0, failed: 1, error: 2, badInput: 3, setup: 4 } as const;

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command("scanproof")
    .description("Prove that T1595 Active Scanning is logged, detected and escalated.")
    .exitOverride();
  let code: number = EXIT.ok;

  program
    .command("setup")
    .description("install and build everything a run needs (idempotent, cached)")
    .action(async () => {
      await runSetup();
    });

  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    process.stderr.write(`scanproof: ${describeError(error)}\n`);
    return error instanceof ScanproofError ? EXIT.setup : EXIT.error;
  }
  return code;
}
