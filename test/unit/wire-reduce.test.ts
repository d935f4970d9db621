import { expect } from "chai";
import { readFileSync } from "node:fs";
import { parseCaptureStop, CAPTURE_BOUNDS } from "../../harness/lab/wire-capture.js";
import {
  expectedEvents,
  wireFindings,
  type GroundTruth,
  type WireTruth,
} from "../../harness/scanners/ground-truth.js";
import {
  checkToolClaims,
  crossesFirewall,
  reduceWire,
  tcpFlagLetters,
  wireTruth,
  type WireReduction,
  type WireScope,
} from "../../harness/scanners/wire-reduce.js";
import { fixture } from "./fixture-helpers.js";

/**
 * The reduction of a step's capture, over `wire-capture fields` output recorded in the lab
 * (test/fixtures/wire/*.tsv, each beside the pcap it was read from).
 */

const recorded = (name: string): WireReduction =>
  reduceWire(readFileSync(fixture("wire", `${name}.tsv`), "utf8"));

const ATTACKER = "198.18.0.10";
const WEB = "10.20.0.10";
const DNS = "10.20.0.12";

const OUTSIDE_SCOPE: WireScope = {
  ownSegment: "198.18.0.0/24",
  behindFirewall: ["10.20.0.0/24", "10.30.0.0/24"],
  firewall: ["198.18.0.1", "10.20.0.1", "10.30.0.1"],
  services: [
    { address: WEB, transport: "tcp", port: 80, source: "web" },
    { address: DNS, transport: "udp", port: 53, source: "dns" },
    { address: DNS, transport: "tcp", port: 53, source: "dns" },
  ],
};

const STATS = { file: "/x.pcap", packets: 1, dropped: 0, bytes: 1, bounded: false };
const NO_CLAIMS = { toolClaims: 0, claimsOnWire: 0, unseenClaims: [] };

function captured(wire: WireTruth, source = ATTACKER): GroundTruth {
  return {
    step: 0,
    tool: "command",
    command: [],
    source,
    startedAt: "",
    endedAt: "",
    probes: [],
    events: [],
    summary: "",
    wire,
  };
}

const shape = (p: { destination: string; protocol: number; port?: number; tcpFlags?: string }) =>
  `${p.destination} ${p.protocol}:${p.port ?? ""}${p.tcpFlags === undefined ? "" : ` ${p.tcpFlags}`}`;

describe("wire reduction (recorded captures)", function () {
  describe("a SYN scan of 150 ports hidden among two decoys (nmap -sS -D)", function () {
    const wire = recorded("syn-scan-decoys");

    it("has one SYN per port from the scanner and from each decoy address the packets carried", function () {
      expect(wire.flows).to.have.length(450);
      for (const source of [ATTACKER, "198.18.0.20", "198.18.0.21"]) {
        const ports = wire.flows.filter((f) => f.source === source).map((f) => f.port);
        expect(new Set(ports).size, source).to.equal(150);
        expect(Math.min(...(ports as number[])), source).to.equal(1);
        expect(Math.max(...(ports as number[])), source).to.equal(150);
      }
      expect(new Set(wire.flows.map((f) => `${f.destination} ${f.protocol} ${f.tcpFlags}`))).to.deep.equal(
        new Set([`${WEB} 6 S`]),
      );
    });

    it("folds the kernel's reset after an answered SYN into that SYN's flow, and counts no reply as a probe", function () {
      const open = wire.flows.find((f) => f.source === ATTACKER && f.port === 80);
      expect(open?.packets).to.be.greaterThan(1);
      expect(wire.flows.every((f) => f.source !== WEB)).to.equal(true);
    });

    it("expects every decoy's probes at the firewall from the decoy's own address, with both ports", function () {
      const truth = wireTruth(wire, OUTSIDE_SCOPE, STATS, NO_CLAIMS);
      const events = expectedEvents([captured(truth)], "firewall");
      expect(events).to.have.length(450);
      expect(new Set(events.map((e) => e.from))).to.deep.equal(
        new Set([ATTACKER, "198.18.0.20", "198.18.0.21"]),
      );
      expect(Object.keys(events[0]?.fields ?? {}).sort()).to.deep.equal([
        "destination.ip",
        "destination.port",
        "network.transport",
        "source.port",
      ]);
    });
  });

  describe("host discovery with -PS80,443 -PA80 -PU53 and no ICMP", function () {
    const wire = recorded("discovery-no-icmp");

    it("has no ICMP probe, and only the four discovery shapes", function () {
      expect(wire.flows.filter((f) => f.protocol === 1)).to.deep.equal([]);
      const shapes = new Set(wire.flows.map((f) => shape({ ...f, destination: "*" })));
      expect([...shapes].sort()).to.deep.equal(["* 17:53", "* 6:443 S", "* 6:80 A", "* 6:80 S"]);
    });

    it("shows nmap stopping at a host's first answer, and every shape sent to the address nobody holds", function () {
      const to = (d: string) => new Set(wire.flows.filter((f) => f.destination === d).map((f) => shape(f)));
      expect(to("10.20.0.11")).to.deep.equal(
        new Set(["10.20.0.11 6:80 S", "10.20.0.11 6:443 S", "10.20.0.11 6:80 A", "10.20.0.11 17:53"]),
      );
      expect(to(WEB)).to.deep.equal(new Set([`${WEB} 6:80 S`, `${WEB} 6:443 S`]));
    });

    it("expects no ICMP event at the firewall, where the old inference expected an echo per host", function () {
      const events = expectedEvents([captured(wireTruth(wire, OUTSIDE_SCOPE, STATS, NO_CLAIMS))], "firewall");
      expect(events.length).to.equal(wire.flows.length);
      expect(events.some((e) => e.fields["network.transport"] === "icmp")).to.equal(false);
    });
  });

  describe("NSE dns-brute", function () {
    const wire = recorded("nse-dns-brute");

    it("decodes every DNS query's name and type, sent over UDP to the lab's DNS server", function () {
      expect(wire.dns.length).to.be.greaterThan(200);
      expect(new Set(wire.dns.map((q) => `${q.destination} ${q.transport}:${q.port}`))).to.deep.equal(
        new Set([`${DNS} udp:53`]),
      );
      expect(new Set(wire.dns.map((q) => q.type))).to.deep.equal(new Set(["A", "AAAA"]));
      expect(wire.dns.every((q) => q.name.endsWith(".lab.example"))).to.equal(true);
      expect(wire.dns.map((q) => q.name)).to.include("www.lab.example");
    });

    it("expects each distinct query at the DNS log, which no wrapper claimed", function () {
      const truth = wireTruth(wire, OUTSIDE_SCOPE, STATS, NO_CLAIMS);
      expect(truth.dns.every((q) => q.loggedBy === "dns")).to.equal(true);
      const events = expectedEvents([captured(truth)], "dns");
      expect(events.length).to.equal(new Set(wire.dns.map((q) => `${q.name} ${q.type}`)).size);
      expect(events[0]?.fields).to.have.keys("dns.question.name", "dns.question.type");
    });
  });

  const FTP = "10.20.0.13";
  const FTP_SCOPE: WireScope = {
    ...OUTSIDE_SCOPE,
    services: [{ address: FTP, transport: "tcp", port: 21, source: "auth" }],
  };

  describe("NSE ftp-anon against vsftpd (no_anon_password)", function () {
    const wire = recorded("nse-ftp-anon");

    it("takes the USER vsftpd answered 230 as the one anonymous login it logged ([ftp] OK LOGIN)", function () {
      expect(
        wire.logins.map((l) => [l.service, l.destination, l.port, l.client, l.user, l.outcome]),
      ).to.deep.equal([["ftp", FTP, 21, "USER anonymous", "ftp", "success"]]);
      const truth = wireTruth(wire, FTP_SCOPE, STATS, NO_CLAIMS);
      expect(expectedEvents([captured(truth)], "auth").map((e) => e.fields)).to.deep.equal([
        { "destination.ip": FTP, "event.action": "ftp_anonymous_login", "user.name": "ftp" },
      ]);
    });
  });

  const DB = "10.20.0.16";
  const DB_SCOPE: WireScope = {
    ...OUTSIDE_SCOPE,
    services: [{ address: DB, transport: "tcp", port: 5432, source: "auth" }],
  };
  const dbLogins = (wire: WireReduction) =>
    wire.logins.map((l) => [l.service, l.destination, l.port, l.client, l.outcome]);

  describe("psql with a wrong password and sslmode=prefer (PostgreSQL 15, scram-sha-256)", function () {
    const wire = recorded("psql-prefer-wrong-password");

    it("takes the connection that sent SCRAM's proof in clear as the one login; the TLS one is opaque", function () {
      // PostgreSQL logged "password authentication failed" for both connections; the first negotiated TLS.
      expect(wire.flows).to.have.length(2);
      expect(dbLogins(wire)).to.deep.equal([["postgresql", DB, 5432, "SASLResponse message", "failure"]]);
      const truth = wireTruth(wire, DB_SCOPE, STATS, NO_CLAIMS);
      expect(expectedEvents([captured(truth)], "auth").map((e) => e.fields)).to.deep.equal([
        {
          "destination.ip": DB,
          "event.action": "postgresql_login",
          "source.port": wire.logins[0]?.sourcePort,
        },
      ]);
    });
  });

  describe("psql with the right password", function () {
    it("takes the connection as a successful login (connection authorized)", function () {
      expect(dbLogins(recorded("psql-login"))).to.deep.equal([
        ["postgresql", DB, 5432, "SASLResponse message", "success"],
      ]);
    });
  });

  describe("NSE pgsql-brute against a server that asks for SCRAM (which the script does not speak)", function () {
    const wire = recorded("nse-pgsql-brute");

    it("takes no login: its SSL requests and the startup it left at the SASL request log none", function () {
      expect(wire.flows.length).to.be.greaterThan(100);
      expect(wire.logins).to.deep.equal([]);
    });
  });

  const SMB = "10.20.0.17";

  describe("smbclient -L with a wrong password for lab (Samba 4.17, SMB2)", function () {
    const wire = recorded("smbclient-wrong-password");

    it("takes the Session Setup's NTLMSSP_AUTH as the one login auth_audit logged, with the client's port", function () {
      expect(wire.logins.map((l) => [l.service, l.destination, l.port, l.client, l.user])).to.deep.equal([
        ["smb", SMB, 445, "NTLMSSP_AUTH", "lab"],
      ]);
      const scope: WireScope = {
        ...OUTSIDE_SCOPE,
        services: [{ address: SMB, transport: "tcp", port: 445, source: "auth" }],
      };
      expect(
        expectedEvents([captured(wireTruth(wire, scope, STATS, NO_CLAIMS))], "auth").map((e) => e.fields),
      ).to.deep.equal([
        {
          "destination.ip": SMB,
          "event.action": "smb_login",
          "user.name": "lab",
          "source.port": wire.logins[0]?.sourcePort,
        },
      ]);
    });
  });

  describe("NSE smb2-security-mode and smb-os-discovery", function () {
    it("takes no login: they negotiate and authenticate no user", function () {
      const wire = recorded("nse-smb2-security-mode");
      expect(wire.flows.length).to.be.greaterThan(0);
      expect(wire.logins).to.deep.equal([]);
    });
  });

  describe("hydra guessing lab's FTP password over 4 connections (-t 4 -f)", function () {
    const wire = recorded("hydra-ftp");

    it("takes every PASS after a USER as a login: vsftpd logged 10 FAIL and 1 OK LOGIN for this capture", function () {
      expect(wire.logins).to.have.length(11);
      expect(
        wire.logins.every((l) => l.service === "ftp" && l.user === "lab" && l.client === "PASS lab"),
      ).to.equal(true);
      expect(new Set(wire.logins.map((l) => l.sourcePort)).size).to.equal(4);
      // Two failed logins' 530 came after vsftpd's delay, when hydra had found the password and gone.
      expect(wire.logins.map((l) => l.outcome ?? "unanswered").sort()).to.deep.equal([
        ...Array<string>(8).fill("failure"),
        "success",
        "unanswered",
        "unanswered",
      ]);
    });

    it("expects as many ftp_login records of lab as logins, though their fields are equal", function () {
      const truth = wireTruth(wire, FTP_SCOPE, STATS, NO_CLAIMS);
      const events = expectedEvents([captured(truth)], "auth");
      expect(events).to.have.length(11);
      expect(new Set(events.map((e) => JSON.stringify(e.fields)))).to.deep.equal(
        new Set([JSON.stringify({ "destination.ip": FTP, "event.action": "ftp_login", "user.name": "lab" })]),
      );
    });
  });
});

describe("wire reduction rules", function () {
  const header = "mac 02:00:00:00:00:01";
  const line = (cells: Partial<Record<string, string>>) =>
    [
      "1.0",
      cells.len ?? "60",
      cells.caplen ?? "60",
      cells.ethsrc ?? "02:00:00:00:00:01",
      cells.ethdst ?? "02:00:00:00:00:fe",
      cells.ipsrc ?? ATTACKER,
      cells.ipdst ?? WEB,
      cells.proto ?? "6",
      cells.tcpsport ?? "",
      cells.tcpdport ?? "",
      cells.tcpflags ?? "",
      cells.udpsport ?? "",
      cells.udpdport ?? "",
      "",
      "",
      "",
      cells.icmptype ?? "",
      cells.icmpcode ?? "",
      cells.icmpident ?? "",
      cells.method ?? "",
      cells.uri ?? "",
      cells.host ?? "",
      cells.ua ?? "",
      cells.dnsresponse ?? "",
      cells.dnsname ?? "",
      cells.dnstype ?? "",
      cells.ssh ?? "",
      cells.ftpcommand ?? "",
      cells.ftparg ?? "",
      cells.ftpcode ?? "",
      cells.pgsqltype ?? "",
      cells.pgsqlauthtype ?? "",
      cells.ntlmtype ?? "",
      cells.ntlmuser ?? "",
    ].join("\t");
  const inbound = { ethsrc: "02:00:00:00:00:fe", ethdst: "02:00:00:00:00:01" };

  it("takes an SSH connection whose client sent its identification string as a session sshd logs", function () {
    const ssh = "10.20.0.11";
    const fields = [
      header,
      line({ ipdst: ssh, tcpsport: "40100", tcpdport: "22", tcpflags: "0x0002" }),
      line({
        ...inbound,
        ipsrc: ssh,
        ipdst: ATTACKER,
        tcpsport: "22",
        tcpdport: "40100",
        ssh: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
      }),
      line({
        ipdst: ssh,
        tcpsport: "40100",
        tcpdport: "22",
        tcpflags: "0x0018",
        ssh: "SSH-2.0-libssh_0.10.4",
      }),
      line({ ipdst: ssh, tcpsport: "40102", tcpdport: "22", tcpflags: "0x0002" }),
    ].join("\n");
    const reduction = reduceWire(fields);
    expect(reduction.logins).to.deep.equal([
      {
        service: "ssh",
        source: ATTACKER,
        sourcePort: 40100,
        destination: ssh,
        port: 22,
        client: "SSH-2.0-libssh_0.10.4",
      },
    ]);
    const scope = {
      ...OUTSIDE_SCOPE,
      services: [{ address: ssh, transport: "tcp" as const, port: 22, source: "auth" as const }],
    };
    const truth = wireTruth(reduction, scope, STATS, NO_CLAIMS);
    expect(expectedEvents([captured(truth)], "auth").map((e) => e.fields)).to.deep.equal([
      { "destination.ip": ssh, "source.port": 40100 },
    ]);
  });

  it("counts one SSH session per connection the source opened: not a resent line, not a connection the far end opened", function () {
    const ssh = "10.20.0.11";
    const identification = "SSH-2.0-OpenSSH_9.6";
    const fields = [
      header,
      line({ ipdst: ssh, tcpsport: "40200", tcpdport: "22", tcpflags: "0x0002" }),
      line({ ipdst: ssh, tcpsport: "40200", tcpdport: "22", tcpflags: "0x0018", ssh: identification }),
      // The identification line retransmitted: the same session.
      line({ ipdst: ssh, tcpsport: "40200", tcpdport: "22", tcpflags: "0x0018", ssh: identification }),
      // The scanned host connects to an SSH server the source runs on 2222; the source's own
      // identification string in that connection is a server's answer, no session it opened.
      line({
        ...inbound,
        ipsrc: ssh,
        ipdst: ATTACKER,
        tcpsport: "51000",
        tcpdport: "2222",
        tcpflags: "0x0002",
      }),
      line({
        ipsrc: ATTACKER,
        ipdst: ssh,
        tcpsport: "2222",
        tcpdport: "51000",
        tcpflags: "0x0018",
        ssh: identification,
      }),
    ].join("\n");
    expect(reduceWire(fields).logins).to.deep.equal([
      {
        service: "ssh",
        source: ATTACKER,
        sourcePort: 40200,
        destination: ssh,
        port: 22,
        client: identification,
      },
    ]);
  });

  it("takes each FTP login vsftpd logs: a PASS after a USER, answered or not, and an anonymous USER answered 230", function () {
    const ftp = "10.20.0.13";
    const out = (sport: string, ftpcommand: string, ftparg: string) =>
      line({ ipdst: ftp, tcpsport: sport, tcpdport: "21", tcpflags: "0x0018", ftpcommand, ftparg });
    const reply = (sport: string, ftpcode: string) =>
      line({
        ...inbound,
        ipsrc: ftp,
        ipdst: ATTACKER,
        tcpsport: "21",
        tcpdport: sport,
        tcpflags: "0x0018",
        ftpcode,
      });
    const fields = [
      header,
      line({ ipdst: ftp, tcpsport: "41000", tcpdport: "21", tcpflags: "0x0002" }),
      reply("41000", "220"),
      // PASS without USER: refused (503), nothing logged.
      out("41000", "PASS", "x"),
      reply("41000", "503"),
      out("41000", "USER", "lab"),
      reply("41000", "331"),
      out("41000", "PASS", "wrong"),
      // The PASS retransmitted before the answer: still one login.
      out("41000", "PASS", "wrong"),
      reply("41000", "530"),
      // PASS after a failure needs a new USER.
      out("41000", "PASS", "again"),
      reply("41000", "503"),
      out("41000", "user", "lab"),
      reply("41000", "331"),
      out("41000", "pass", "lab"),
      reply("41000", "230"),
      // Logged in: neither a new USER nor PASS is a login.
      out("41000", "USER", "other"),
      reply("41000", "530"),
      out("41000", "PASS", "x"),
      reply("41000", "230"),
      line({ ipdst: ftp, tcpsport: "41001", tcpdport: "21", tcpflags: "0x0002" }),
      // An anonymous user logs in without a password (no_anon_password): the USER is the login.
      out("41001", "USER", "anonymous"),
      reply("41001", "230"),
      out("41001", "PASS", "IEUser@"),
      reply("41001", "230"),
      line({ ipdst: ftp, tcpsport: "41002", tcpdport: "21", tcpflags: "0x0002" }),
      // A server closing at once (421, too many connections) reads no login.
      reply("41002", "421"),
      out("41002", "USER", "lab"),
      out("41002", "PASS", "lab"),
      line({ ipdst: ftp, tcpsport: "41003", tcpdport: "21", tcpflags: "0x0002" }),
      // A USER answered 530 (refused before its password) is no login; a PASS nobody answered is.
      out("41003", "USER", "root"),
      reply("41003", "530"),
      out("41003", "USER", "lab"),
      reply("41003", "331"),
      out("41003", "PASS", "late"),
    ].join("\n");
    const reduction = reduceWire(fields);
    const login = (sourcePort: number, client: string, user: string, outcome?: "success" | "failure") => ({
      service: "ftp",
      source: ATTACKER,
      sourcePort,
      destination: ftp,
      port: 21,
      client,
      user,
      ...(outcome === undefined ? {} : { outcome }),
    });
    expect(reduction.logins).to.deep.equal([
      login(41000, "PASS lab", "lab", "failure"),
      login(41000, "PASS lab", "lab", "success"),
      login(41001, "USER anonymous", "ftp", "success"),
      login(41003, "PASS lab", "lab"),
    ]);
    const scope = {
      ...OUTSIDE_SCOPE,
      services: [{ address: ftp, transport: "tcp" as const, port: 21, source: "auth" as const }],
    };
    const truth = wireTruth(reduction, scope, STATS, NO_CLAIMS);
    const lab = { "destination.ip": ftp, "event.action": "ftp_login", "user.name": "lab" };
    // Equal logins are records of their own: three of lab, one anonymous.
    expect(expectedEvents([captured(truth)], "auth").map((e) => e.fields)).to.deep.equal([
      lab,
      lab,
      { ...lab, "event.action": "ftp_anonymous_login", "user.name": "ftp" },
      lab,
    ]);
    expect(expectedEvents([captured(truth), captured(truth)], "auth")).to.have.length(8);
  });

  it("takes a PostgreSQL connection as a login once it sent credentials or was let in, never one refused before", function () {
    const db = "10.20.0.16";
    const out = (sport: string, pgsqltype: string) =>
      line({ ipdst: db, tcpsport: sport, tcpdport: "5432", tcpflags: "0x0018", pgsqltype });
    const reply = (sport: string, pgsqltype: string, pgsqlauthtype = "") =>
      line({
        ...inbound,
        ipsrc: db,
        ipdst: ATTACKER,
        tcpsport: "5432",
        tcpdport: sport,
        tcpflags: "0x0018",
        pgsqltype,
        pgsqlauthtype,
      });
    const fields = [
      header,
      // md5: the password answered by AuthenticationOk, resent once.
      out("42000", "Startup message"),
      reply("42000", "Authentication request", "5"),
      out("42000", "Password message"),
      out("42000", "Password message"),
      reply("42000", "Authentication request", "0"),
      // trust: let in without credentials.
      out("42001", "Startup message"),
      reply("42001", "Authentication request", "0"),
      // Refused before authenticating (too many clients): no login.
      out("42002", "Startup message"),
      reply("42002", "Error"),
      // SCRAM's first message only, then gone: no login.
      out("42003", "Startup message"),
      reply("42003", "Authentication request", "10"),
      out("42003", "SASLInitialResponse message"),
      reply("42003", "Authentication request", "11"),
      // SCRAM's proof sent, the answer never seen: a login of unknown outcome.
      out("42004", "Startup message"),
      reply("42004", "Authentication request", "10"),
      out("42004", "SASLInitialResponse message"),
      reply("42004", "Authentication request", "11"),
      out("42004", "SASLResponse message"),
      // Only an SSL request: no login.
      out("42005", "SSL request"),
    ].join("\n");
    const reduction = reduceWire(fields);
    expect(reduction.logins.map((l) => [l.sourcePort, l.client, l.outcome ?? "unanswered"])).to.deep.equal([
      [42000, "Password message", "success"],
      [42001, "AuthenticationOk without credentials", "success"],
      [42004, "SASLResponse message", "unanswered"],
    ]);
  });

  it("takes an SMB connection as a login at its first NTLMSSP_AUTH naming a user, not an anonymous one", function () {
    const smb = "10.20.0.17";
    const auth = (sport: string, ntlmuser: string, cells: Partial<Record<string, string>> = {}) =>
      line({
        ipdst: smb,
        tcpsport: sport,
        tcpdport: "445",
        tcpflags: "0x0018",
        ntlmtype: "0x00000003",
        ntlmuser,
        ...cells,
      });
    const fields = [
      header,
      line({ ipdst: smb, tcpsport: "43000", tcpdport: "445", tcpflags: "0x0002" }),
      line({ ipdst: smb, tcpsport: "43000", tcpdport: "445", tcpflags: "0x0018", ntlmtype: "0x00000001" }),
      auth("43000", "lab"),
      // Resent: the same login.
      auth("43000", "lab"),
      line({ ipdst: smb, tcpsport: "43001", tcpdport: "445", tcpflags: "0x0002" }),
      // Anonymous: Samba logs it only at debug level 5.
      auth("43001", ""),
      // In a connection the far end opened: no login of the source.
      line({
        ...inbound,
        ipsrc: smb,
        ipdst: ATTACKER,
        tcpsport: "51000",
        tcpdport: "445",
        tcpflags: "0x0002",
      }),
      auth("445", "lab", { ipsrc: ATTACKER, ipdst: smb, tcpsport: "445", tcpdport: "51000" }),
    ].join("\n");
    expect(reduceWire(fields).logins).to.deep.equal([
      {
        service: "smb",
        source: ATTACKER,
        sourcePort: 43000,
        destination: smb,
        port: 445,
        client: "NTLMSSP_AUTH",
        user: "lab",
      },
    ]);
  });

  it("writes TCP flags in nmap's order", function () {
    expect([0x02, 0x12, 0x11, 0x29, 0x00, 0xc2].map(tcpFlagLetters)).to.deep.equal([
      "S",
      "SA",
      "FA",
      "FPU",
      "",
      "SEC",
    ]);
  });

  it("keeps the protocol number of an IP protocol probe and its ICMP type and code", function () {
    const wire = reduceWire(
      [
        header,
        line({ proto: "47" }),
        line({ proto: "1", icmptype: "13", icmpcode: "0", icmpident: "7" }),
        line({ proto: "1", icmptype: "17", icmpcode: "0", icmpident: "8" }),
      ].join("\n"),
    );
    expect(wire.flows.map((f) => [f.protocol, f.icmpType, f.icmpCode])).to.deep.equal([
      [47, undefined, undefined],
      [1, 13, 0],
      [1, 17, 0],
    ]);
    const events = expectedEvents([captured(wireTruth(wire, OUTSIDE_SCOPE, STATS, NO_CLAIMS))], "firewall");
    expect(events[0]?.fields).to.deep.equal({ "destination.ip": WEB, "network.iana_number": 47 });
  });

  it("counts a flow the far end opened as theirs: the source's answers in it are no probes", function () {
    const wire = reduceWire(
      [
        header,
        line({
          ...inbound,
          ipsrc: WEB,
          ipdst: ATTACKER,
          tcpsport: "40000",
          tcpdport: "22",
          tcpflags: "0x0002",
        }),
        line({ tcpsport: "22", tcpdport: "40000", tcpflags: "0x0012" }),
        line({ ...inbound, ipsrc: WEB, ipdst: ATTACKER, proto: "17", udpsport: "53", udpdport: "5353" }),
        line({ proto: "1", icmptype: "3", icmpcode: "3" }),
      ].join("\n"),
    );
    expect(wire.flows).to.deep.equal([]);
  });

  it("decodes an HTTP request's method, target, host and User-Agent, and counts a request cut by the snapshot length instead of guessing it", function () {
    const wire = reduceWire(
      [
        header,
        line({
          tcpsport: "40000",
          tcpdport: "80",
          tcpflags: "0x0018",
          method: "GET",
          uri: "/admin?x=1",
          host: "Web.Lab:80",
          ua: "curl/7.88",
        }),
        line({
          tcpsport: "40001",
          tcpdport: "80",
          tcpflags: "0x0018",
          method: "GET",
          uri: "/cut-short",
          len: "70000",
          caplen: "65535",
        }),
      ].join("\n"),
    );
    expect(wire.http).to.deep.equal([
      {
        source: ATTACKER,
        sourcePort: 40000,
        destination: WEB,
        port: 80,
        method: "GET",
        uri: "/admin?x=1",
        host: "Web.Lab:80",
        userAgent: "curl/7.88",
      },
    ]);
    expect(wire.cut).to.equal(1);
    const events = expectedEvents([captured(wireTruth(wire, OUTSIDE_SCOPE, STATS, NO_CLAIMS))], "web");
    expect(events.map((e) => e.fields)).to.deep.equal([
      {
        "destination.ip": WEB,
        "http.request.method": "GET",
        "url.original": "/admin?x=1",
        "url.domain": "web.lab",
      },
    ]);
  });

  it("finds a request whose target tshark cannot render (bytes above 0x7F) by its connection and method", function () {
    const wire = reduceWire(
      [
        header,
        line({
          tcpsport: "40000",
          tcpdport: "80",
          tcpflags: "0x0018",
          method: "GET",
          uri: "/administra\uFFFD\uFFFDao/",
        }),
        line({ tcpsport: "40000", tcpdport: "80", tcpflags: "0x0018", method: "GET", uri: "/sdk/%2E%2E/x" }),
      ].join("\n"),
    );
    const events = expectedEvents([captured(wireTruth(wire, OUTSIDE_SCOPE, STATS, NO_CLAIMS))], "web");
    expect(events.map((e) => e.fallback)).to.deep.equal([
      { "destination.ip": WEB, "source.port": 40000, "http.request.method": "GET" },
      { "destination.ip": WEB, "source.port": 40000, "url.original": "" },
    ]);
  });

  it("takes a fragmented probe once, from the fragment tshark reassembles it on (nmap -f)", function () {
    const wire = reduceWire(
      [header, line({}), line({}), line({ tcpsport: "40000", tcpdport: "22", tcpflags: "0x0002" })].join(
        "\n",
      ),
    );
    expect(wire.flows.map((f) => [f.port, f.tcpFlags, f.packets])).to.deep.equal([[22, "S", 1]]);
  });

  it("takes a fragmented ICMP probe once (nmap -f -PE --data-length)", function () {
    const wire = reduceWire(
      [
        header,
        line({ proto: "1" }),
        line({ proto: "1" }),
        line({ proto: "1", icmptype: "8", icmpcode: "0", icmpident: "7" }),
      ].join("\n"),
    );
    expect(wire.flows.map((f) => [f.protocol, f.icmpType, f.packets])).to.deep.equal([[1, 8, 1]]);
  });

  it("names DNS query types as servers log them, and unknown ones TYPEn", function () {
    const wire = reduceWire(
      [
        header,
        line({
          proto: "17",
          udpsport: "5000",
          udpdport: "53",
          dnsresponse: "0",
          dnsname: "lab.example",
          dnstype: "252",
        }),
        line({
          proto: "17",
          udpsport: "5000",
          udpdport: "53",
          dnsresponse: "0",
          dnsname: "<Root>",
          dnstype: "65534",
        }),
        line({
          ...inbound,
          ipsrc: DNS,
          ipdst: ATTACKER,
          proto: "17",
          udpsport: "53",
          udpdport: "5000",
          dnsresponse: "1",
          dnsname: "x",
        }),
      ].join("\n"),
    );
    expect(wire.dns.map((q) => [q.name, q.type])).to.deep.equal([
      ["lab.example", "AXFR"],
      [".", "TYPE65534"],
    ]);
  });

  it("expects at the firewall only what crosses it: not the source's own segment, but the firewall's own addresses", function () {
    expect(crossesFirewall(OUTSIDE_SCOPE, "198.18.0.20")).to.equal(false);
    expect(crossesFirewall(OUTSIDE_SCOPE, "198.18.0.1")).to.equal(true);
    expect(crossesFirewall(OUTSIDE_SCOPE, "10.20.0.255")).to.equal(true);
    const lan = { ...OUTSIDE_SCOPE, ownSegment: "10.30.0.0/24" };
    expect(crossesFirewall(lan, "10.30.0.15")).to.equal(false);
    expect(crossesFirewall(lan, "10.30.0.1")).to.equal(true);
    expect(crossesFirewall(lan, WEB)).to.equal(true);
  });

  it("accounts a source behind NAT by its router's address, without the source port NAT may rewrite", function () {
    const wire = reduceWire(
      [header, line({ ipsrc: "192.168.50.10", tcpsport: "40000", tcpdport: "22", tcpflags: "0x0002" })].join(
        "\n",
      ),
    );
    const truth = wireTruth(
      wire,
      { ...OUTSIDE_SCOPE, ownSegment: "192.168.50.0/24", seenAs: "198.18.0.2" },
      STATS,
      NO_CLAIMS,
    );
    const [event] = expectedEvents([captured(truth)], "flow");
    expect(event?.from).to.equal("198.18.0.2");
    expect(event?.fields).to.deep.equal({
      "destination.ip": WEB,
      "network.transport": "tcp",
      "destination.port": 22,
    });
  });

  it("reports each claim of the tool's report the wire does not show, and compares no response status", function () {
    const wire = reduceWire(
      [
        header,
        line({ tcpsport: "40000", tcpdport: "80", tcpflags: "0x0002" }),
        line({ tcpsport: "40000", tcpdport: "80", tcpflags: "0x0018", method: "GET", uri: "/a", host: WEB }),
      ].join("\n"),
    );
    const claims = checkToolClaims(
      wire,
      [
        { destination: WEB, transport: "tcp", port: 80 },
        { destination: WEB, transport: "tcp", port: 443 },
      ],
      [
        { source: "web", fields: { "url.path": "/a", "http.response.status_code": 404 } },
        { source: "web", fields: { "url.path": "/b", "http.response.status_code": 404 } },
        { source: "web", fields: { "http.response.status_code": 400 } },
      ],
    );
    expect(claims).to.deep.equal({
      toolClaims: 4,
      claimsOnWire: 2,
      unseenClaims: [`${WEB}/tcp:443`, "url.path=/b http.response.status_code=404"],
    });
  });

  it("says a capture stopped at its bound, and counts what dumpcap dropped", function () {
    const stop = (received: number, dropped: number, bytes: number) =>
      parseCaptureStop(
        `Packets received/dropped on interface 'vx-out': ${received}/${dropped} (pcap:0/dumpcap:0/flushed:0/ps_ifdrop:0) (100.0%)\nbytes ${bytes}\n`,
        "/x.pcap",
      );
    expect(stop(600, 0, 44_000)).to.include({ packets: 600, dropped: 0, bounded: false });
    expect(stop(CAPTURE_BOUNDS.packets, 0, 1).bounded).to.equal(true);
    expect(stop(5, 0, CAPTURE_BOUNDS.kilobytes * 1000 + 10).bounded).to.equal(true);
    expect(stop(600, 3, 44_000).dropped).to.equal(3);
    expect(() => parseCaptureStop("bytes 1\n", "/x.pcap")).to.throw(/reported no counts/);
  });
});

describe("wire findings", function () {
  const wire = (over: Partial<WireTruth>, capture: Partial<WireTruth["capture"]> = {}): GroundTruth => ({
    ...captured({
      capture: { file: "/x.pcap", packets: 10, dropped: 0, bytes: 900, bounded: false, cut: 0, ...capture },
      probes: [],
      localFlows: 0,
      http: [],
      dns: [],
      logins: [],
      toolClaims: 3,
      claimsOnWire: 3,
      unseenClaims: [],
      ...over,
    }),
    step: 1,
    tool: "nmap",
  });

  it("says nothing of a whole capture that agrees with the tool", function () {
    expect(wireFindings(wire({}))).to.deep.equal([]);
    expect(wireFindings({ ...wire({}), wire: undefined } as unknown as GroundTruth)).to.deep.equal([]);
  });

  it("names a capture that reached its bound, dropped or cut packets, and the claims the wire does not show", function () {
    const findings = wireFindings(
      wire(
        { toolClaims: 30, claimsOnWire: 5, unseenClaims: ["10.20.0.10/tcp:22", "10.20.0.10/tcp:23"] },
        { bounded: true, dropped: 4, cut: 2, packets: 2_000_000 },
      ),
    );
    expect(findings).to.have.length(4);
    expect(findings[0]).to.match(/^step 2 \(nmap\): the capture stopped at its bound \(2000000 packets/);
    expect(findings[1]).to.include("dropped 4 packets");
    expect(findings[2]).to.include("2 packets sent were longer than the capture's snapshot length");
    expect(findings[3]).to.equal(
      "step 2 (nmap): the wire does not show 25 of the tool report's 30 claims (probes and requests): 10.20.0.10/tcp:22, 10.20.0.10/tcp:23, …",
    );
  });
});
