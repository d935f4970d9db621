import "../docker/testcontainers-env.js";
import { Client } from "@elastic/elasticsearch";
import { Wait } from "testcontainers";
import { docker, LABEL_ROLE, runLabels } from "../docker/client.js";
import { freeLoopbackPort, LabContainer } from "../docker/lab-container.js";
import type { Teardown } from "../core/lifecycle.js";
import { task } from "../core/progress.js";
import { builtLabImage } from "../setup/lab-images.js";
import { ELASTICSEARCH_VERSION } from "../setup/elasticsearch-dist.js";
import { ESQL_UNPUBLISHED } from "../setup/esql-plugins.js";
import { installIndexTemplates, waitForCluster, type Backend } from "./backend.js";

const HTTP_PORT = 9200;
const ALIAS = "elasticsearch";

/**
 * The real Elasticsearch server in a container of its own: published on 127.0.0.1 for the
 * harness, and joined to each lab's internal management network for that lab's shipper. The image
 * is scanproof's own build (Maven Central's distribution), or SCANPROOF_ES_IMAGE — e.g. the
 * official docker.elastic.co/elasticsearch/elasticsearch:8.19.x where a registry is reachable.
 */
export async function startEmbeddedElasticsearch(runId: string, teardown: Teardown): Promise<Backend> {
  const ownImage = process.env.SCANPROOF_ES_IMAGE === undefined;
  const image = process.env.SCANPROOF_ES_IMAGE ?? (await builtLabImage("elasticsearch"));
  const container = await task(`Start Elasticsearch (${image})`, async () => {
    const started = await new LabContainer(image)
      .withName(`scanproof-es-${runId}`)
      .withLabels(runLabels(runId, { [LABEL_ROLE]: "siem" }))
      .withEnvironment({
        ES_JAVA_OPTS: process.env.SCANPROOF_ES_HEAP ?? "-Xms768m -Xmx768m",
        "discovery.type": "single-node",
        "xpack.security.enabled": "false",
        "cluster.routing.allocation.disk.threshold_enabled": "false",
      })
      .withLoopbackPort(HTTP_PORT, await freeLoopbackPort())
      .withWaitStrategy(
        Wait.forHttp("/_cluster/health?wait_for_status=yellow&timeout=1s", HTTP_PORT).forStatusCode(200),
      )
      .withStartupTimeout(180_000)
      .start();
    teardown.defer("stop Elasticsearch", () => started.stop({ timeout: 5_000 }));
    return started;
  });
  const url = `http://127.0.0.1:${container.getMappedPort(HTTP_PORT)}`;
  const client = new Client({ node: url, requestTimeout: 30_000 });
  teardown.defer("close the Elasticsearch client", () => client.close());
  await waitForCluster(client, url);
  await installIndexTemplates(client);
  const network = (name: string) => docker().getNetwork(name);
  return {
    url,
    description: `embedded Elasticsearch ${process.env.SCANPROOF_ES_IMAGE ? image : ELASTICSEARCH_VERSION} at ${url}`,
    client,
    ...(ownImage ? { esqlLacks: ESQL_UNPUBLISHED } : {}),
    async attachLab(managementNetwork) {
      await network(managementNetwork).connect({
        Container: container.getId(),
        EndpointConfig: { Aliases: [ALIAS] },
      });
      return { host: ALIAS, port: HTTP_PORT };
    },
    async detachLab(managementNetwork) {
      await network(managementNetwork).disconnect({ Container: container.getId(), Force: true });
    },
  };
}
