import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadContext, type EscalationContext } from "../../harness/context/context.js";
import { placeInventory } from "../../harness/context/inventory.js";
import { assertionsDir } from "../../harness/core/paths.js";
import { escalate } from "../../harness/escalation/escalate.js";
import {
  flowEvent,
  loginEvent,
  webRequest,
  type AuthDocument,
  type FlowDocument,
  type StoredHit,
  type WebDocument,
} from "../../harness/escalation/gather-post-scan.js";
import type {
  AnsweredService,
  FlowEvent,
  PostScanEvents,
} from "../../harness/escalation/post-scan-events.js";
import { findPostScanActivity, pathFound, type PostScanFinding } from "../../harness/escalation/post-scan.js";
import { reviewAssets } from "../../harness/escalation/asset-review.js";
import { factsFixture } from "./escalation-fixtures.js";
import { fixture } from "./fixture-helpers.js";

const SCANNER = "198.18.0.10";
const WEB = "10.20.0.10";
const BASTION = "10.20.0.11";
const AGENT = "10.20.0.30";
const MiB = 1_048_576;

const context = (): EscalationContext => loadContext(join(assertionsDir, "context", "default.yaml"));

function recorded<T>(name: string): StoredHit<T>[] {
  return JSON.parse(readFileSync(fixture("post-scan", name), "utf8")) as StoredHit<T>[];
}

const logins = (name: string) => recorded<AuthDocument>(`${name}.auth.json`).map(loginEvent);
const flows = () => recorded<FlowDocument>("after-the-scan.flow.json").map(flowEvent);
const requests = () => recorded<WebDocument>("web-follow-up.web.json").map(webRequest);
const connections = () => recorded<FlowDocument>("follow-up.flow.json").map(flowEvent);

function events(over: Partial<PostScanEvents>): PostScanEvents {
  return {
    window: { gte: "2026-12-06T07:59:00.000Z", lte: "2026-12-07T08:00:00.000Z" },
    scanEnd: "2026-12-06T08:00:00.000Z",
    scanned: [WEB, BASTION, AGENT],
    logins: [],
    flows: [],
    baseline: [],
    requests: [],
    webScanned: [],
    connections: [],
    ...over,
  };
}

function find(over: Partial<PostScanEvents>, minTransferBytes = MiB): PostScanFinding[] {
  return findPostScanActivity(events(over), {
    source: SCANNER,
    internalNetworks: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
    minTransferBytes,
    ephemeralPorts: context().escalation.post_scan.ephemeral_ports,
  });
}

const kinds = (found: readonly PostScanFinding[]) => found.map((f) => `${f.kind} ${f.host}`);

describe("post-scan activity on recorded events", () => {
  describe("logins from the scanning source", () => {
    it("finds hydra's failed guesses and the accepted login, with the auth documents as evidence", () => {
      const found = find({ logins: logins("hydra-then-login") });
      expect(kinds(found)).to.deep.equal([`login ${BASTION}`]);
      const [login] = found;
      expect(login?.summary).to.equal(
        `12 login attempts on ${BASTION} (OpenSSH) as lab, oracle: 11 failed, 1 accepted (lab by password) first at 2026-12-06T08:00:21.300000+00:00`,
      );
      expect(login?.evidence).to.deep.equal([
        {
          index: "scanproof-auth",
          ids: [0, 180, 360, 540, 720].map((o) => `run-1/post-scan/logs/auth/ssh/auth.json/${o}`),
          events: 12,
          firstSeen: "2026-12-06T08:00:10.100000+00:00",
          lastSeen: "2026-12-06T08:00:22.000000+00:00",
        },
      ]);
    });

    it("counts failed attempts alone as a login finding: guessing is already beyond reconnaissance", () => {
      const failedOnly = logins("hydra-then-login").filter((l) => l.outcome === "failure");
      const [login] = find({ logins: failedOnly });
      expect(login?.summary).to.match(/11 login attempts .*: 11 failed, none accepted$/);
    });

    it("finds vsftpd's failed and accepted logins the same way: the service that logged them named", () => {
      const FTP = "10.20.0.13";
      const ftp = recorded<AuthDocument & { event?: { category?: string[] } }>(
        "ftp-guess-then-login.auth.json",
      )
        // What the gather reads: authentication events, not vsftpd's other messages.
        .filter((h) => h._source?.event?.category?.includes("authentication"))
        .map(loginEvent);
      expect(ftp.map((l) => [l.action, l.outcome, l.user, l.service, l.destinationPort])).to.deep.equal([
        ["ftp_login", "failure", "lab", "vsftpd", 21],
        ["ftp_login", "failure", "lab", "vsftpd", 21],
        ["ftp_login", "success", "lab", "vsftpd", 21],
      ]);
      const found = find({ logins: ftp, scanned: [FTP] });
      expect(found.map((f) => [f.kind, f.host, f.summary])).to.deep.equal([
        [
          "login",
          FTP,
          `3 login attempts on ${FTP} (vsftpd) as lab: 2 failed, 1 accepted (lab) first at 2026-12-06T08:00:34.000000+00:00`,
        ],
      ]);
      const anonymous = ftp.map((l) => ({ ...l, action: "ftp_anonymous_login", user: "anonymous" }));
      expect(
        find({ logins: anonymous, scanned: [FTP] }).filter((f) => f.kind === "login"),
        "anonymous FTP, as nmap's ftp-anon tries it, is no login",
      ).to.deep.equal([]);
      // The FTP sessions' connections are the login finding's, not a follow-up of the service.
      const session: FlowEvent = {
        index: "scanproof-flow",
        id: "ftp-session",
        at: "2026-12-06T08:00:30.000Z",
        source: SCANNER,
        sourcePort: 45100,
        destination: FTP,
        destinationPort: 21,
        transport: "tcp",
        tcpFlags: "...AP.SF",
        replyFlags: "...AP.SF",
        sourceBytes: 300,
        destinationBytes: 600,
        destinationPackets: 8,
      };
      const answered = [
        {
          host: FTP,
          port: 21,
          transport: "tcp" as const,
          index: "scanproof-flow",
          id: "a",
          at: "2026-12-06T07:59:30.000Z",
        },
      ];
      expect(kinds(find({ logins: ftp, scanned: [FTP], answered, connections: [session] }))).to.deep.equal([
        `login ${FTP}`,
      ]);
      expect(
        kinds(find({ logins: anonymous, scanned: [FTP], answered, connections: [session] })),
        "an anonymous session is no login, so the service's use is a follow-up",
      ).to.deep.equal([`follow-up ${FTP}`]);
      expect(kinds(find({ scanned: [FTP], answered, connections: [session] }))).to.deep.equal([
        `follow-up ${FTP}`,
      ]);
    });

    it("finds PostgreSQL's failed passwords and authorised connection, with the users tried", () => {
      const DB = "10.20.0.14";
      const db = recorded<AuthDocument & { event?: { category?: string[] } }>("db-guess-then-login.auth.json")
        .filter((h) => h._source?.event?.category?.includes("authentication"))
        .map(loginEvent);
      expect(db.map((l) => [l.outcome, l.user, l.service, l.sourcePort])).to.deep.equal([
        ["failure", "postgres", "PostgreSQL", 40900],
        ["failure", "lab", "PostgreSQL", 40910],
        ["success", "lab", "PostgreSQL", 40920],
      ]);
      expect(find({ logins: db, scanned: [DB] }).map((f) => f.summary)).to.deep.equal([
        `3 login attempts on ${DB} (PostgreSQL) as postgres, lab: 2 failed, 1 accepted (lab) first at 2026-12-06T08:00:42.300000+00:00`,
      ]);
    });

    it("finds login(1)'s failed and accepted Telnet logins, an unknown user as login names it", () => {
      const TEL = "10.20.0.15";
      const telnet = recorded<AuthDocument & { event?: { category?: string[] } }>(
        "telnet-guess-then-login.auth.json",
      )
        .filter((h) => h._source?.event?.category?.includes("authentication"))
        .map(loginEvent);
      expect(find({ logins: telnet, scanned: [TEL] }).map((f) => f.summary)).to.deep.equal([
        `3 login attempts on ${TEL} (telnetd) as UNKNOWN, lab: 2 failed, 1 accepted (lab) first at 2026-12-06T08:01:03.000000+00:00`,
      ]);
    });

    it("finds Samba's failed and accepted session setups, whatever NT status the failure had", () => {
      const SMB = "10.20.0.16";
      const smb = recorded<AuthDocument>("smb-guess-then-login.auth.json").map(loginEvent);
      expect(find({ logins: smb, scanned: [SMB] }).map((f) => f.summary)).to.deep.equal([
        `3 login attempts on ${SMB} (Samba) as administrator, lab: 2 failed, 1 accepted (lab) first at 2026-12-06T08:01:02.000000+00:00`,
      ]);
    });

    it("ignores an administrator's login from elsewhere and logins to hosts the source did not scan", () => {
      expect(find({ logins: logins("admin-login") })).to.deep.equal([]);
      expect(find({ logins: logins("hydra-then-login"), scanned: [WEB] })).to.deep.equal([]);
    });
  });

  describe("connections the scanned hosts opened", () => {
    it("finds the callback to the scanner and a connection to a new outside address, nothing else", () => {
      const found = find({
        flows: flows(),
        baseline: [{ host: AGENT, largestTransfer: 0, peers: ["192.0.2.80"] }],
      }).filter((f) => f.kind === "outbound");
      expect(found).to.have.length(1);
      expect(found[0]?.summary).to.equal(
        `${AGENT} opened 2 connections to the scanning source ${SCANNER}:8443/tcp, 192.0.2.99:443/tcp`,
      );
      expect(found[0]?.evidence[0]?.ids).to.deep.equal([
        "run-1/post-scan/logs/flow/flow.json/1600",
        "run-1/post-scan/logs/flow/flow.json/3200",
      ]);
    });

    it("takes an outside peer the host connected to in its history as no finding, and a new one as one", () => {
      const outside = flows().filter((f) => f.destination.startsWith("192.0.2."));
      expect(kinds(find({ flows: outside }))).to.deep.equal([`outbound ${AGENT}`]);
      const known = [{ host: AGENT, largestTransfer: 0, peers: ["192.0.2.80", "192.0.2.99"] }];
      expect(find({ flows: outside, baseline: known })).to.deep.equal([]);
    });

    it("takes a connection to the scanner the host also opened in its history as nothing new", () => {
      const callback = flows().filter((f) => f.destinationPort === 8443);
      expect(kinds(find({ flows: callback }))).to.deep.equal([`outbound ${AGENT}`]);
      const known = [{ host: AGENT, largestTransfer: 0, peers: [SCANNER] }];
      expect(find({ flows: callback, baseline: known })).to.deep.equal([]);
    });

    it("does not take a host's unanswered SYN/ACK to a probe for a connection it opened", () => {
      const synAck = flows().filter((f) => f.sourcePort === 4444);
      expect(synAck).to.have.length(1);
      expect(find({ flows: synAck })).to.deep.equal([]);
    });
  });

  describe("UDP flows: who opened them", () => {
    const udp = (
      source: string,
      sourcePort: number,
      destination: string,
      destinationPort: number,
      destinationPackets: number,
    ): FlowEvent => ({
      index: "scanproof-flow",
      id: `${source}:${sourcePort}>${destination}:${destinationPort}`,
      at: "2026-12-06T08:01:00.000Z",
      source,
      sourcePort,
      destination,
      destinationPort,
      transport: "udp",
      sourceBytes: 300,
      destinationBytes: destinationPackets * 100,
      destinationPackets,
    });

    it("takes a one-sided reply of a service on a high port to the scanner's port for no connection the host opened", () => {
      // SSDP, mDNS, SIP and memcached answering a probe the sensor did not pair (a multicast query,
      // or a request exported in another batch): source port the service's, destination the scanner's.
      for (const service of [1900, 5353, 5060, 11211])
        expect(find({ flows: [udp(AGENT, service, SCANNER, 45678, 0)] }), `${service}`).to.deep.equal([]);
      // A reply to a probe sent from a low source port (nmap -g 53): the service port is not ephemeral.
      expect(find({ flows: [udp(AGENT, 11211, SCANNER, 53, 0)] })).to.deep.equal([]);
    });

    it("takes a one-sided flow from an ephemeral port to a lower port, and any answered flow the host sent first, as opened", () => {
      expect(kinds(find({ flows: [udp(AGENT, 45678, SCANNER, 53, 0)] }))).to.deep.equal([
        `outbound ${AGENT}`,
      ]);
      expect(kinds(find({ flows: [udp(AGENT, 5353, SCANNER, 45678, 2)] }))).to.deep.equal([
        `outbound ${AGENT}`,
      ]);
      expect(find({ flows: [udp(AGENT, 45678, SCANNER, 50000, 0)] })).to.deep.equal([]);
    });
  });

  describe("transfers to the scanning source", () => {
    it("finds the 8 MiB pull by the scanner, not the brochure nor the administrator's download", () => {
      const found = find({ flows: flows() }).filter((f) => f.kind === "exfiltration");
      expect(kinds(found)).to.deep.equal([`exfiltration ${WEB}`]);
      expect(found[0]?.summary).to.match(/^10\.20\.0\.10 sent 8\.0 MiB to 198\.18\.0\.10 in 1 connection /);
      expect(found[0]?.evidence[0]).to.include({ index: "scanproof-flow", events: 1 });
    });

    it("takes the threshold as the least bytes in one connection: 1 byte below it is no transfer", () => {
      const pull = flows().filter((f) => f.id.endsWith("/400"));
      expect(kinds(find({ flows: pull }, 8_390_000))).to.deep.equal([`exfiltration ${WEB}`]);
      expect(find({ flows: pull }, 8_390_001)).to.deep.equal([]);
    });

    it("does not flag a transfer no larger than the host's largest one in its history", () => {
      const pull = flows().filter((f) => f.id.endsWith("/400"));
      const baseline = (largestTransfer: number) => [{ host: WEB, largestTransfer, peers: [] }];
      expect(find({ flows: pull, baseline: baseline(8_390_000) })).to.deep.equal([]);
      expect(kinds(find({ flows: pull, baseline: baseline(8_389_999) }))).to.deep.equal([
        `exfiltration ${WEB}`,
      ]);
    });
  });

  describe("the source coming back for what the scan found", () => {
    // The scan: 07:59:00 to 08:00:00 (events' scanEnd). Its web requests found /index.html (200),
    // /health (200), /private (403), /login (401) and /old (301) on the web server.
    const followUps = (over: Partial<PostScanEvents> = {}) =>
      find({ requests: requests(), webScanned: [{ host: WEB, port: 80 }], ...over }).filter(
        (f) => f.kind === "follow-up",
      );
    const ids = (found: readonly PostScanFinding[]) =>
      found.flatMap((f) => f.evidence.flatMap((e) => e.ids)).map((id) => id.replace(/^.*\//, ""));

    it("takes 2xx, 3xx, 401 and 403 for a path the scan found, and 404, 400, 405 and 5xx for none", () => {
      for (const status of [200, 204, 301, 302, 307, 401, 403])
        expect(pathFound(status), `${status}`).to.equal(true);
      for (const status of [400, 404, 405, 410, 500, 503])
        expect(pathFound(status), `${status}`).to.equal(false);
    });

    it("finds requests after the scan to found paths, any method, the query string aside", () => {
      const found = followUps();
      expect(kinds(found)).to.deep.equal([`follow-up ${WEB}`]);
      // 12: /health?probe=1, 14: POST /private, 18: /health again; not 11 (at the scan's last
      // event), 13 (/admin was 404), 15 (another source), 16 (another host), 17 (/api was 405).
      expect(ids(found)).to.deep.equal(["2400", "2800", "3600"]);
      expect(found[0]?.summary).to.equal(
        `${SCANNER} used what the scan found on ${WEB}: path /health (found 2026-12-06T07:59:12+00:00, 200) requested 2 times from 2026-12-06T08:00:05+00:00; path /private (found 2026-12-06T07:59:13+00:00, 403) requested at 2026-12-06T08:00:07+00:00`,
      );
      expect(found[0]?.evidence).to.deep.equal([
        {
          index: "scanproof-web",
          ids: ["2400", "2800", "3600"].map((o) => `run-1/post-scan/logs/web/web/web.json/${o}`),
          events: 3,
          firstSeen: "2026-12-06T08:00:05+00:00",
          lastSeen: "2026-12-06T08:00:11+00:00",
        },
      ]);
    });

    it("takes nothing the scan did not find: a path found before the scan began, or only after its end", () => {
      // The scan beginning after /index.html and the first /health were found: /health still counts,
      // found again by the request at the scan's last event (at its end is still the scan).
      expect(
        followUps({ window: { gte: "2026-12-06T07:59:12.500Z", lte: "2026-12-07T08:00:00.000Z" } }).map(
          (f) => f.summary,
        ),
      ).to.deep.equal([
        `${SCANNER} used what the scan found on ${WEB}: path /health (found 2026-12-06T08:00:00+00:00, 200) requested 2 times from 2026-12-06T08:00:05+00:00; path /private (found 2026-12-06T07:59:13+00:00, 403) requested at 2026-12-06T08:00:07+00:00`,
      ]);
      // The scan ending before /health answered: /health was found after it, so its later requests
      // are no follow-up of this scan (and /index.html, found in time, was not asked for again).
      expect(followUps({ scanEnd: "2026-12-06T07:59:11.500Z" })).to.deep.equal([]);
    });

    it("takes nothing from the scan's own requests or from another source", () => {
      const scanOnly = requests().filter((r) => Date.parse(r.at) <= Date.parse("2026-12-06T08:00:00Z"));
      expect(followUps({ requests: scanOnly })).to.deep.equal([]);
      expect(
        find({ requests: requests(), webScanned: [{ host: WEB, port: 80 }] }).filter(
          (f) => f.kind !== "follow-up",
        ),
      ).to.deep.equal([]);
    });

    const answered = (host: string, port: number, transport: "tcp" | "udp", at: string): AnsweredService => ({
      host,
      port,
      transport,
      index: "scanproof-flow",
      id: `${host}:${port}`,
      at,
    });
    const services = [
      answered(WEB, 80, "tcp", "2026-12-06T07:59:05.000Z"),
      answered(WEB, 8080, "tcp", "2026-12-06T07:59:20.000Z"),
      answered(WEB, 161, "udp", "2026-12-06T07:59:25.000Z"),
      answered(WEB, 9000, "tcp", "2026-12-06T08:01:10.000Z"),
      answered(BASTION, 22, "tcp", "2026-12-06T07:59:30.000Z"),
    ];

    it("finds completed connections after the scan to services that answered it, with data both ways", () => {
      const found = followUps({ requests: [], answered: services, connections: connections() });
      expect(kinds(found)).to.deep.equal([`follow-up ${WEB}`, `follow-up ${BASTION}`]);
      // 200: 8080 after the scan; 800: 161/udp answered. Not 100 (during the scan), 300 (a bare
      // handshake), 400 (a banner read, nothing sent), 500 (9000 answered only after the scan), 700
      // (port 80: the scan sent it web requests, its paths judge it), 900 (no answer), 1000 (another source).
      expect(ids(found.slice(0, 1))).to.deep.equal(["200", "800"]);
      expect(found[0]?.summary).to.equal(
        `${SCANNER} used what the scan found on ${WEB}: service 8080/tcp (answered 2026-12-06T07:59:20.000Z) used in 1 connection from 2026-12-06T08:01:00.000Z; service 161/udp (answered 2026-12-06T07:59:25.000Z) used in 1 connection from 2026-12-06T08:01:40.000Z`,
      );
      expect(ids(found.slice(1))).to.deep.equal(["600"]);
    });

    it("leaves a service the source logged in to to the login finding, and one the scan sent web requests to to its paths", () => {
      const found = find({
        answered: services,
        connections: connections(),
        logins: logins("hydra-then-login"),
      });
      expect(kinds(found)).to.deep.equal([`follow-up ${WEB}`, `login ${BASTION}`]);
      const withoutWebRequests = find({ answered: services, connections: connections() });
      expect(ids(withoutWebRequests.filter((f) => f.host === WEB))).to.deep.equal(["200", "700", "800"]);
    });

    it("names paths and services together, the requests and connections each in their index", () => {
      const [found] = followUps({ answered: services, connections: connections() });
      expect(found?.evidence.map((e) => [e.index, e.events])).to.deep.equal([
        ["scanproof-web", 3],
        ["scanproof-flow", 2],
      ]);
    });
  });

  describe("escalation", () => {
    it("raises each kind with its own reason, naming the index and document ids", () => {
      const ctx = context();
      const facts = factsFixture("nmap-syn-top1000", {
        postScan: events({ logins: logins("hydra-then-login"), flows: flows() }),
      });
      const result = escalate(facts, ctx, placeInventory(ctx.assets, [{ name: "web", address: WEB }]));
      expect(result.tier).to.equal("tier2");
      const reasons = new Map(result.reasons.map((r) => [r.code, r.message]));
      expect([...reasons.keys()].filter((c) => c.startsWith("post-scan-"))).to.deep.equal([
        "post-scan-login",
        "post-scan-outbound",
        "post-scan-exfiltration",
      ]);
      expect(reasons.get("post-scan-login")).to.include(
        "[evidence: scanproof-auth run-1/post-scan/logs/auth/ssh/auth.json/0,",
      );
      expect(reasons.get("post-scan-exfiltration")).to.include(
        "scanproof-flow run-1/post-scan/logs/flow/flow.json/400, 2026-12-06T08:02:00.100Z",
      );
      expect(result.enrichment.postScan.map((f) => f.kind)).to.deep.equal([
        "exfiltration",
        "login",
        "outbound",
      ]);
    });

    it("raises post-scan-follow-up for requests to a found path, naming the web documents", () => {
      const ctx = context();
      const facts = factsFixture("nmap-syn-top1000", {
        postScan: events({ requests: requests(), webScanned: [{ host: WEB, port: 80 }] }),
      });
      const result = escalate(facts, ctx, placeInventory(ctx.assets, [{ name: "web", address: WEB }]));
      const reason = result.reasons.find((r) => r.code === "post-scan-follow-up");
      expect(reason?.message).to.match(
        /^after the scan \(within 1 day of its last event\) it came back for paths or services the scan found: 198\.18\.0\.10 used what the scan found on 10\.20\.0\.10: path \/health .*\[evidence: scanproof-web run-1\/post-scan\/logs\/web\/web\/web\.json\/2400, /,
      );
      expect(result.tier).to.equal("tier2");
    });

    it("gives a scan followed by nothing, an admin's login and ordinary downloads none of them", () => {
      const ctx = context();
      const benign = flows().filter((f) => f.source === "10.30.0.40" || f.id.endsWith("/800"));
      const facts = factsFixture("nmap-syn-top1000", {
        postScan: events({ logins: logins("admin-login"), flows: benign }),
      });
      const result = escalate(facts, ctx, placeInventory(ctx.assets, [{ name: "web", address: WEB }]));
      expect(result.reasons.map((r) => r.code).filter((c) => c.startsWith("post-scan-"))).to.deep.equal([]);
      expect(result.enrichment.postScan).to.deep.equal([]);
    });
  });

  describe("asset review", () => {
    const ctx = context();
    const inventory = placeInventory(ctx.assets, [
      { name: "web", address: WEB },
      { name: "ssh", address: BASTION },
    ]);
    const answer = (host: string, port: number, id: string) => ({
      host,
      port,
      transport: "tcp" as const,
      index: "scanproof-flow",
      id,
      at: "2026-12-06T07:59:30.000Z",
    });

    it("holds what answered against the inventory: declared with its CVEs, undeclared with the rule that closes it", () => {
      const [bastion, web, agent] = reviewAssets(
        [BASTION, WEB, AGENT],
        [
          answer(BASTION, 22, "f1"),
          answer(WEB, 80, "f2"),
          answer(WEB, 8080, "f3"),
          answer(AGENT, 4444, "f4"),
        ],
        inventory,
        find({ logins: logins("hydra-then-login") }),
      );
      expect(bastion).to.deep.include({
        host: BASTION,
        asset: { name: "ssh-bastion", criticality: "critical" },
        silentDeclared: [],
        postScan: ["login"],
      });
      expect(bastion?.answered?.[0]).to.deep.include({
        port: 22,
        declared: true,
        product: "OpenSSH",
        cves: ["CVE-2023-48795", "CVE-2024-6387"],
      });
      expect(web?.answered?.map((s) => [s.port, s.declared, s.closeRule])).to.deep.equal([
        [80, true, undefined],
        [
          8080,
          false,
          `nft insert rule inet filter forward ip daddr ${WEB} tcp dport 8080 ct state new counter drop`,
        ],
      ]);
      expect(agent).to.not.have.property("asset");
      expect(agent?.answered?.[0]?.declared).to.equal(false);
    });

    it("names declared services that stayed silent, and says nothing of what answered without connection records", () => {
      const [bastion] = reviewAssets([BASTION], [], inventory, []);
      expect(bastion?.answered).to.deep.equal([]);
      expect(bastion?.silentDeclared).to.deep.equal(["22/tcp"]);
      const [unknown] = reviewAssets([BASTION], undefined, inventory, []);
      expect(unknown).to.not.have.property("answered");
      expect(unknown?.silentDeclared).to.deep.equal([]);
    });
  });
});
