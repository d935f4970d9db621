import type { estypes } from "@elastic/elasticsearch";
import type { Backend } from "../../harness/backend/backend.js";

export type Fields = Record<string, unknown[] | undefined>;

/** The mapped type of each field in an index, as Elasticsearch reports it. */
export async function mappingTypes(
  backend: Backend,
  index: string,
  fields: string[],
): Promise<Record<string, string | undefined>> {
  const mapping = await backend.client.indices.getFieldMapping({ index, fields });
  const found = Object.values(mapping)[0]?.mappings ?? {};
  return Object.fromEntries(fields.map((f) => [f, Object.values(found[f]?.mapping ?? {})[0]?.type]));
}

/** The requested fields of the first document of one run's scenario that matches the filters. */
export async function firstDocument(
  backend: Backend,
  scope: { runId: string; scenarioId: string },
  index: string,
  filter: estypes.QueryDslQueryContainer[],
  fields: string[],
): Promise<Fields> {
  const response = await backend.client.search({
    index,
    size: 1,
    query: {
      bool: {
        filter: [
          { term: { "labels.scanproof_run_id": scope.runId } },
          { term: { "labels.scanproof_scenario": scope.scenarioId } },
          ...filter,
        ],
      },
    },
    fields,
  });
  return (response.hits.hits[0]?.fields ?? {}) as Fields;
}
