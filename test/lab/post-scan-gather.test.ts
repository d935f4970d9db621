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

  /** The post-scan events of the scanner's scan, among the documents of run `run`. */
  const gather = (run = runId) =>
    gatherPostScan(backend, [{ term: { "labels.scanproof_run_id": run } }], context, {
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

  describe("what the scan found and the source's return to it", function () {
    const run = newRunId();

    before(async function () {
      await index(backend, run, [...recorded("web-follow-up.web.json"), ...recorded("follow-up.flow.json")]);
    });

    it("reads the paths the scan found, the later requests for them, the services it sent web requests to and the completed connections after it", async function () {
      const events = await gatherPostScan(backend, [{ term: { "labels.scanproof_run_id": run } }], context, {
        source: SCANNER,
        scanned: [WEB, BASTION],
        scanStart: "2026-12-06T07:59:00.000Z",
        scanEnd: "2026-12-06T08:00:00.000Z",
        historyStart: "2026-11-06T07:59:00.000Z",
        activityStart: "2026-12-06T07:59:00.000Z",
      });
      const offset = (id: string) => Number(id.replace(/^.*\//, ""));
      const offsets = (list: readonly { id: string }[]) => list.map((e) => offset(e.id));
      // Found in the scan (up to its last event, inclusive): /index.html, /health, /private, /login,
      // /old and /health again at 08:00:00; after it, the source's requests for those paths on
      // either scanned host (the host is the analysis's to match), not the administrator's.
      expect(offsets(events.requests)).to.deep.equal([
        200, 600, 800, 1000, 1200, 2200, 2400, 2800, 3200, 3600,
      ]);
      // Web requests in the scan or after it: the web server's during the scan, the bastion's after.
      expect(events.webScanned).to.deep.equal([
        { host: WEB, port: 80 },
        { host: BASTION, port: 80 },
      ]);
      // Completed with data both ways after the scan: not the bare handshake, the banner read, the
      // unanswered datagram, the connection during the scan or the administrator's.
      expect(offsets(events.connections)).to.deep.equal([200, 500, 600, 700, 800]);
      expect(events.answered?.map((a) => `${a.host}:${a.port}/${a.transport} ${a.at}`)).to.have.members([
        `${WEB}:80/tcp 2026-12-06T08:01:30.000Z`,
        `${WEB}:161/udp 2026-12-06T08:01:40.000Z`,
        `${WEB}:8080/tcp 2026-12-06T07:59:40.000Z`,
        `${WEB}:9000/tcp 2026-12-06T08:01:10.000Z`,
        `${BASTION}:22/tcp 2026-12-06T08:01:20.000Z`,
      ]);
      const found = findPostScanActivity(events, {
        source: SCANNER,
        internalNetworks: context.internal_networks,
        minTransferBytes: context.escalation.post_scan.transfer.min_bytes,
        ephemeralPorts: context.escalation.post_scan.ephemeral_ports,
      });
      // 8080 answered during the scan; 161, 9000 and 22 first answered after it, so it found none of them.
      expect(
        found.map((f) => [f.kind, f.host, f.evidence.map((e) => [e.index, e.ids.map(offset)])]),
      ).to.deep.equal([
        [
          "follow-up",
          WEB,
          [
            ["scanproof-web", [2400, 2800, 3600]],
            ["scanproof-flow", [200]],
          ],
        ],
      ]);
    });
  });

  describe("at a scale no single page holds", function () {
    const busy = newRunId();
    const labels = { scanproof_run_id: busy, scanproof_scenario: "post-scan-gather" };
    const at = (base: string, ms: number) => new Date(Date.parse(base) + ms).toISOString();
    const flow = (
      id: string,
      time: string,
      source: [string, number],
      destination: [string, number],
      transport: "tcp" | "udp",
      replyFlags = "...AP.SF",
    ): StoredHit<Doc> => ({
      _index: SOURCE_INDEX.flow,
      _id: id,
      _source: {
        "@timestamp": time,
        event: { dataset: "network_traffic.flow", kind: "event", action: "network_flow" },
        source: { ip: source[0], port: source[1], bytes: 300, packets: 3 },
        destination: { ip: destination[0], port: destination[1], bytes: 600, packets: 3 },
        network: { transport },
        ...(transport === "tcp"
          ? { scanproof: { tcp: { flags: "...AP.SF", reply_flags: replyFlags } } }
          : {}),
        labels,
      },
    });
    const login = (n: number, outcome: "failure" | "success"): StoredHit<Doc> => ({
      _index: SOURCE_INDEX.auth,
      _id: `login/${n}`,
      _source: {
        "@timestamp": at("2026-12-06T08:01:00.000Z", n * 10),
        event: { category: "authentication", action: "ssh_login", outcome },
        source: { ip: SCANNER, port: 40000 + (n % 20000) },
        destination: { ip: BASTION, port: 22 },
        user: { name: "lab" },
        observer: { product: "OpenSSH" },
        system: { auth: { ssh: { method: "password" } } },
        labels,
      },
    });
    // 100.64.0.0/10 lies outside internal_networks: each address is an outside peer.
    const outside = (n: number) => `100.64.${Math.floor(n / 250)}.${(n % 250) + 1}`;
    const documents = [
      // hydra: 1500 failed guesses, then the one that got in.
      ...Array.from({ length: 1500 }, (_, n) => login(n, "failure")),
      login(1500, "success"),
      // The agent's history: 1100 outside peers twice each, then 192.0.2.99 once (the least often).
      ...Array.from({ length: 2200 }, (_, n) =>
        flow(
          `history/${n}`,
          at("2026-12-01T10:00:00.000Z", n * 1000),
          [AGENT, 39000],
          [outside(n % 1100), 443],
          "tcp",
        ),
      ),
      flow("history/known", "2026-12-02T10:00:00.000Z", [AGENT, 39001], ["192.0.2.99", 443], "tcp"),
      // After the scan: 2000 of the agent's own queries to the internal resolver, then the callback
      // and a connection to the known outside peer.
      ...Array.from({ length: 2000 }, (_, n) =>
        flow(
          `chatter/${n}`,
          at("2026-12-06T08:01:00.000Z", n * 10),
          [AGENT, 50000 + n],
          ["10.20.0.12", 53],
          "udp",
        ),
      ),
      flow("callback", "2026-12-06T08:02:00.000Z", [AGENT, 39100], [SCANNER, 8443], "tcp"),
      flow("known-peer", "2026-12-06T08:02:01.000Z", [AGENT, 39101], ["192.0.2.99", 443], "tcp"),
      // The scanner's probes answered by 10 050 services of the web server (SYN/ACK back).
      ...Array.from({ length: 10_050 }, (_, n) =>
        flow(
          `probe/${n}`,
          at("2026-12-06T07:59:10.000Z", n),
          [SCANNER, 45000],
          [WEB, n + 1],
          "tcp",
          "...A..S.",
        ),
      ),
    ];

    before(async function () {
      for (let i = 0; i < documents.length; i += 5000)
        await index(backend, busy, documents.slice(i, i + 5000));
    });

    it("counts every login attempt and the accepted one after 1500 failures, and finds the callback behind 2000 internal flows", async function () {
      const events = await gather(busy);
      const found = findPostScanActivity(events, {
        source: SCANNER,
        internalNetworks: context.internal_networks,
        minTransferBytes: context.escalation.post_scan.transfer.min_bytes,
        ephemeralPorts: context.escalation.post_scan.ephemeral_ports,
      });
      expect(found.find((f) => f.kind === "login")?.summary).to.equal(
        `1501 login attempts on ${BASTION} (OpenSSH) as lab: 1500 failed, 1 accepted (lab by password) first at 2026-12-06T08:01:15.000Z`,
      );
      expect(found.find((f) => f.kind === "login")?.evidence[0]?.events).to.equal(1501);
      // 192.0.2.99 is the 1101st peer of the agent's past: still known, so only the callback is new.
      expect(events.baseline.find((b) => b.host === AGENT)?.peers).to.have.length(1101);
      expect(found.filter((f) => f.kind === "outbound").map((f) => f.summary)).to.deep.equal([
        `${AGENT} opened 1 connection to the scanning source ${SCANNER}:8443/tcp`,
      ]);
    });

    it("names every one of 10 050 services that answered", async function () {
      const events = await gather(busy);
      expect(events.answered).to.have.length(10_050);
      expect(new Set(events.answered?.map((a) => a.port)).size).to.equal(10_050);
    });
  });
});
