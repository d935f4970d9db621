import { Client, type ClientOptions } from "@elastic/elasticsearch";
import { ScanproofError } from "../core/errors.js";
import { readRegularFile } from "../core/input-files.js";
import { task } from "../core/progress.js";
import { ALERTS_INDEX, SOURCE_INDEX, indexTemplates } from "./templates.js";

/** Where a lab's shipper sends its bulk requests, and how it proves who it is. */
export interface ShipperRoute {
  readonly host: string;
  readonly port: number;
  /** A Docker network the shipper must join to reach the cluster, when it is not the lab's own. */
  readonly network?: string;
  /** HTTPS with the certificates (PEM) the shipper must trust; plain HTTP when absent. */
  readonly tls?: { readonly ca: string };
  readonly credentials?: { readonly username: string; readonly password: string };
}

/** An Elasticsearch cluster scanproof writes events and alerts to and queries from. */
export interface Backend {
  readonly description: string;
  /** Where a person reaches the cluster (the harness's own address of it). */
  readonly url: string;
  readonly client: Client;
  /**
   * Plugins and libraries some ES|QL commands and functions need that this cluster lacks (the
   * embedded build's, docs/esql.md): a query using them would stop the node, so it is never sent.
   */
  readonly esqlLacks?: readonly string[];
  /** Makes the cluster reachable from a lab's management network; returns the shipper's route. */
  attachLab(managementNetwork: string): Promise<ShipperRoute>;
  detachLab(managementNetwork: string): Promise<void>;
}

export interface ExternalClusterOptions {
  readonly url: string;
  readonly apiKey?: string;
  readonly username?: string;
  readonly password?: string;
  readonly caFile?: string;
}

/** A secret is a few bytes and a PEM bundle of CA certificates a few hundred kilobytes. */
export const MAX_SETTING_FILE_BYTES = 1024 * 1024;

/**
 * The content of the file the environment variable `variable` names (`path`), read without
 * waiting: a pipe, device or folder is refused at once. Errors name the variable and the file,
 * never what the file holds.
 */
export function readSettingFile(variable: string, path: string): Buffer {
  const read = readRegularFile(path, MAX_SETTING_FILE_BYTES);
  if (read.ok) return read.data;
  switch (read.refused) {
    case "unreadable":
      throw new ScanproofError(
        `${variable} names ${path}, which cannot be read (${read.error.code ?? "error"}).`,
      );
    case "not-regular":
      throw new ScanproofError(
        `${variable} names ${path}, which is not a regular file.`,
        "Name a regular file: scanproof does not read secrets or certificates from pipes, devices or folders.",
      );
    case "too-large":
      throw new ScanproofError(
        `${variable} names ${path}, which is larger than ${MAX_SETTING_FILE_BYTES} bytes (${read.size} bytes).`,
        "The file should hold one secret, or the PEM certificates of the CAs to trust.",
      );
  }
}

/** The harness's client options: TLS verification is always on, against the CA file when one is named. */
export function clientOptions(options: ExternalClusterOptions): ClientOptions {
  const auth = options.apiKey
    ? { apiKey: options.apiKey }
    : options.username
      ? { username: options.username, password: options.password ?? "" }
      : undefined;
  return {
    node: options.url,
    ...(auth ? { auth } : {}),
    tls: {
      rejectUnauthorized: true,
      ...(options.caFile ? { ca: readSettingFile("SCANPROOF_ES_CA_FILE", options.caFile) } : {}),
    },
    requestTimeout: 30_000,
  };
}

/** Answers that waiting cannot change: wrong credentials, a certificate that does not verify. */
function permanentFailure(error: unknown, description: string): ScanproofError | undefined {
  const status = (error as { meta?: { statusCode?: number } }).meta?.statusCode;
  if (status === 401 || status === 403)
    return new ScanproofError(
      `Elasticsearch at ${description} refused scanproof's credentials (HTTP ${status}).`,
      "Check SCANPROOF_ES_USERNAME and SCANPROOF_ES_PASSWORD (or _FILE), or SCANPROOF_ES_API_KEY (or _FILE).",
    );
  const message = (error as Error).message;
  if (/certificate|self[- ]signed|altnames/i.test(message))
    return new ScanproofError(
      `The TLS certificate of Elasticsearch at ${description} does not verify: ${message}.`,
      "Name the CA that signed it in SCANPROOF_ES_CA_FILE; scanproof never turns verification off.",
    );
  return undefined;
}

/** Waits for a usable cluster (the integ-test distribution has no `GET /`, so health it is). */
export async function waitForCluster(
  client: Client,
  description: string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    try {
      const health = await client.cluster.health({ wait_for_status: "yellow", timeout: "2s" });
      if (!health.timed_out) return;
      lastError = `status ${health.status}`;
    } catch (error) {
      const permanent = permanentFailure(error, description);
      if (permanent) throw permanent;
      lastError = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new ScanproofError(
    `Elasticsearch at ${description} was not ready within ${timeoutMs / 1000} s (${lastError}).`,
    "Check the cluster's URL and credentials, or run `scanproof doctor`.",
  );
}

/**
 * Installs the index templates and creates every index before the first run, waiting until their
 * shards are allocated: an index the shipper creates mid-run has no shard for a moment, and a
 * search over a pattern that matches it fails with no_shard_available_action_exception.
 */
export async function installIndexTemplates(client: Client): Promise<void> {
  await task("Install index templates and create the indices", async () => {
    const indices = [...Object.values(SOURCE_INDEX), ALERTS_INDEX];
    for (const template of indexTemplates()) await client.indices.putIndexTemplate(template.body);
    for (const index of indices)
      if (!(await client.indices.exists({ index })))
        await client.indices.create({ index }, { ignore: [400] });
    await client.cluster.health({ index: indices, wait_for_status: "yellow", timeout: "60s" });
  });
}
