import { hostname } from "node:os";
import Docker from "dockerode";
import { ScanproofError } from "../core/errors.js";

export const LABEL_MANAGED = "io.scanproof.managed";
export const LABEL_RUN = "io.scanproof.run";
export const LABEL_SCENARIO = "io.scanproof.scenario";
export const LABEL_ROLE = "io.scanproof.role";
/** The harness process that created a resource, as "<machine>/<pid>": a run whose owner is gone is a leftover. */
export const LABEL_OWNER = "io.scanproof.owner";
export const LABEL_IMAGE = "io.scanproof.image";
export const LABEL_IMAGE_INPUTS = "io.scanproof.inputs";

let client: Docker | undefined;

/** The Docker engine named by DOCKER_HOST, or the local socket. */
export function docker(): Docker {
  client ??= new Docker();
  return client;
}

export function dockerEndpoint(): string {
  return process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
}

export async function dockerAnswers(timeoutMs = 3000): Promise<boolean> {
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timeout")), timeoutMs);
    });
    await Promise.race([docker().ping() as Promise<unknown>, timeout]).finally(() => clearTimeout(timer));
    return true;
  } catch {
    return false;
  }
}

export async function requireDocker(): Promise<void> {
  if (!(await dockerAnswers())) {
    throw new ScanproofError(
      `The Docker engine at ${dockerEndpoint()} does not answer.`,
      "Run `scanproof setup` (as root it installs and starts Debian's docker.io), or start dockerd / set DOCKER_HOST.",
    );
  }
}

export function runLabels(runId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [LABEL_MANAGED]: "true",
    [LABEL_RUN]: runId,
    [LABEL_OWNER]: `${hostname()}/${process.pid}`,
    ...extra,
  };
}

export async function imageExists(ref: string): Promise<boolean> {
  try {
    await docker().getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Follows a build/import/pull stream to its end, failing on the first error it reports. */
export async function followStream(
  stream: NodeJS.ReadableStream,
  onLine?: (line: string) => void,
): Promise<void> {
  await new Promise<void>((resolvePromise, reject) => {
    docker().modem.followProgress(
      stream,
      (error: Error | null, output: { error?: string; errorDetail?: { message?: string } }[]) => {
        const failed = output.find((o) => o.error ?? o.errorDetail);
        if (error) reject(error);
        else if (failed)
          reject(new ScanproofError(failed.errorDetail?.message ?? failed.error ?? "unknown error"));
        else resolvePromise();
      },
      (event: { stream?: string }) => {
        const line = event.stream?.trimEnd();
        if (line && onLine) onLine(line);
      },
    );
  });
}
