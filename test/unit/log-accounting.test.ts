import type { estypes } from "@elastic/elasticsearch";
import { expect } from "chai";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "../../harness/backend/backend.js";
import type { StartedLab } from "../../harness/lab/started-lab.js";
import { accountLogSource, describeMissing, PARSE_FAILURE_TAG } from "../../harness/logs/accounting.js";
import type { GroundTruth, WireHttpRequest, WireLogin } from "../../harness/scanners/ground-truth.js";

/**
 * The log accounting (expected versus indexed) against a client that answers counts, signature
 * aggregations and the observed-event composite aggregation the way Elasticsearch does.
 */

const ATTACKER = "198.18.0.10";
const OTHER = "198.18.0.20";
const WEB = "10.20.0.10";

function truth(source: string, probes: GroundTruth["probes"]): GroundTruth {
  return {
    step: 0,
    tool: "nmap",
    command: ["nmap"],
    source,
    startedAt: "2026-11-28T13:00:00.000Z",
    endedAt: "2026-11-28T13:00:10.000Z",
    probes,
    events: [],
    summary: "",
  };
}

interface Index {
  /** Every document's fields, as the composite aggregation would key them. */
  readonly documents: readonly Record<string, string | number>[];
  readonly unparsed: number;
  readonly signatures: Readonly<Record<string, number>>;
}

type Filter = { term?: Record<string, string> };

/** A backend over one index of documents, recording every search and count. */
function backendOver(index: Index): { backend: Backend; requests: unknown[] } {
  const requests: unknown[] = [];
  const filtersOf = (query: estypes.QueryDslQueryContainer | undefined): Filter[] =>
    (query?.bool?.filter ?? []) as Filter[];
  const client = {
    indices: {
      refresh: (request: estypes.IndicesRefreshRequest) => {
        requests.push(request);
        return Promise.resolve({});
      },
    },
    count: (request: estypes.CountRequest) => {
      requests.push(request);
      const failures = filtersOf(request.query).some((f) => f.term?.tags === PARSE_FAILURE_TAG);
      return Promise.resolve({ count: failures ? index.unparsed : index.documents.length });
    },
    search: (request: estypes.SearchRequest) => {
      requests.push(request);
      const aggs = request.aggs ?? {};
      if (aggs.rules) {
        const buckets = Object.entries(index.signatures).map(([key, doc_count]) => ({ key, doc_count }));
        return Promise.resolve({ hits: { hits: [] }, aggregations: { rules: { buckets } } });
      }
      const composite = aggs.keys?.composite;
      if (!composite) throw new Error(`unexpected search ${JSON.stringify(request)}`);
      const from = filtersOf(request.query).find((f) => f.term?.["source.ip"])?.term?.["source.ip"];
      const fields = (composite.sources ?? []).flatMap((s) => Object.keys(s));
      const keys = new Map<string, { key: Record<string, string | number | null>; doc_count: number }>();
      for (const doc of index.documents.filter((d) => d["source.ip"] === from)) {
        const key = Object.fromEntries(fields.map((f) => [f, doc[f] ?? null]));
        const seen = keys.get(JSON.stringify(key));
        keys.set(JSON.stringify(key), { key, doc_count: (seen?.doc_count ?? 0) + 1 });
      }
      // Pages of `size` keys, each with the after_key of its last key, as a composite aggregation pages.
      const all = [...keys.values()];
      const start = composite.after
        ? all.findIndex((b) => JSON.stringify(b.key) === JSON.stringify(composite.after)) + 1
        : 0;
      const buckets = all.slice(start, start + (composite.size ?? 10));
      return Promise.resolve({
        hits: { hits: [] },
        aggregations: {
          keys: { buckets, ...(buckets.length > 0 ? { after_key: buckets.at(-1)?.key } : {}) },
        },
      });
    },
  };
  return { backend: { client } as unknown as Backend, requests };
}

/** A lab whose firewall sensor wrote these lines, split over the sensor's own file and a target's. */
function labWith(lines: readonly string[]): StartedLab {
  const workDir = mkdtempSync(join(tmpdir(), "scanproof-accounting-"));
  const dir = join(workDir, "logs", "firewall");
  mkdirSync(join(dir, "web"), { recursive: true });
  const half = Math.ceil(lines.length / 2);
  writeFileSync(join(dir, "firewall.json"), lines.slice(0, half).join("\n"));
  writeFileSync(join(dir, "web", "firewall.json"), lines.slice(half).join("\n"));
  return { runId: "run-1", scenarioId: "unit", logDir: join(workDir, "logs") } as unknown as StartedLab;
}

const probe = (port: number, sourcePort?: number) => ({
  destination: WEB,
  transport: "tcp" as const,
  port,
  ...(sourcePort === undefined ? {} : { sourcePort }),
});
const doc = (from: string, port: number, sourcePort = 40_000) => ({
  "source.ip": from,
  "source.port": sourcePort,
  "destination.ip": WEB,
  "destination.port": port,
  "network.transport": "tcp",
});

describe("log accounting", function () {
  const truths = [truth(ATTACKER, [probe(22), probe(80), probe(443, 51_515)]), truth(OTHER, [probe(8080)])];

  it("counts a request on the wire as arrived when nginx logged it, or logged its connection with no target (a request it refused to parse)", async function () {
    const request = (uri: string, sourcePort: number): WireHttpRequest => ({
      source: ATTACKER,
      sourcePort,
      destination: WEB,
      port: 80,
      method: "GET",
      uri,
      host: WEB,
      loggedBy: "web",
    });
    const captured: GroundTruth = {
      ...truth(ATTACKER, []),
      wire: {
        capture: { file: "/x.pcap", packets: 9, dropped: 0, bytes: 900, bounded: false, cut: 0 },
        probes: [],
        localFlows: 0,
        http: [request("/ok", 40_001), request("/%00", 40_002), request("/lost", 40_003)],
        dns: [],
        logins: [],
        toolClaims: 0,
        claimsOnWire: 0,
        unseenClaims: [],
      },
    };
    const logged = { "source.ip": ATTACKER, "destination.ip": WEB };
    const documents = [
      {
        ...logged,
        "source.port": 40_001,
        "http.request.method": "GET",
        "url.original": "/ok",
        "url.domain": WEB,
      },
      { ...logged, "source.port": 40_002, "url.original": "" },
      {
        ...logged,
        "source.port": 40_003,
        "http.request.method": "GET",
        "url.original": "/other",
        "url.domain": WEB,
      },
    ];
    const { backend } = backendOver({ documents, unparsed: 0, signatures: {} });
    const report = await accountLogSource(backend, labWith([]), "web", [captured], 0);
    expect({ expected: report.expectedEvents, seen: report.seenEvents }).to.deep.equal({
      expected: 3,
      seen: 2,
    });
    expect(report.missing).to.deep.equal([
      `destination.ip=${WEB} http.request.method=GET url.original=/lost url.domain=${WEB}`,
    ]);
  });

  it("needs a record of its own for each of n equal logins a service logs without a client port (vsftpd)", async function () {
    const FTP = "10.20.0.13";
    const login = (sourcePort: number, user: string): WireLogin => ({
      service: "ftp",
      source: ATTACKER,
      sourcePort,
      destination: FTP,
      port: 21,
      client: `PASS ${user}`,
      user,
      loggedBy: "auth",
    });
    const captured: GroundTruth = {
      ...truth(ATTACKER, []),
      wire: {
        capture: { file: "/x.pcap", packets: 9, dropped: 0, bytes: 900, bounded: false, cut: 0 },
        probes: [],
        localFlows: 0,
        http: [],
        dns: [],
        logins: [login(40_001, "lab"), login(40_001, "lab"), login(40_002, "lab"), login(40_003, "ftp")],
        toolClaims: 0,
        claimsOnWire: 0,
        unseenClaims: [],
      },
    };
    const record = (user: string) => ({
      "source.ip": ATTACKER,
      "destination.ip": FTP,
      "event.action": user === "ftp" ? "ftp_anonymous_login" : "ftp_login",
      "user.name": user,
    });
    const accounted = async (documents: Record<string, string>[]) => {
      const { backend } = backendOver({ documents, unparsed: 0, signatures: {} });
      const report = await accountLogSource(backend, labWith([]), "auth", [captured], 0);
      return { expected: report.expectedEvents, seen: report.seenEvents, missing: report.missing };
    };
    const missingLab = `destination.ip=${FTP} event.action=ftp_login user.name=lab`;
    expect(await accounted([record("lab"), record("lab"), record("ftp")])).to.deep.equal({
      expected: 4,
      seen: 3,
      missing: [missingLab],
    });
    expect(
      await accounted([record("lab"), record("lab"), record("lab"), record("lab"), record("ftp")]),
    ).to.deep.equal({ expected: 4, seen: 4, missing: [] });
  });

  it("counts each expected event once per host it came from, and names the missing ones", async function () {
    const documents = [
      doc(ATTACKER, 22),
      doc(ATTACKER, 22, 40_001),
      doc(ATTACKER, 443, 51_515),
      doc(OTHER, 8080),
    ];
    const lines = ["{}", "{}", "", "{}", "\0\0", " \t", "{}"];
    const { backend } = backendOver({ documents, unparsed: 1, signatures: { "9101001": 2 } });
    const report = await accountLogSource(backend, labWith(lines), "firewall", truths, 1234);
    expect(report).to.deep.equal({
      source: "firewall",
      index: "scanproof-firewall",
      signatures: { "9101001": 2 },
      sensorRecords: 4,
      indexed: 4,
      parseFailures: 1,
      expectedEvents: 4,
      seenEvents: 3,
      missing: [`${WEB}/tcp:80`],
      ingestWaitMs: 1234,
    });
  });

  it("does not count an event seen from another host, nor one with another source port", async function () {
    const documents = [doc(OTHER, 22), doc(ATTACKER, 80), doc(ATTACKER, 443, 51_516), doc(ATTACKER, 8080)];
    const { backend } = backendOver({ documents, unparsed: 0, signatures: {} });
    const report = await accountLogSource(backend, labWith(["{}"]), "firewall", truths, 0);
    expect(report.missing).to.deep.equal([
      `${WEB}/tcp:22`,
      `${WEB}/tcp:443 from port 51515`,
      `${WEB}/tcp:8080`,
    ]);
    expect(report.seenEvents).to.equal(1);
  });

  it("counts no sensor record for a source whose sensor wrote no folder", async function () {
    const { backend } = backendOver({ documents: [], unparsed: 0, signatures: {} });
    const lab = { runId: "run-1", scenarioId: "unit", logDir: mkdtempSync(join(tmpdir(), "scanproof-")) };
    const report = await accountLogSource(backend, lab as unknown as StartedLab, "firewall", [], 0);
    expect(report).to.include({ sensorRecords: 0, expectedEvents: 0, seenEvents: 0 });
  });

  it("shows at most 20 missing events and says when there are more", async function () {
    const many = [
      truth(
        ATTACKER,
        Array.from({ length: 25 }, (_, i) => probe(i + 1)),
      ),
    ];
    const { backend } = backendOver({ documents: [], unparsed: 0, signatures: {} });
    const report = await accountLogSource(backend, labWith([]), "firewall", many, 0);
    expect(report).to.include({ expectedEvents: 25, seenEvents: 0, sensorRecords: 0 });
    expect(report.missing).to.have.lengthOf(20);
    expect(describeMissing(report)).to.match(/^missing 10\.20\.0\.10\/tcp:1, .*10\.20\.0\.10\/tcp:20, …$/);
    expect(describeMissing({ ...report, expectedEvents: 20 })).to.not.include("…");
  });

  it("confines every count and search to the scenario, and asks for each event's exact fields", async function () {
    const { backend, requests } = backendOver({
      documents: [doc(ATTACKER, 22)],
      unparsed: 0,
      signatures: {},
    });
    await accountLogSource(backend, labWith(["{}"]), "firewall", [truth(ATTACKER, [probe(22)])], 0);
    const scope = [
      { term: { "labels.scanproof_run_id": "run-1" } },
      { term: { "labels.scanproof_scenario": "unit" } },
    ];
    for (const request of requests) {
      // A scenario whose sensor index does not exist yet counts zero, never fails.
      expect(request).to.include({
        index: "scanproof-firewall",
        ignore_unavailable: true,
        allow_no_indices: true,
      });
      const query = (request as estypes.SearchRequest).query;
      if (query) expect(query.bool?.filter).to.deep.include.members(scope);
    }
    expect(requests.filter((r) => !(r as estypes.SearchRequest).query)).to.have.lengthOf(2);
    const keys = requests.find((r) => (r as estypes.SearchRequest).aggs?.keys) as estypes.SearchRequest;
    expect(keys.query?.bool?.filter).to.deep.include({ term: { "source.ip": ATTACKER } });
    expect(keys.aggs?.keys?.composite?.sources).to.deep.equal([
      { "destination.ip": { terms: { field: "destination.ip", missing_bucket: true } } },
      { "destination.port": { terms: { field: "destination.port", missing_bucket: true } } },
      { "network.transport": { terms: { field: "network.transport", missing_bucket: true } } },
    ]);
    const signatures = requests.find(
      (r) => (r as estypes.SearchRequest).aggs?.rules,
    ) as estypes.SearchRequest;
    expect(signatures.query?.bool?.filter).to.deep.include({ term: { "event.kind": "alert" } });
    expect(signatures.aggs?.rules).to.deep.equal({ terms: { field: "rule.id", size: 1000 } });
  });
});
