import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "../core/paths.js";
import { say } from "../core/progress.js";
import { commandExists, runChecked, runCommand } from "../core/process.js";
import { aptInstall } from "./apt.js";

/**
 * Sigma's reference implementation, pinned: pySigma and its Elasticsearch backend (Lucene
 * queries; correlations are mapped onto scanproof's threshold execution by the converter). The
 * backend's 2.1 line requires pySigma 1.x: pip refuses pySigma 2.0 beside it.
 */
export const SIGMA_PACKAGES = ["pysigma==1.5.1", "pysigma-backend-elasticsearch==2.1.1"] as const;

/** The project-local environment for the pinned packages, named by them so a change makes a new one. */
export function sigmaVenvDir(): string {
  const hash = createHash("sha256").update(SIGMA_PACKAGES.join("\n")).digest("hex").slice(0, 12);
  return join(cacheDir(), `sigma-venv-${hash}`);
}

/** The environment's Python, which runs the Sigma converter. */
export function sigmaPython(): string {
  return join(sigmaVenvDir(), "bin", "python");
}

/** Whether set-up has installed the Sigma toolchain (its marker is written last). */
export function sigmaToolchainReady(): boolean {
  return existsSync(join(sigmaVenvDir(), ".scanproof-complete"));
}

/**
 * Creates the environment once with the machine's python3 (Debian's python3-venv when the venv
 * module is missing) and installs the pinned packages from the Python registry; later calls
 * return at once.
 */
export async function ensureSigmaToolchain(): Promise<string> {
  const dir = sigmaVenvDir();
  if (sigmaToolchainReady()) return dir;
  if (!(await commandExists("python3")))
    await aptInstall(["python3", "python3-venv"], "Python 3 (for Sigma)");
  mkdirSync(cacheDir(), { recursive: true });
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const venv = await runCommand("python3", ["-m", "venv", staging]);
  if (venv.code !== 0) {
    await aptInstall(["python3-venv"], "Python's venv module (for Sigma)");
    rmSync(staging, { recursive: true, force: true });
    await runChecked("python3", ["-m", "venv", staging]);
  }
  say(`  pip install ${SIGMA_PACKAGES.join(" ")}`);
  await runChecked(join(staging, "bin", "python"), [
    "-m",
    "pip",
    "install",
    "--quiet",
    "--disable-pip-version-check",
    ...SIGMA_PACKAGES,
  ]);
  writeFileSync(join(staging, ".scanproof-complete"), `${SIGMA_PACKAGES.join("\n")}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return dir;
}
