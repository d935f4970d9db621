import { Client } from "@elastic/elasticsearch";
import { ScanproofError } from "../errors.js";
import type { Teardown } from "../lifecycle.js";
import {
  clientOptions,
  installIndexTemplates,
  waitForCluster,
  type Backend,
  type ExternalClusterOptions,
} from "./backend.js";

/**
 * A cluster the user runs. The harness reaches it with the given URL and credentials (TLS
 * verification stays on; a CA file may be named); lab shippers reach it through the default
 * Docker bridge, since lab networks are internal.
 */
export async function connectExternalCluster(
  options: ExternalClusterOptions,
  teardown: Teardown,
): Promise<Backend> {
  const url = new URL(options.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ScanproofError(`SCANPROOF_ES_URL must be an http(s) URL, not "${options.url}".`);
  }
  const client = new Client(clientOptions(options));
  teardown.defer("close the Elasticsearch client", () => client.close());
  const description = `external Elasticsearch at ${url.origin}`;
  await waitForCluster(client, description, 30_000);
  await installIndexTemplates(client);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  return {
    description,
    url: url.origin,
    client,
    attachLab: () => Promise.resolve({ host: url.hostname, port, network: "bridge" }),
    detachLab: () => Promise.resolve(),
  };
}

/** The external cluster named by the environment, if any; credentials never come from arguments. */
export function externalClusterFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): ExternalClusterOptions | undefined {
  const url = env.SCANPROOF_ES_URL;
  if (!url) return undefined;
  return {
    url,
    ...(env.SCANPROOF_ES_API_KEY ? { apiKey: env.SCANPROOF_ES_API_KEY } : {}),
    ...(env.SCANPROOF_ES_USERNAME ? { username: env.SCANPROOF_ES_USERNAME } : {}),
    ...(env.SCANPROOF_ES_PASSWORD ? { password: env.SCANPROOF_ES_PASSWORD } : {}),
    ...(env.SCANPROOF_ES_CA_FILE ? { caFile: env.SCANPROOF_ES_CA_FILE } : {}),
  };
}
