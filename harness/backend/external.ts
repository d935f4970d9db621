import { rootCertificates } from "node:tls";
import { Client } from "@elastic/elasticsearch";
import { ScanproofError } from "../core/errors.js";
import type { Teardown } from "../core/lifecycle.js";
import {
  clientOptions,
  installIndexTemplates,
  readSettingFile,
  waitForCluster,
  type Backend,
  type ExternalClusterOptions,
  type ShipperRoute,
} from "./backend.js";

/**
 * A cluster the user runs. The harness reaches it with the given URL and credentials (TLS
 * verification stays on; a CA file may be named); lab shippers reach it through the default
 * Docker bridge, since lab networks are internal, with the same CA and the username and password
 * (rsyslog's omelasticsearch sends no API key).
 */
export async function connectExternalCluster(
  options: ExternalClusterOptions,
  teardown: Teardown,
): Promise<Backend> {
  const url = new URL(options.url);
  const client = new Client(clientOptions(options));
  teardown.defer("close the Elasticsearch client", () => client.close());
  const description = `external Elasticsearch at ${url.origin}`;
  await waitForCluster(client, url.origin, 30_000);
  await installIndexTemplates(client);
  const https = url.protocol === "https:";
  const route: ShipperRoute = {
    host: url.hostname,
    port: Number(url.port || (https ? 443 : 80)),
    network: "bridge",
    ...(https
      ? {
          tls: {
            ca: options.caFile
              ? readSettingFile("SCANPROOF_ES_CA_FILE", options.caFile).toString("utf8")
              : rootCertificates.join("\n"),
          },
        }
      : {}),
    ...(options.username
      ? { credentials: { username: options.username, password: options.password ?? "" } }
      : {}),
  };
  return {
    description,
    url: url.origin,
    client,
    attachLab: () => Promise.resolve(route),
    detachLab: () => Promise.resolve(),
  };
}

/**
 * A secret from the variable NAME, or from the file NAME_FILE names (its trailing newline
 * dropped). Errors name the variable and the file, never the secret.
 */
function secretFromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const direct = env[name];
  const path = env[`${name}_FILE`];
  if (direct && path) throw new ScanproofError(`Set ${name} or ${name}_FILE, not both.`);
  if (!path) return direct || undefined;
  const value = readSettingFile(`${name}_FILE`, path)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (value === "") throw new ScanproofError(`${name}_FILE names ${path}, which is empty.`);
  return value;
}

/**
 * The external cluster named by the environment, if any, checked before anything starts.
 * Credentials come from the environment or files it names, never from arguments or the URL.
 */
export function externalClusterFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): ExternalClusterOptions | undefined {
  const raw = env.SCANPROOF_ES_URL;
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ScanproofError("SCANPROOF_ES_URL is not a URL.", "Use the form https://host:9200.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new ScanproofError(`SCANPROOF_ES_URL must be an http(s) URL, not ${url.protocol}.`);
  if (url.username || url.password)
    throw new ScanproofError(
      "SCANPROOF_ES_URL carries credentials, which would end up in logs.",
      "Put them in SCANPROOF_ES_USERNAME and SCANPROOF_ES_PASSWORD (or SCANPROOF_ES_PASSWORD_FILE).",
    );
  const apiKey = secretFromEnv(env, "SCANPROOF_ES_API_KEY");
  const username = secretFromEnv(env, "SCANPROOF_ES_USERNAME");
  const password = secretFromEnv(env, "SCANPROOF_ES_PASSWORD");
  if (password && !username)
    throw new ScanproofError("SCANPROOF_ES_PASSWORD is set without SCANPROOF_ES_USERNAME.");
  if (apiKey && !username)
    throw new ScanproofError(
      "SCANPROOF_ES_API_KEY authenticates scanproof, but the lab's shipper (rsyslog's omelasticsearch) can only send a username and password.",
      "Set SCANPROOF_ES_USERNAME and SCANPROOF_ES_PASSWORD (or SCANPROOF_ES_PASSWORD_FILE) for the shipper as well.",
    );
  const caFile = env.SCANPROOF_ES_CA_FILE;
  if (caFile) readSettingFile("SCANPROOF_ES_CA_FILE", caFile);
  return {
    url: raw,
    ...(apiKey ? { apiKey } : {}),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(caFile ? { caFile } : {}),
  };
}
