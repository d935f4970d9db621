import { ScanproofError } from "../core/errors.js";
import { commandExists, runCommand } from "../core/process.js";

let updated = false;

/** Installs Debian packages as root; says exactly what to run when that is not possible. */
export async function aptInstall(packages: readonly string[], purpose: string): Promise<void> {
  const manual = `apt-get install -y ${packages.join(" ")}`;
  if (process.getuid?.() !== 0 || !(await commandExists("apt-get"))) {
    throw new ScanproofError(`${purpose} is missing.`, `Install it yourself: ${manual}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!updated) {
    await runCommand("apt-get", ["update", "-qq"], { env });
    updated = true;
  }
  const result = await runCommand(
    "apt-get",
    ["install", "-y", "-qq", "--no-install-recommends", ...packages],
    { env },
  );
  if (result.code !== 0) {
    throw new ScanproofError(
      `Installing ${purpose} failed (apt-get exited with ${result.code}):\n${result.stderr.trim().split("\n").slice(-3).join("\n")}`,
      `Try by hand: ${manual}`,
    );
  }
}
