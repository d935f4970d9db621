import { spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { dockerAnswers, dockerEndpoint } from "../docker/client.js";
import { ScanproofError } from "../core/errors.js";
import { cacheDir } from "../core/paths.js";
import { commandExists, runChecked } from "../core/process.js";
import { aptInstall } from "./apt.js";

const ENGINE_START_TIMEOUT_MS = 90_000;

/** Makes sure a Docker engine answers: the one at DOCKER_HOST, or a local dockerd started (and installed) here. */
export async function ensureDockerEngine(): Promise<string> {
  if (await dockerAnswers()) return `answers at ${dockerEndpoint()}`;
  if (process.env.DOCKER_HOST) {
    throw new ScanproofError(
      `DOCKER_HOST=${process.env.DOCKER_HOST} does not answer.`,
      "Start that engine, or unset DOCKER_HOST to let scanproof start a local dockerd.",
    );
  }
  if (!(await commandExists("dockerd"))) await aptInstall(["docker.io"], "the Docker engine");
  startDockerd();
  await waitForEngine();
  return `started dockerd (log: ${dockerdLogPath()})`;
}

function dockerdLogPath(): string {
  return join(cacheDir(), "dockerd.log");
}

function startDockerd(): void {
  if (process.getuid?.() !== 0) {
    throw new ScanproofError(
      "No Docker engine answers and scanproof is not root, so it cannot start dockerd.",
      "Start Docker (e.g. `sudo systemctl start docker`) or run `sudo scanproof setup`.",
    );
  }
  mkdirSync(cacheDir(), { recursive: true });
  const log = openSync(dockerdLogPath(), "a");
  const child = spawn("dockerd", [], { detached: true, stdio: ["ignore", log, log] });
  child.unref();
}

async function waitForEngine(): Promise<void> {
  const deadline = Date.now() + ENGINE_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await dockerAnswers(2000)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  const tail = await runChecked("tail", ["-n", "5", dockerdLogPath()]).catch(() => "");
  throw new ScanproofError(
    `dockerd did not answer within ${ENGINE_START_TIMEOUT_MS / 1000} s.\n${tail}`,
    `Read ${dockerdLogPath()}; another dockerd may hold /var/run/docker.pid.`,
  );
}
