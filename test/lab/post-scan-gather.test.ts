import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../../harness/backend/backend.js";
import { SOURCE_INDEX } from "../../harness/backend/templates.js";
import { loadContext } from "../../harness/context/context.js";
import { assertionsDir, projectRoot } from "../../harness/core/paths.js";
import type { StoredHit } from "../../harness/escalation/gather-post-scan.js";
import { gatherPostScan } from "../../harness/escalation/gather-post-scan.js";
import { findPostScanActivity } from "../../harness/escalation/post-scan.js";
import { newRunId } from "../../harness/run/run-scenarios.js";
import { sharedBackend } from "./shared-backend.js";

const SCANNER = "198.18.0.10";
const WEB = "10.20.0.10";
const BASTION = "10.20.0.11";
const AGENT = "10.20.0.30";
const context = loadContext(join(assertionsDir, "context", "default.yaml"));

type Doc = Record<string, unknown> & { "@timestamp": string; labels: Record<string, string> };

function recorded(name: string): StoredHit<Doc>[] {
  return JSON.parse(
    readFileSync(join(projectRoot, "test", "fixtures", "post-scan", name), "utf8"),
  ) as StoredHit<Doc>[];
}

/** Indexes recorded documents under their own ids, labelled as one run. */
async function index(backend: Backend, runId: string, hits: readonly StoredHit<Doc>[]): Promise<void> {
  const response = await backend.client.bulk({
    refresh: "wait_for",
    operations: hits.flatMap((h) => [
      { index: { _index: h._index, _id: `${runId}/${h._id ?? ""}` } },
      { ...h._source, labels: { scanproof_run_id: runId, scanproof_scenario: "post-scan-gather" } },
    ]),
  });
  expect(response.errors, JSON.stringify(response.items.find((i) => i.index?.error))).to.equal(false);
}

/** A connection record of the agent's history: it fetched from an outside mirror, days before. */
function history(runId: string): StoredHit<Doc> {
  return {
    _index: SOURCE_INDEX.flow,
    _id: "history/agent-mirror",
    _source: {
      "@timestamp": "2026-12-01T10:00:00.000Z",
      event: { dataset: "network_traffic.flow", kind: "event", action: "network_flow" },
      source: { ip: AGENT, port: 38000, bytes: 600, packets: 6 },
      destination: { ip: "192.0.2.80", port: 80, bytes: 2_000_000, packets: 1500 },
      network: { transport: "tcp" },
      scanproof: { tcp: { flags: "...AP.SF", reply_flags: "...AP.SF" } },
      labels: { scanproof_run_id: runId, scanproof_scenario: "post-scan-gather" },
    },
  };
}

describe("post-scan events gathered from Elasticsearch (real Elasticsearch)", function () {
  this.timeout(120_000);
  const runId = newRunId();
  let backend: Backend;

  before(async function () {
    backend = await sharedBackend();
    await index(backend, runId, [
      ...recorded("hydra-then-login.auth.json"),
      ...recorded("admin-login.auth.json"),
      ...recorded("after-the-scan.flow.json"),
      history(runId),
    ]);
  });

  const gather = () =>
    gatherPostScan(backend, [{ term: { "labels.scanproof_run_id": runId } }], context, {
      source: SCANNER,
      scanned: [WEB, BASTION, AGENT],
      scanStart: "2026-12-06T07:59:00.000Z",
      scanEnd: "2026-12-06T08:00:05.000Z",
      historyStart: "2026-11-06T07:59:00.000Z",
      activityStart: "2026-12-06T07:59:00.000Z",
    });

  it("reads the source's logins to the scanned hosts, not the administrator's", async function () {
    const events = await gather();
    expect(
      events.logins.map((l) => [l.id.replace(`${runId}/`, ""), l.outcome, l.user, l.method]),
    ).to.deep.equal(
      recorded("hydra-then-login.auth.json").map((h) => {
        const d = h._source as unknown as {
          event: { outcome: string };
          user: { name: string };
          system: { auth: { ssh: { method?: string } } };
        };
        return [h._id, d.event.outcome, d.user.name, d.system.auth.ssh.method];
      }),
    );
  });

  it("reads the connections the scanned hosts opened and the scanner's large pulls, each host's past and what answered", async function () {
    const events = await gather();
    expect(
      events.flows.map((f) => f.id.replace(`${runId}/run-1/post-scan/logs/flow/flow.json/`, "")),
    ).to.deep.equal(
      // In time order: the agent's lone SYN/ACK, the 8 MiB pull, the callback, two outside peers (not
      // the resolver: an internal peer other than the source is never a callback).
      ["2000", "400", "1600", "2800", "3200"],
    );
    expect(events.baseline).to.deep.equal([
      { host: WEB, largestTransfer: 0, peers: [] },
      { host: BASTION, largestTransfer: 0, peers: [] },
      { host: AGENT, largestTransfer: 600, peers: ["192.0.2.80"] },
    ]);
    expect(events.answered?.map((a) => `${a.host}:${a.port}/${a.transport}`)).to.deep.equal([
      `${WEB}:80/tcp`,
    ]);
    const kinds = findPostScanActivity(events, {
      source: SCANNER,
      internalNetworks: context.internal_networks,
      minTransferBytes: context.escalation.post_scan.transfer.min_bytes,
      ephemeralPorts: context.escalation.post_scan.ephemeral_ports,
    }).map((f) => `${f.kind} ${f.host}`);
    expect(kinds).to.deep.equal([`exfiltration ${WEB}`, `login ${BASTION}`, `outbound ${AGENT}`]);
  });
});
