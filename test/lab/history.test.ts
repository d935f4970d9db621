import { expect } from "chai";
import type { Backend } from "../../harness/backend/backend.js";
import { SOURCE_INDEX } from "../../harness/backend/templates.js";
import { NOT_HISTORY, relocateRun } from "../../harness/logs/history.js";
import { newRunId } from "../../harness/run/run-scenarios.js";
import { sharedBackend } from "./shared-backend.js";

const HOUR = 3_600_000;

describe("history moved into the past (Elasticsearch)", function () {
  this.timeout(120_000);
  const runId = `history-${newRunId()}`;
  const labels = { scanproof_run_id: runId, scanproof_scenario: "history" };
  const filters = [
    { term: { "labels.scanproof_run_id": runId } },
    { term: { "labels.scanproof_scenario": "history" } },
  ];
  const start = Date.now() - 60_000;
  const probe = (i: number, offsetMs: number) => ({
    "@timestamp": new Date(start + offsetMs).toISOString(),
    event: { kind: "event", start: new Date(start + offsetMs).toISOString() },
    source: { ip: "10.30.0.60" },
    destination: { ip: "10.20.0.10", port: 8000 + i },
    network: { transport: "tcp" },
    labels,
  });
  /** The first events are stamped before the entry began, as a whole-second timestamp can be. */
  const recorded = Array.from({ length: 1_200 }, (_, i) => probe(i, i * 10 - 500));
  const later = probe(9_999, 30_000);
  const runs = [start - 72 * HOUR, start - 48 * HOUR, start - HOUR];
  let backend: Backend;
  /** The shipper's ids: run, scenario, file and offset — the same again in the scenario's own lab. */
  const shippedId = (line: number) => `${runId}/history/firewall.json/${line * 180}`;

  const count = async (query: object[]) => {
    await backend.client.indices.refresh({ index: SOURCE_INDEX.firewall });
    return (await backend.client.count({ index: SOURCE_INDEX.firewall, query: { bool: { filter: query } } }))
      .count;
  };

  before(async () => {
    backend = await sharedBackend();
    await backend.client.bulk({
      refresh: "wait_for",
      operations: [...recorded, later].flatMap((d, i) => [
        { create: { _index: SOURCE_INDEX.firewall, _id: shippedId(i) } },
        d,
      ]),
    });
  });

  it("writes each event once per past run, those stamped before it began too, none left at the present", async () => {
    const moved = await relocateRun(backend, filters, {
      anchor: start,
      from: 0,
      until: start + 20_000,
      occurrences: runs,
    });
    expect(moved).to.deep.equal({ recorded: recorded.length, indexed: recorded.length * runs.length });
    expect(await count([...filters, { term: { "labels.scanproof_history": "true" } }])).to.equal(
      recorded.length * runs.length,
    );
    expect(await count([...filters, NOT_HISTORY])).to.equal(1);
    for (const [k, at] of runs.entries()) {
      const inRun = await count([
        ...filters,
        {
          range: {
            "@timestamp": { gte: new Date(at - 500).toISOString(), lt: new Date(at + 20_000).toISOString() },
          },
        },
      ]);
      expect(inRun, `run ${k}`).to.equal(recorded.length);
    }
  });

  it("keeps the history whole when the scenario's own lab ships under the same ids", async () => {
    const now = recorded.slice(0, 100).map((d) => ({ ...d, "@timestamp": new Date().toISOString() }));
    await backend.client.bulk({
      refresh: "wait_for",
      operations: now.flatMap((d, i) => [
        { create: { _index: SOURCE_INDEX.firewall, _id: shippedId(i) } },
        d,
      ]),
    });
    expect(await count([...filters, { term: { "labels.scanproof_history": "true" } }])).to.equal(
      recorded.length * runs.length,
    );
    expect(await count([...filters, NOT_HISTORY])).to.equal(1 + now.length);
  });

  it("shifts event.start with @timestamp, keeping every other field", async () => {
    const response = await backend.client.search<{
      "@timestamp": string;
      event: { start: string };
      destination: object;
    }>({
      index: SOURCE_INDEX.firewall,
      size: 1,
      query: {
        bool: {
          filter: [
            ...filters,
            { term: { "destination.port": 8005 } },
            { range: { "@timestamp": { lt: new Date(runs[1] as number).toISOString() } } },
          ],
        },
      },
    });
    const doc = response.hits.hits[0]?._source;
    expect(doc?.["@timestamp"]).to.equal(new Date((runs[0] as number) + 50 - 500).toISOString());
    expect(doc?.event.start).to.equal(doc?.["@timestamp"]);
    expect(doc?.destination).to.deep.equal({ ip: "10.20.0.10", port: 8005 });
  });
});
