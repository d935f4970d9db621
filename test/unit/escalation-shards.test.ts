import type { estypes } from "@elastic/elasticsearch";
import { expect } from "chai";
import { join } from "node:path";
import type { Backend } from "../../harness/backend/backend.js";
import { ALERTS_INDEX } from "../../harness/backend/templates.js";
import { loadContext } from "../../harness/context/context.js";
import { assertionsDir } from "../../harness/core/paths.js";
import type { Detection } from "../../harness/detection/rules/rule.js";
import { queryRuleFixture } from "./fixture-helpers.js";
import { gatherFacts } from "../../harness/escalation/gather-facts.js";
import { gatherPostScan } from "../../harness/escalation/gather-post-scan.js";

/**
 * Escalation's reads against a cluster whose indices hold nothing, except that the searches a
 * test picks answer as Elasticsearch does when one of five shards failed: with the other shards'
 * hits and `_shards.failed` 1. Half an answer is an error, never a silent gap in the facts.
 */

const context = loadContext(join(assertionsDir, "context", "default.yaml"));
const SHARD_FAILURE = /Escalation could not read 1 of 5 shards: failed to create query/;

function cluster(partial: (request: estypes.SearchRequest, n: number) => boolean): {
  backend: Backend;
  searches: estypes.SearchRequest[];
} {
  const searches: estypes.SearchRequest[] = [];
  const whole = { total: 1, successful: 1, failed: 0 };
  const failed = {
    total: 5,
    successful: 4,
    failed: 1,
    failures: [
      {
        shard: 0,
        index: "scanproof-flow",
        reason: { type: "query_shard_exception", reason: "failed to create query" },
      },
    ],
  };
  const client = {
    openPointInTime: () => Promise.resolve({ id: "pit", _shards: whole }),
    closePointInTime: () => Promise.resolve({ succeeded: true, num_freed: 1 }),
    search: (request: estypes.SearchRequest) => {
      searches.push(request);
      return Promise.resolve({
        _shards: partial(request, searches.length - 1) ? failed : whole,
        hits: { total: { value: 0, relation: "eq" }, hits: [] },
      });
    },
  };
  return { backend: { client } as unknown as Backend, searches };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => "no error",
    (error: unknown) => String(error),
  );

describe("escalation reads with a failed shard", function () {
  const postScan = (backend: Backend) =>
    gatherPostScan(backend, [], context, {
      source: "198.18.0.10",
      scanned: ["10.20.0.10"],
      scanStart: "2026-12-06T07:59:00.000Z",
      scanEnd: "2026-12-06T08:00:05.000Z",
      historyStart: "2026-11-06T07:59:00.000Z",
      activityStart: "2026-12-06T07:59:00.000Z",
    });

  it("fails the post-scan analysis whichever of its searches lost a shard", async function () {
    const { backend, searches } = cluster(() => false);
    await postScan(backend);
    expect(searches.length).to.be.greaterThan(3);
    for (let n = 0; n < searches.length; n++)
      expect(await failure(postScan(cluster((_, i) => i === n).backend)), `search ${n}`).to.match(
        SHARD_FAILURE,
      );
  });

  it("fails the facts when the search of earlier alerts lost a shard", async function () {
    const rule = queryRuleFixture();
    const detection: Detection = {
      id: "d1",
      rule,
      group: { "source.ip": "198.18.0.10", "destination.ip": "10.20.0.10" },
      evidence: {
        events: 1,
        distinct: [],
        firstSeen: "2026-12-06T07:59:00.000Z",
        lastSeen: "2026-12-06T08:00:05.000Z",
      },
      window: { gte: "2026-12-06T07:51:00.000Z", lte: "2026-12-06T08:00:05.000Z" },
    };
    const gather = (backend: Backend) =>
      gatherFacts(backend, detection, context, { filters: [], inventory: [] });
    expect(await failure(gather(cluster(() => false).backend))).to.equal("no error");
    expect(await failure(gather(cluster((r) => r.index === ALERTS_INDEX).backend))).to.match(SHARD_FAILURE);
  });
});
