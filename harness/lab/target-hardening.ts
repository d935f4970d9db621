import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { StartedTestContainer } from "testcontainers";
import { ScanproofError } from "../core/errors.js";
import { runNetkit } from "./overlay.js";
import type { PlannedTarget } from "./topology.js";

interface StartedTarget {
  readonly plan: PlannedTarget;
  readonly container: StartedTestContainer;
}

/**
 * Gives each target with `filtered` ports its host firewall: in the target's namespace, a netkit
 * helper installs an nftables input chain that drops every packet to those ports unanswered.
 */
export async function filterTargetPorts(
  targets: readonly StartedTarget[],
  labels: Record<string, string>,
): Promise<void> {
  await Promise.all(
    targets
      .filter((t) => t.plan.filtered.length > 0)
      .map((t) =>
        runNetkit(
          t.container,
          ["host-filter", t.plan.filtered.map((f) => `${f.port}/${f.transport}`).join(",")],
          labels,
        ),
      ),
  );
}

/** Where a traffic source finds the CA of an https target, trusted by its system store as well. */
export function labCaPath(target: string): string {
  return `/usr/local/share/ca-certificates/scanproof-lab-${target}.crt`;
}

/**
 * Makes every traffic source trust the CA each https target made when it started (written beside
 * its access log in the run folder): the certificate goes into the source's CA folder and its system
 * store is rebuilt, so curl, nmap's scripts and the other clients verify the lab's TLS servers.
 */
export async function trustLabCas(
  targets: readonly PlannedTarget[],
  targetLogDir: (target: string) => string,
  sources: readonly StartedTestContainer[],
): Promise<void> {
  const https = targets.filter((t) => t.image.kind === "https");
  if (https.length === 0) return;
  const certificates = https.map((t) => ({
    content: readFileSync(join(targetLogDir(t.name), "ca.crt"), "utf8"),
    target: labCaPath(t.name),
  }));
  await Promise.all(
    sources.map(async (source) => {
      await source.copyContentToContainer(certificates);
      const result = await source.exec(["update-ca-certificates"]);
      if (result.exitCode !== 0)
        throw new ScanproofError(
          `Trusting the lab CA in ${source.getName()} failed: ${result.output.trim()}`,
        );
    }),
  );
}
