import { Wait } from "testcontainers";
import type { Backend, ShipperRoute } from "../backend/backend.js";
import type { Teardown } from "../core/lifecycle.js";
import type { LabContainers } from "./containers.js";
import type { NetworkName } from "./networks.js";

/**
 * Starts the log shipper on the management network, attached to Elasticsearch, reading every
 * sensor's folder and labelling each event with the run and the scenario.
 */
export async function startShipper(
  options: {
    readonly runId: string;
    readonly scenarioId: string;
    readonly backend: Backend;
    readonly logDir: string;
  },
  networks: Record<NetworkName, string>,
  containers: LabContainers,
  teardown: Teardown,
): Promise<void> {
  const route = await options.backend.attachLab(networks.mgmt);
  teardown.defer("detach Elasticsearch from the lab", () => options.backend.detachLab(networks.mgmt));
  await containers.start("shipper", "shipper", "shipper", (c) =>
    c
      .withNetworkMode(route.network ?? networks.mgmt)
      .withEnvironment({
        SCANPROOF_ES_HOST: route.host,
        SCANPROOF_ES_PORT: String(route.port),
        SCANPROOF_ES_HTTPS: route.tls ? "on" : "off",
        SCANPROOF_RUN_ID: options.runId,
        SCANPROOF_SCENARIO_ID: options.scenarioId,
      })
      .withCopyContentToContainer(shipperSecrets(route))
      .withBindMounts([{ source: options.logDir, target: "/logs", mode: "ro" }])
      .withWaitStrategy(Wait.forLogMessage("scanproof-shipper: configuration valid"))
      .withStartupTimeout(20_000),
  );
}

/**
 * The CA and credentials the shipper needs, as files copied into its container before it starts:
 * never in its environment, where `docker inspect` would show them.
 */
function shipperSecrets(route: ShipperRoute): { content: string; target: string; mode: number }[] {
  const file = (name: string, content: string) => ({
    content,
    target: `/run/secrets/scanproof/${name}`,
    mode: 0o600,
  });
  return [
    ...(route.tls ? [file("es-ca.pem", route.tls.ca)] : []),
    ...(route.credentials
      ? [file("es-username", route.credentials.username), file("es-password", route.credentials.password)]
      : []),
  ];
}
