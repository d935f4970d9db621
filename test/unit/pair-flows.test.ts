import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { projectRoot } from "../../harness/core/paths.js";

const SCRIPT = join(projectRoot, "containers", "flow", "pair-flows.awk");
const ATTACKER = "198.18.0.10";
const WEB = "10.20.0.10";

interface OneDirection {
  readonly from: string;
  readonly to: string;
  readonly proto?: number;
  readonly sport?: number;
  readonly dport?: number;
  readonly first?: string;
  readonly packets?: number;
  readonly bytes?: number;
  readonly flags?: string;
  readonly icmpType?: number;
}

/** One nfdump -o json record, joined to a line as flow-sensor does. */
function nfdump(r: OneDirection): string {
  const first = `2026-12-02T09:14:50.${r.first ?? "762"}`;
  return JSON.stringify({
    type: "FLOW",
    first,
    last: first,
    proto: r.proto ?? 6,
    src4_addr: r.from,
    dst4_addr: r.to,
    ...(r.icmpType === undefined
      ? { src_port: r.sport ?? 0, dst_port: r.dport ?? 0 }
      : { icmp_type: r.icmpType, icmp_code: 0 }),
    in_packets: r.packets ?? 1,
    in_bytes: r.bytes ?? 40,
    ...(r.flags === undefined ? {} : { tcp_flags: r.flags }),
  });
}

interface Pairing {
  readonly passedThrough: string[];
  readonly biflows: Array<Readonly<Record<string, unknown>>>;
  readonly transactions: Array<Readonly<Record<string, unknown>>>;
  readonly held: string[];
}

/** Runs pair-flows.awk with Debian's awk (mawk, as in the flow image) on held records and a batch. */
function pair(batch: readonly string[], held: readonly string[] = [], final = false): Pairing {
  const heldFile = join(mkdtempSync(join(tmpdir(), "scanproof-pair-")), "held.jsonl");
  const input = ["#held", ...held, "#batch", ...batch, ""].join("\n");
  const run = spawnSync("mawk", ["-v", `held=${heldFile}`, "-v", `final=${final ? 1 : 0}`, "-f", SCRIPT], {
    input,
    encoding: "utf8",
  });
  expect(run.status, run.stderr).to.equal(0);
  const lines = run.stdout.split("\n").filter((l) => l !== "");
  return {
    passedThrough: lines.filter((l) => !/"type":"(BIFLOW|ICMP)"/.test(l)),
    biflows: lines
      .filter((l) => l.includes('"type":"BIFLOW"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>),
    transactions: lines
      .filter((l) => l.includes('"type":"ICMP"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>),
    held: readFileSync(heldFile, "utf8")
      .split("\n")
      .filter((l) => l !== ""),
  };
}

describe("pair-flows.awk: softflowd's one-direction records as connections", () => {
  const probe = nfdump({ from: ATTACKER, to: WEB, sport: 58768, dport: 256, flags: "......S.", bytes: 44 });
  const reset = nfdump({ from: WEB, to: ATTACKER, sport: 256, dport: 58768, flags: "...A.R.." });

  it("passes every record of the batch through unchanged, then adds one connection per pair", () => {
    const out = pair([reset, probe]);
    expect(out.passedThrough).to.deep.equal([reset, probe]);
    expect(out.biflows).to.have.lengthOf(1);
    expect(out.held).to.deep.equal([]);
  });

  it("names the SYN sender the source when both directions start in the same millisecond", () => {
    const [flow] = pair([reset, probe]).biflows;
    expect(flow).to.include({
      src_addr: ATTACKER,
      src_port: 58768,
      dst_addr: WEB,
      dst_port: 256,
      src_packets: 1,
      src_bytes: 44,
      dst_packets: 1,
      dst_bytes: 40,
      src_tcp_flags: "......S.",
      dst_tcp_flags: "...A.R..",
      ip_version: "ipv4",
    });
  });

  it("names the side whose first packet came first the source, whatever its flags", () => {
    const early = nfdump({
      from: WEB,
      to: ATTACKER,
      sport: 256,
      dport: 58768,
      flags: "...A.R..",
      first: "100",
    });
    const late = nfdump({
      from: ATTACKER,
      to: WEB,
      sport: 58768,
      dport: 256,
      flags: "......S.",
      first: "200",
    });
    expect(pair([late, early]).biflows[0]).to.include({ src_addr: WEB, dst_addr: ATTACKER });
  });

  it("pairs an ICMP echo request with its reply, the request's sender as source", () => {
    const reply = nfdump({ from: WEB, to: ATTACKER, proto: 1, icmpType: 0 });
    const request = nfdump({ from: ATTACKER, to: WEB, proto: 1, icmpType: 8 });
    const out = pair([reply, request]);
    expect(out.biflows).to.have.lengthOf(1);
    expect(out.biflows[0]).to.include({ src_addr: ATTACKER, dst_addr: WEB, icmp_type: 8, dst_packets: 1 });
  });

  it("adds an ICMP query's transaction after its connection: request and reply types, each message's data bytes", () => {
    const reply = nfdump({ from: WEB, to: ATTACKER, proto: 1, icmpType: 0, bytes: 84 });
    const request = nfdump({ from: ATTACKER, to: WEB, proto: 1, icmpType: 8, bytes: 84 });
    const out = pair([reply, request]);
    expect(out.transactions).to.have.lengthOf(1);
    expect(out.transactions[0]).to.include({
      src_addr: ATTACKER,
      dst_addr: WEB,
      request_type: 8,
      request_code: 0,
      response_type: 0,
      response_code: 0,
      src_bytes: 56,
      dst_bytes: 56,
    });
    const unanswered = pair([nfdump({ from: ATTACKER, to: WEB, proto: 1, icmpType: 13 })], [], true);
    expect(unanswered.transactions).to.have.lengthOf(1);
    expect(unanswered.transactions[0]).to.include({ request_type: 13, dst_bytes: 0 });
    expect(unanswered.transactions[0]).to.not.have.property("response_type");
  });

  it("adds one transaction per query softflowd folded into one record, the unanswered ones last", () => {
    const replies = nfdump({ from: WEB, to: ATTACKER, proto: 1, icmpType: 0, packets: 3, bytes: 3 * 84 });
    const requests = nfdump({ from: ATTACKER, to: WEB, proto: 1, icmpType: 8, packets: 4, bytes: 4 * 84 });
    const out = pair([replies, requests]);
    expect(out.transactions.map((t) => [t.response_type, t.src_bytes, t.dst_bytes])).to.deep.equal([
      [0, 56, 56],
      [0, 56, 56],
      [0, 56, 56],
      [undefined, 56, 0],
    ]);
  });

  it("takes an ICMPv6 echo request as a query", () => {
    const request = JSON.stringify({
      type: "FLOW",
      first: "2026-12-02T09:14:50.762",
      last: "2026-12-02T09:14:50.762",
      proto: 58,
      src6_addr: "fd00::10",
      dst6_addr: "fd00::20",
      icmp_type: 128,
      icmp_code: 0,
      in_packets: 1,
      in_bytes: 104,
    });
    expect(pair([request], [], true).transactions[0]).to.include({
      ip_version: "ipv6",
      request_type: 128,
      src_bytes: 60,
    });
  });

  it("adds no transaction for TCP, UDP or a reply without its query", () => {
    expect(pair([reset, probe]).transactions).to.deep.equal([]);
    const orphan = nfdump({ from: WEB, to: ATTACKER, proto: 1, icmpType: 0 });
    expect(pair([orphan], [], true).transactions).to.deep.equal([]);
  });

  it("adds an ICMP message that expects no answer alone, one per message, marked lone, errors marked error", () => {
    const unreachable = nfdump({ from: WEB, to: ATTACKER, proto: 1, icmpType: 3, packets: 2, bytes: 2 * 56 });
    const out = pair([unreachable], [], true);
    expect(out.transactions).to.have.lengthOf(2);
    expect(out.transactions[0]).to.include({
      src_addr: WEB,
      request_type: 3,
      src_bytes: 28,
      dst_bytes: 0,
      lone: 1,
      error: 1,
    });
    expect(out.transactions[0]).to.not.have.property("response_type");
    const redirect = nfdump({ from: WEB, to: ATTACKER, proto: 1, icmpType: 5 });
    const told = pair([redirect], [], true).transactions[0];
    expect(told, "a redirect is no error").to.include({ lone: 1 }).and.not.have.property("error");
  });

  it("does not pair an ICMP request with a reply of another family", () => {
    const timestampReply = nfdump({ from: WEB, to: ATTACKER, proto: 1, icmpType: 14 });
    const echo = nfdump({ from: ATTACKER, to: WEB, proto: 1, icmpType: 8 });
    expect(pair([timestampReply, echo]).biflows).to.deep.equal([]);
  });

  it("takes the side sending to the lower port as the opener of a UDP exchange at the same instant", () => {
    const answer = nfdump({ from: "10.20.0.53", to: ATTACKER, proto: 17, sport: 53, dport: 40000 });
    const query = nfdump({ from: ATTACKER, to: "10.20.0.53", proto: 17, sport: 40000, dport: 53 });
    expect(pair([answer, query]).biflows[0]).to.include({ src_addr: ATTACKER, dst_port: 53 });
  });

  it("holds an unpaired record one batch, pairs it with a partner in the next, and reports it once", () => {
    const first = pair([probe]);
    expect(first.biflows).to.deep.equal([]);
    expect(first.held).to.deep.equal([probe]);
    const second = pair([reset], first.held);
    expect(second.passedThrough, "held records were passed through in their own batch").to.deep.equal([
      reset,
    ]);
    expect(second.biflows.map((f) => f["src_addr"])).to.deep.equal([ATTACKER]);
    expect(second.held).to.deep.equal([]);
  });

  it("reports a probe that stays unanswered for a whole batch as a one-sided connection", () => {
    const unanswered = nfdump({
      from: ATTACKER,
      to: "10.20.0.99",
      sport: 58768,
      dport: 22,
      flags: "......S.",
    });
    const later = pair([], [unanswered]);
    expect(later.biflows).to.have.lengthOf(1);
    expect(later.biflows[0]).to.include({ src_addr: ATTACKER, dst_addr: "10.20.0.99", dst_packets: 0 });
    expect(later.biflows[0]).to.not.have.property("dst_tcp_flags");
    expect(later.held).to.deep.equal([]);
  });

  it("holds nothing back on the final flush", () => {
    const out = pair([probe], [], true);
    expect(out.biflows.map((f) => f["dst_packets"])).to.deep.equal([0]);
    expect(out.held).to.deep.equal([]);
  });
});
