import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluateRuleInMemory } from "../../harness/detection/fixtures/fixture-engine.js";
import { FixtureEngineError, type FixtureEvent } from "../../harness/detection/fixtures/memory-index.js";
import { loadRuleFile } from "../../harness/detection/rules/rule-loader.js";
import type { Rule } from "../../harness/detection/rules/rule.js";

const NOW = new Date("2026-11-28T12:10:00.000Z");

function rule(options: {
  query: string;
  type?: "query" | "threshold" | "new_terms";
  extra?: string;
  index?: string;
  language?: "kuery" | "lucene";
}): Rule {
  const path = join(mkdtempSync(join(tmpdir(), "scanproof-")), "rule.toml");
  writeFileSync(
    path,
    [
      "[rule]",
      'rule_id = "00000000-0000-4000-8000-000000000001"',
      'name = "Test rule"',
      `type = "${options.type ?? "query"}"`,
      `language = "${options.language ?? "kuery"}"`,
      `index = ["${options.index ?? "scanproof-firewall*"}"]`,
      'severity = "low"',
      "risk_score = 21",
      'from = "now-9m"',
      "max_signals = 3",
      `query = '''${options.query}'''`,
      options.extra ?? "",
    ].join("\n"),
  );
  const loaded = loadRuleFile(path);
  if (!loaded.ok) throw new Error(loaded.skipped.reason);
  if (!("rule" in loaded)) throw new Error("an ES|QL rule");
  return loaded.rule;
}

let sequence = 0;
function event(source: Record<string, unknown>, index = "scanproof-firewall"): FixtureEvent {
  sequence++;
  return { id: `e${sequence}`, index, source: { "@timestamp": "2026-11-28T12:05:00Z", ...source } };
}

function matching(query: string, events: FixtureEvent[]): string[] {
  return evaluateRuleInMemory(rule({ query }), events, { now: NOW }).map((d) => d.group["event.id"] ?? "");
}

function refusal(query: string, events: FixtureEvent[]): string {
  try {
    evaluateRuleInMemory(rule({ query }), events, { now: NOW });
  } catch (error) {
    if (error instanceof FixtureEngineError) return error.message;
    throw error;
  }
  return expect.fail("expected the in-memory engine to refuse the query");
}

describe("in-memory rule evaluation with Elasticsearch's field semantics", function () {
  describe("keyword fields", function () {
    const a = event({ network: { transport: "tcp" }, scanproof: { tcp: { flags: "......S." } } });
    const b = event({ network: { transport: "TCP" }, scanproof: { tcp: { flags: "...A.RS." } } });

    it("match exactly and case-sensitively", function () {
      expect(matching("network.transport:tcp", [a, b])).to.deep.equal([a.id]);
    });

    it("match wildcards with * anywhere, and escaped characters literally", function () {
      expect(matching("scanproof.tcp.flags:*S*", [a, b])).to.deep.equal([a.id, b.id]);
      expect(matching("scanproof.tcp.flags:*A*", [a, b])).to.deep.equal([b.id]);
      expect(matching("scanproof.tcp.flags:......S.", [a, b])).to.deep.equal([a.id]);
      const star = event({ url: { path: "/a*b" } }, "scanproof-web");
      const other = event({ url: { path: "/axb" } }, "scanproof-web");
      const web = rule({ query: "url.path:/a\\*b", index: "scanproof-web*" });
      expect(
        evaluateRuleInMemory(web, [star, other], { now: NOW }).map((d) => d.group["event.id"]),
      ).to.deep.equal([star.id]);
    });

    it("index numbers sent to a keyword field as their text", function () {
      const numeric = event({ network: { iana_number: 6 } });
      expect(matching("network.iana_number:6", [numeric])).to.deep.equal([numeric.id]);
    });

    it("do not index values longer than ignore_above, so nothing matches them, not even exists", function () {
      const long = event({ "scanproof.note": "x".repeat(1025) });
      const short = event({ "scanproof.note": "x".repeat(1024) });
      expect(matching("scanproof.note:*", [long, short])).to.deep.equal([short.id]);
    });
  });

  describe("ip fields", function () {
    const inside = event({ source: { ip: "10.1.2.3" } });
    const outside = event({ source: { ip: "198.18.0.10" } });

    it("match an address or a CIDR block", function () {
      expect(matching("source.ip:10.0.0.0/8", [inside, outside])).to.deep.equal([inside.id]);
      expect(matching("source.ip:198.18.0.10", [inside, outside])).to.deep.equal([outside.id]);
      expect(matching("not source.ip:(10.0.0.0/8 or 172.16.0.0/12)", [inside, outside])).to.deep.equal([
        outside.id,
      ]);
    });

    it("compare ranges as addresses, not as text", function () {
      const nine = event({ source: { ip: "10.0.0.9" } });
      const ten = event({ source: { ip: "10.0.0.10" } });
      expect(matching("source.ip >= 10.0.0.10", [nine, ten])).to.deep.equal([ten.id]);
    });

    it("refuse wildcards and malformed addresses as Elasticsearch does", function () {
      expect(refusal("source.ip:10.*", [inside])).to.match(
        /wildcard queries on keyword and text fields only/,
      );
      expect(refusal("source.ip:300.1.1.1", [inside])).to.match(/not an IP address or CIDR block/);
      expect(() =>
        evaluateRuleInMemory(rule({ query: "source.ip:*" }), [event({ source: { ip: "not-an-ip" } })], {
          now: NOW,
        }),
      ).to.throw(FixtureEngineError, /would reject the document/);
    });
  });

  describe("numeric and date fields", function () {
    const small = event({ destination: { port: 22 }, network: { packets: 1 } });
    const large = event({ destination: { port: "8080" }, network: { packets: 3 } });

    it("match and compare numbers numerically, coercing numeric strings", function () {
      expect(matching("destination.port:8080", [small, large])).to.deep.equal([large.id]);
      expect(matching("destination.port < 1024", [small, large])).to.deep.equal([small.id]);
      expect(matching("network.packets <= 2.5", [small, large])).to.deep.equal([small.id]);
    });

    it("match a decimal against a long field to nothing, and refuse text", function () {
      expect(matching("destination.port:22.5", [small, large])).to.deep.equal([]);
      expect(refusal("destination.port:ssh", [small])).to.match(/not a number/);
    });

    it("round missing date components the way range queries do", function () {
      const early = event({ event: { start: "2026-11-28T00:00:00Z" } });
      const late = event({ event: { start: "2026-11-28T23:59:59.999Z" } });
      const next = event({ event: { start: "2026-11-29T00:00:00Z" } });
      const all = [early, late, next];
      expect(matching("event.start:2026-11-28", all)).to.deep.equal([early.id, late.id]);
      expect(matching("event.start > 2026-11-28", all)).to.deep.equal([next.id]);
      expect(matching("event.start >= 2026-11-28", all)).to.deep.equal([early.id, late.id, next.id]);
      expect(matching(`event.start < "2026-11-28T23:59:59.999Z"`, all)).to.deep.equal([early.id]);
      expect(refusal("event.start > now-1d", all)).to.match(/date math is not evaluated in memory/);
    });
  });

  describe("exists, objects and multi-valued fields", function () {
    it("exists on an object field matches a document with any of its fields", function () {
      const withIcmp = event({ scanproof: { icmp: { type: 8 } } });
      const without = event({ network: { transport: "tcp" } });
      expect(matching("scanproof.icmp:*", [withIcmp, without])).to.deep.equal([withIcmp.id]);
    });

    it("reads dotted keys and nested objects alike", function () {
      const dotted = event({ "destination.port": 443 });
      const nested = event({ destination: { port: 443 } });
      expect(matching("destination.port:443", [dotted, nested])).to.deep.equal([dotted.id, nested.id]);
    });

    it("matches an array when any value matches, and `not` excludes it then", function () {
      const both = event({ event: { category: ["intrusion_detection", "network"] } });
      const one = event({ event: { category: "network" } });
      expect(matching("event.category:intrusion_detection", [both, one])).to.deep.equal([both.id]);
      expect(matching("not event.category:intrusion_detection", [both, one])).to.deep.equal([one.id]);
    });
  });

  describe("what is not evaluated in memory is refused, never guessed", function () {
    it("full text, fieldless terms and nested queries", function () {
      const e = event({ message: "start of service" });
      expect(refusal("message:start", [e])).to.match(/full-text queries on text fields/);
      expect(refusal("scan", [e])).to.match(/full-text search across fields/);
      expect(refusal("source:{ ip:10.0.0.1 }", [e])).to.match(/no nested fields/);
    });

    it("Lucene rules", function () {
      const lucene = rule({ query: "destination.port:22", language: "lucene" });
      expect(() => evaluateRuleInMemory(lucene, [event({})], { now: NOW })).to.throw(
        FixtureEngineError,
        /query_string: full-text search across fields \(a KQL term without a field, or Lucene\)/,
      );
    });
  });

  describe("the rule's index patterns and look-back window", function () {
    it("reads only documents of the rule's indices", function () {
      const fw = event({ destination: { port: 22 } }, "scanproof-firewall");
      const ids = event({ destination: { port: 22 } }, "scanproof-ids");
      expect(matching("destination.port:22", [fw, ids])).to.deep.equal([fw.id]);
    });

    it("reads only documents from now minus the look-back to now, both ends included", function () {
      const first = event({ "@timestamp": "2026-11-28T12:01:00.000Z" });
      const before = event({ "@timestamp": "2026-11-28T12:00:59.999Z" });
      const last = event({ "@timestamp": "2026-11-28T12:10:00.000Z" });
      const after = event({ "@timestamp": "2026-11-28T12:10:00.001Z" });
      expect(matching("source.ip:* or not source.ip:*", [first, before, last, after])).to.deep.equal([
        first.id,
        last.id,
      ]);
    });
  });

  describe("query rules", function () {
    it("detect each matching event, oldest first, at most max_signals, grouped by addresses and the event's id", function () {
      const events = [4, 2, 3, 1, 5].map((minute) =>
        event({
          "@timestamp": `2026-11-28T12:0${minute}:00Z`,
          source: { ip: "198.18.0.10" },
          destination: { ip: "10.20.0.10" },
        }),
      );
      const detections = evaluateRuleInMemory(rule({ query: "source.ip:*" }), events, { now: NOW });
      expect(detections.map((d) => d.evidence.firstSeen)).to.deep.equal([
        "2026-11-28T12:01:00.000Z",
        "2026-11-28T12:02:00.000Z",
        "2026-11-28T12:03:00.000Z",
      ]);
      expect(detections[0]?.group).to.deep.equal({
        "source.ip": "198.18.0.10",
        "destination.ip": "10.20.0.10",
        "event.id": events[3]?.id,
      });
    });
  });

  describe("Kibana's scheduling fields and filters", function () {
    it("ends the window `to` before the execution time", function () {
      const late = event({ "@timestamp": "2026-11-28T12:09:30Z" });
      const early = event({ "@timestamp": "2026-11-28T12:08:00Z" });
      const offset = rule({ query: "not source.ip:*", extra: 'to = "now-1m"' });
      const found = evaluateRuleInMemory(offset, [late, early], { now: NOW }).map((d) => d.group["event.id"]);
      expect(found).to.deep.equal([early.id]);
    });

    it("places an event without the timestamp override by @timestamp, and sorts it after those with it", function () {
      const withOverride = event({
        "@timestamp": "2026-11-28T12:05:00Z",
        event: { ingested: "2026-11-28T12:06:00Z" },
      });
      const without = event({ "@timestamp": "2026-11-28T12:04:00Z" });
      const outside = event({
        "@timestamp": "2026-11-28T12:05:00Z",
        event: { ingested: "2026-11-28T11:00:00Z" },
      });
      const override = rule({ query: "not source.ip:*", extra: 'timestamp_override = "event.ingested"' });
      const found = evaluateRuleInMemory(override, [without, withOverride, outside], { now: NOW });
      expect(found.map((d) => [d.group["event.id"], d.evidence.firstSeen])).to.deep.equal([
        [withOverride.id, "2026-11-28T12:06:00.000Z"],
        [without.id, "2026-11-28T12:04:00.000Z"],
      ]);
      const strict = rule({
        query: "not source.ip:*",
        extra: 'timestamp_override = "event.ingested"\ntimestamp_override_fallback_disabled = true',
      });
      expect(
        evaluateRuleInMemory(strict, [without, withOverride], { now: NOW }).map((d) => d.group["event.id"]),
      ).to.deep.equal([withOverride.id]);
    });

    it("applies the rule's Kibana filters, negated ones excluding", function () {
      const ssh = event({ destination: { port: 22 }, network: { transport: "tcp" } });
      const web = event({ destination: { port: 80 }, network: { transport: "tcp" } });
      const dns = event({ destination: { port: 53 }, network: { transport: "udp" } });
      const filtered = rule({
        query: "destination.port:*",
        extra: [
          "[[rule.filters]]",
          "[rule.filters.meta]",
          "negate = false",
          "[rule.filters.query.match_phrase]",
          '"network.transport" = "tcp"',
          "[[rule.filters]]",
          "[rule.filters.meta]",
          "negate = true",
          "[rule.filters.query.term]",
          '"destination.port" = 80',
        ].join("\n"),
      });
      expect(
        evaluateRuleInMemory(filtered, [ssh, web, dns], { now: NOW }).map((d) => d.group["event.id"]),
      ).to.deep.equal([ssh.id]);
    });

    it("names only the addresses an event has in a query rule's group", function () {
      const icmp = event({ source: { ip: "198.18.0.10" } });
      expect(
        evaluateRuleInMemory(rule({ query: "source.ip:*" }), [icmp], { now: NOW })[0]?.group,
      ).to.deep.equal({
        "source.ip": "198.18.0.10",
        "event.id": icmp.id,
      });
    });
  });

  describe("new terms rules", function () {
    const newTerms = rule({
      query: "source.ip:*",
      type: "new_terms",
      extra:
        '[rule.new_terms]\nfield = "new_terms_fields"\nvalue = ["source.ip"]\n[[rule.new_terms.history_window_start]]\nfield = "history_window_start"\nvalue = "now-7d"',
    });
    const from = (ip: string, at: string) => event({ "@timestamp": at, source: { ip } });

    it("detects values of the window the history before it never had, one detection each", function () {
      const events = [
        from("198.18.0.10", "2026-11-25T12:00:00Z"),
        from("198.18.0.10", "2026-11-28T12:05:00Z"),
        from("198.18.0.20", "2026-11-28T12:05:00Z"),
        from("198.18.0.20", "2026-11-28T12:06:00Z"),
        from("198.18.0.30", "2026-11-01T12:00:00Z"),
        from("198.18.0.30", "2026-11-28T12:07:00Z"),
      ];
      const found = evaluateRuleInMemory(newTerms, events, { now: NOW });
      expect(found.map((d) => [d.group, d.evidence.events, d.evidence.firstSeen])).to.deep.equal([
        [{ "source.ip": "198.18.0.20" }, 2, "2026-11-28T12:05:00.000Z"],
        [{ "source.ip": "198.18.0.30" }, 1, "2026-11-28T12:07:00.000Z"],
      ]);
    });
  });

  describe("threshold rules", function () {
    const threshold = (fields: string, value: number, cardinality = "") =>
      rule({
        query: "destination.port:*",
        type: "threshold",
        extra: `[rule.threshold]\nfield = [${fields}]\nvalue = ${value}\n${cardinality}`,
      });
    const probe = (src: string, dst: string, port: number, at = "2026-11-28T12:05:00Z") =>
      event({ "@timestamp": at, source: { ip: src }, destination: { ip: dst, port } });

    it("group by the fields, count events and distinct values, and keep groups at the thresholds", function () {
      const events = [
        probe("198.18.0.10", "10.20.0.10", 22, "2026-11-28T12:02:00Z"),
        probe("198.18.0.10", "10.20.0.10", 80, "2026-11-28T12:03:00.5Z"),
        probe("198.18.0.10", "10.20.0.10", 80),
        probe("198.18.0.10", "10.20.0.11", 22),
      ];
      const card = '[[rule.threshold.cardinality]]\nfield = "destination.port"\nvalue = 2';
      const detections = evaluateRuleInMemory(threshold('"source.ip", "destination.ip"', 3, card), events, {
        now: NOW,
      });
      expect(detections).to.have.length(1);
      expect(detections[0]?.group).to.deep.equal({
        "source.ip": "198.18.0.10",
        "destination.ip": "10.20.0.10",
      });
      expect(detections[0]?.evidence).to.deep.equal({
        events: 3,
        distinct: [{ field: "destination.port", values: 2 }],
        firstSeen: "2026-11-28T12:02:00.000Z",
        lastSeen: "2026-11-28T12:05:00.000Z",
      });
    });

    it("orders groups by key as a composite aggregation does (addresses numerically) and keeps max_signals", function () {
      const events = ["10.0.0.10", "10.0.0.9", "10.0.0.100", "10.0.0.2"].map((src) =>
        probe(src, "10.20.0.10", 1),
      );
      const detections = evaluateRuleInMemory(threshold('"source.ip"', 1), events, { now: NOW });
      expect(detections.map((d) => d.group["source.ip"])).to.deep.equal([
        "10.0.0.2",
        "10.0.0.9",
        "10.0.0.10",
      ]);
    });

    it("leaves out documents without a group field, and makes one bucket per value of a multi-valued one", function () {
      const events = [
        event({ destination: { port: 1 } }),
        event({ source: { ip: ["10.0.0.1", "10.0.0.2"] }, destination: { port: 1 } }),
      ];
      const detections = evaluateRuleInMemory(threshold('"source.ip"', 1), events, { now: NOW });
      expect(detections.map((d) => [d.group["source.ip"], d.evidence.events])).to.deep.equal([
        ["10.0.0.1", 1],
        ["10.0.0.2", 1],
      ]);
    });

    it("with no group fields, count every matching event as one group", function () {
      const events = [probe("10.0.0.1", "10.20.0.10", 1), probe("10.0.0.2", "10.20.0.10", 2)];
      const detections = evaluateRuleInMemory(threshold("", 2), events, { now: NOW });
      expect(detections.map((d) => [d.group, d.evidence.events])).to.deep.equal([[{}, 2]]);
      expect(evaluateRuleInMemory(threshold("", 3), events, { now: NOW })).to.deep.equal([]);
    });
  });
});
