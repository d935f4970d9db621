import { expect } from "chai";
import { performance } from "node:perf_hooks";
import {
  KqlSyntaxError,
  kqlFields,
  kqlToQueryDsl,
  parseKql,
  type KqlNode,
  type KqlRangeOp,
  type KqlValue,
} from "../../harness/detection/kql.js";

const plain = (text: string): KqlValue => ({ text, quoted: false, wildcard: false });
const phrase = (text: string): KqlValue => ({ text, quoted: true, wildcard: false });
const pattern = (text: string): KqlValue => ({ text, quoted: false, wildcard: true });
const match = (field: string, value: KqlValue | string): KqlNode => ({
  kind: "match",
  field,
  value: typeof value === "string" ? plain(value) : value,
});
const exists = (field: string): KqlNode => ({ kind: "exists", field });
const range = (field: string, op: KqlRangeOp, value: string): KqlNode => ({
  kind: "range",
  field,
  op,
  value,
});
const text = (value: KqlValue | string): KqlNode => ({
  kind: "text",
  value: typeof value === "string" ? plain(value) : value,
});
const and = (...children: KqlNode[]): KqlNode => ({ kind: "and", children });
const or = (...children: KqlNode[]): KqlNode => ({ kind: "or", children });
const not = (child: KqlNode): KqlNode => ({ kind: "not", child });
const nested = (path: string, query: KqlNode): KqlNode => ({ kind: "nested", path, query });

function syntaxError(source: string): KqlSyntaxError {
  try {
    parseKql(source);
  } catch (error) {
    if (error instanceof KqlSyntaxError) return error;
    throw error;
  }
  return expect.fail(`expected ${JSON.stringify(source)} to be rejected`);
}

const PORT_SCAN_RULE = `destination.port : * and event.action : ("network_flow" or "flow_started") and
  not network.packets > 2 and source.ip : (10.0.0.0/8 or 172.16.0.0/12 or 192.168.0.0/16)`;
const LATERAL_RULE =
  "event.category:network and destination.port:(21 or 22 or 23 or 25 or 139 or 445 or 3389 or 5985 or 5986) and source.ip:(10.0.0.0/8 or 172.16.0.0/12 or 192.168.0.0/16)";
const PRIVATE_RANGES = or(
  match("source.ip", "10.0.0.0/8"),
  match("source.ip", "172.16.0.0/12"),
  match("source.ip", "192.168.0.0/16"),
);

describe("parseKql", () => {
  describe("field:value", () => {
    it("parses with or without whitespace around the colon", () => {
      for (const source of ["a.b:c", "a.b : c", "a.b :c", "a.b: c", "\n  a.b\t:\n c \n"]) {
        expect(parseKql(source), source).to.deep.equal(match("a.b", "c"));
      }
    });

    it("keeps numbers, booleans and CIDR blocks as literal strings", () => {
      expect(parseKql("destination.port:445")).to.deep.equal(match("destination.port", "445"));
      expect(parseKql("x:-1.5")).to.deep.equal(match("x", "-1.5"));
      expect(parseKql("tls.established:true")).to.deep.equal(match("tls.established", "true"));
      expect(parseKql("source.ip: 172.16.0.0/12")).to.deep.equal(match("source.ip", "172.16.0.0/12"));
    });

    it("reads unquoted words up to a keyword as one value, keeping the whitespace between them", () => {
      expect(parseKql("message: connection  refused or x:1")).to.deep.equal(
        or(match("message", "connection  refused"), match("x", "1")),
      );
    });

    it("stops an unquoted value before the next field", () => {
      expect(() => parseKql("a:1 b:2")).to.throw(KqlSyntaxError, 'found "b"');
    });

    it("reads quoted phrases with escapes", () => {
      expect(parseKql('a:"hello world"')).to.deep.equal(match("a", phrase("hello world")));
      expect(parseKql(String.raw`a:"say \"hi\" \\ o/"`)).to.deep.equal(match("a", phrase('say "hi" \\ o/')));
      expect(parseKql(String.raw`a:"tab\there\u0041"`)).to.deep.equal(match("a", phrase("tab\thereA")));
      expect(parseKql(String.raw`a:"C:\temp\x"`)).to.deep.equal(match("a", phrase("C:\temp\\x")));
      expect(parseKql('a:"*, and, (or)"')).to.deep.equal(match("a", phrase("*, and, (or)")));
      expect(parseKql('a:""')).to.deep.equal(match("a", phrase("")));
    });

    it("accepts quoted field names", () => {
      expect(parseKql('"odd field":x')).to.deep.equal(match("odd field", "x"));
    });

    it("resolves every escape in unquoted values", () => {
      const source = String.raw`a:\\\(\)\:\<\>\"\*\{\}`;
      expect(parseKql(source)).to.deep.equal(match("a", String.raw`\():<>"*{}`));
      expect(parseKql(String.raw`a:x\ty\rz\n\u00e9`)).to.deep.equal(match("a", "x\ty\rz\n\u00e9"));
    });

    it("treats escaped keywords as words, keeping their case", () => {
      expect(parseKql(String.raw`a:\and`)).to.deep.equal(match("a", "and"));
      expect(parseKql(String.raw`a:\OR`)).to.deep.equal(match("a", "OR"));
      expect(parseKql(String.raw`a:\not`)).to.deep.equal(match("a", "not"));
      expect(parseKql(String.raw`a:black \and white`)).to.deep.equal(match("a", "black and white"));
    });

    it("treats words that merely contain a keyword as values", () => {
      expect(parseKql("brand:android or note:NOTE")).to.deep.equal(
        or(match("brand", "android"), match("note", "NOTE")),
      );
    });
  });

  describe("wildcards", () => {
    it("turns field:* into exists", () => {
      expect(parseKql("destination.port : *")).to.deep.equal(exists("destination.port"));
    });

    it("marks unquoted values with unescaped * as wildcard patterns", () => {
      expect(parseKql("process.name:power*")).to.deep.equal(match("process.name", pattern("power*")));
      expect(parseKql("a:**")).to.deep.equal(match("a", pattern("**")));
      expect(parseKql("a:*shell *.exe")).to.deep.equal(match("a", pattern("*shell *.exe")));
    });

    it("escapes literal *, ? and \\ in wildcard patterns", () => {
      expect(parseKql(String.raw`a:x\*y?z\\*`)).to.deep.equal(match("a", pattern(String.raw`x\*y\?z\\*`)));
    });

    it("treats escaped and quoted * as literal text", () => {
      expect(parseKql(String.raw`a:\*`)).to.deep.equal(match("a", "*"));
      expect(parseKql('a:"*"')).to.deep.equal(match("a", phrase("*")));
    });
  });

  describe("ranges", () => {
    it("parses every operator, with or without whitespace", () => {
      expect(parseKql("network.packets > 2")).to.deep.equal(range("network.packets", "gt", "2"));
      expect(parseKql("network.packets>=10")).to.deep.equal(range("network.packets", "gte", "10"));
      expect(parseKql("network.packets <2")).to.deep.equal(range("network.packets", "lt", "2"));
      expect(parseKql("network.packets<= 2")).to.deep.equal(range("network.packets", "lte", "2"));
    });

    it("accepts quoted and date values", () => {
      expect(parseKql('@timestamp <= "2020-01-01"')).to.deep.equal(range("@timestamp", "lte", "2020-01-01"));
      expect(parseKql("@timestamp > now-1d/d")).to.deep.equal(range("@timestamp", "gt", "now-1d/d"));
    });
  });

  describe("value lists", () => {
    it("expands or, and and not lists into per-field clauses", () => {
      expect(parseKql("a:(x or y or z)")).to.deep.equal(
        or(match("a", "x"), match("a", "y"), match("a", "z")),
      );
      expect(parseKql("a:(x and y)")).to.deep.equal(and(match("a", "x"), match("a", "y")));
      expect(parseKql("a:(not x)")).to.deep.equal(not(match("a", "x")));
      expect(parseKql("a:(x)")).to.deep.equal(match("a", "x"));
    });

    it("nests lists and mixes quoted, wildcard and exists values", () => {
      expect(parseKql('a:(x or (y and "z z"))')).to.deep.equal(
        or(match("a", "x"), and(match("a", "y"), match("a", phrase("z z")))),
      );
      expect(parseKql("a:(* or b* or not c)")).to.deep.equal(
        or(exists("a"), match("a", pattern("b*")), not(match("a", "c"))),
      );
    });

    it("applies precedence inside lists", () => {
      expect(parseKql("a:(x or y and z)")).to.deep.equal(
        or(match("a", "x"), and(match("a", "y"), match("a", "z"))),
      );
      expect(parseKql("a:(not x and y)")).to.deep.equal(and(not(match("a", "x")), match("a", "y")));
    });
  });

  describe("nested queries", () => {
    it("keeps inner field names relative to the path", () => {
      expect(parseKql("user:{ name:alice and age >= 30 }")).to.deep.equal(
        nested("user", and(match("name", "alice"), range("age", "gte", "30"))),
      );
    });

    it("nests inside nested queries and boolean expressions", () => {
      expect(parseKql("not a:{ b:{ c:* } or d:(1 or 2) } and e:f")).to.deep.equal(
        and(
          not(nested("a", or(nested("b", exists("c")), or(match("d", "1"), match("d", "2"))))),
          match("e", "f"),
        ),
      );
    });
  });

  describe("free text", () => {
    it("parses bare values as text", () => {
      expect(parseKql("nmap")).to.deep.equal(text("nmap"));
      expect(parseKql('"port scan"')).to.deep.equal(text(phrase("port scan")));
      expect(parseKql("masscan*")).to.deep.equal(text(pattern("masscan*")));
      expect(parseKql("port scan and nmap")).to.deep.equal(and(text("port scan"), text("nmap")));
    });
  });

  describe("boolean operators", () => {
    it("binds not tighter than and, and tighter than or", () => {
      expect(parseKql("a:1 or b:2 and c:3")).to.deep.equal(
        or(match("a", "1"), and(match("b", "2"), match("c", "3"))),
      );
      expect(parseKql("a:1 and b:2 or c:3 and d:4")).to.deep.equal(
        or(and(match("a", "1"), match("b", "2")), and(match("c", "3"), match("d", "4"))),
      );
      expect(parseKql("not a:1 and b:2")).to.deep.equal(and(not(match("a", "1")), match("b", "2")));
      expect(parseKql("not a:1 or b:2")).to.deep.equal(or(not(match("a", "1")), match("b", "2")));
    });

    it("groups with parentheses", () => {
      expect(parseKql("(a:1 or b:2) and c:3")).to.deep.equal(
        and(or(match("a", "1"), match("b", "2")), match("c", "3")),
      );
      expect(parseKql("not (a:1 or b:2)")).to.deep.equal(not(or(match("a", "1"), match("b", "2"))));
      expect(parseKql("((a:1))")).to.deep.equal(match("a", "1"));
    });

    it("keeps explicit grouping of the same operator", () => {
      expect(parseKql("a:1 and (b:2 and c:3)")).to.deep.equal(
        and(match("a", "1"), and(match("b", "2"), match("c", "3"))),
      );
    });

    it("reads keywords case-insensitively", () => {
      expect(parseKql("NOT a:1 AND b:2 Or c:3")).to.deep.equal(
        or(and(not(match("a", "1")), match("b", "2")), match("c", "3")),
      );
    });

    it("allows not to be repeated", () => {
      expect(parseKql("not not a:1")).to.deep.equal(not(not(match("a", "1"))));
    });
  });

  describe("Elastic rule queries", () => {
    it("parses the multi-line port scan rule", () => {
      expect(parseKql(PORT_SCAN_RULE)).to.deep.equal(
        and(
          exists("destination.port"),
          or(match("event.action", phrase("network_flow")), match("event.action", phrase("flow_started"))),
          not(range("network.packets", "gt", "2")),
          PRIVATE_RANGES,
        ),
      );
    });

    it("parses the lateral movement port list rule", () => {
      const ports = ["21", "22", "23", "25", "139", "445", "3389", "5985", "5986"];
      expect(parseKql(LATERAL_RULE)).to.deep.equal(
        and(
          match("event.category", "network"),
          or(...ports.map((port) => match("destination.port", port))),
          PRIVATE_RANGES,
        ),
      );
    });

    it("parses the <= form of the packet threshold", () => {
      expect(parseKql("not network.packets <= 2")).to.deep.equal(not(range("network.packets", "lte", "2")));
    });
  });
});

describe("parseKql errors", () => {
  const cases: readonly (readonly [source: string, message: string, line: number, column: number])[] = [
    [
      "event.category:network and\ndestination.port:",
      'expected a value after "destination.port:", found the end of the query',
      2,
      18,
    ],
    ["a:1 and\n  destination.port: and x", 'expected a value after "destination.port:", found "and"', 2, 21],
    ["", "expected a query, found the end of the query", 1, 1],
    ["  \n   ", "expected a query", 2, 4],
    ["a:1 and", 'expected a field, a value, "not" or "(", found the end of the query', 1, 8],
    ["a:1 and or b:2", 'expected a field, a value, "not" or "(", found "or"', 1, 9],
    ["not", 'expected a field, a value, "not" or "("', 1, 4],
    [")", 'expected a field, a value, "not" or "(", found ")"', 1, 1],
    ["a:1 )", 'expected "and", "or" or the end of the query, found ")"', 1, 5],
    ["a:b:c", 'expected "and", "or" or the end of the query, found ":"', 1, 4],
    ["(a:1\n or b:2", 'expected "and", "or" or ")", found the end of the query', 2, 8],
    ["a:(1 or 2", 'expected "and", "or" or ")"', 1, 10],
    ["a:()", 'expected a value after "(", found ")"', 1, 4],
    ["a:(1 or )", 'expected a value after "or", found ")"', 1, 9],
    ["a:(not)", 'expected a value after "not", found ")"', 1, 7],
    ["a:{ b:1", 'expected "and", "or" or "}", found the end of the query', 1, 8],
    ["a:{ }", 'expected a field, "not" or "(", found "}"', 1, 5],
    ["a:{ b }", 'expected ":" or a range operator after the field "b", found "}"', 1, 7],
    ['x:1 or\n  a:"never closed', "expected a closing quote for the string starting here", 2, 5],
    [String.raw`a:b\q`, String.raw`after "\"`, 1, 4],
    [String.raw`a:b\u12`, String.raw`after "\"`, 1, 4],
    ["a:b\\", String.raw`after "\"`, 1, 4],
    ["a >=", 'expected a value after "a >=", found the end of the query', 1, 5],
    ["a < (1)", 'expected a value after "a <", found "("', 1, 5],
    ["a > 1*", 'expected a value without wildcards after "a >", found "1*"', 1, 5],
    ["destination.*:x", 'expected a field name without wildcards, found "destination.*"', 1, 1],
    ['"":x', "expected a non-empty field name", 1, 1],
    ["a:1\r\nb:2", 'found "b"', 2, 1],
    [
      "(".repeat(101) + "a:1" + ")".repeat(101),
      'expected at most 100 nested levels of "(", "{" and "not"',
      1,
      101,
    ],
  ];

  for (const [source, message, line, column] of cases) {
    it(`rejects ${JSON.stringify(source.length > 40 ? `${source.slice(0, 40)}…` : source)}`, () => {
      const error = syntaxError(source);
      expect(error.message).to.include(message);
      expect(error.message).to.match(new RegExp(` at line ${line}, column ${column}$`));
      expect([error.line, error.column]).to.deep.equal([line, column]);
      expect(error.name).to.equal("KqlSyntaxError");
    });
  }

  it("accepts 100 nested levels", () => {
    expect(parseKql("(".repeat(100) + "a:1" + ")".repeat(100))).to.deep.equal(match("a", "1"));
  });
});

describe("kqlToQueryDsl", () => {
  const dsl = (source: string): Record<string, unknown> => kqlToQueryDsl(parseKql(source));

  it("translates and, or and not to bool queries", () => {
    expect(dsl("a:1 and b:2")).to.deep.equal({
      bool: { filter: [{ match: { a: "1" } }, { match: { b: "2" } }] },
    });
    expect(dsl("a:1 or b:2")).to.deep.equal({
      bool: { should: [{ match: { a: "1" } }, { match: { b: "2" } }], minimum_should_match: 1 },
    });
    expect(dsl("not a:1")).to.deep.equal({ bool: { must_not: [{ match: { a: "1" } }] } });
  });

  it("translates values by kind", () => {
    expect(dsl("source.ip:10.0.0.0/8")).to.deep.equal({ match: { "source.ip": "10.0.0.0/8" } });
    expect(dsl('a:"x y"')).to.deep.equal({ match_phrase: { a: "x y" } });
    expect(dsl("a:x*")).to.deep.equal({ wildcard: { a: { value: "x*", case_insensitive: false } } });
    expect(dsl(String.raw`a:what?\**`)).to.deep.equal({
      wildcard: { a: { value: String.raw`what\?\**`, case_insensitive: false } },
    });
    expect(dsl("a:*")).to.deep.equal({ exists: { field: "a" } });
  });

  it("translates ranges", () => {
    expect(dsl("a > 1")).to.deep.equal({ range: { a: { gt: "1" } } });
    expect(dsl('@timestamp <= "2020-01-01"')).to.deep.equal({
      range: { "@timestamp": { lte: "2020-01-01" } },
    });
  });

  it("translates nested queries with full field paths", () => {
    expect(dsl("a:{ b:1 and c:{ d >= 2 } }")).to.deep.equal({
      nested: {
        path: "a",
        score_mode: "none",
        query: {
          bool: {
            filter: [
              { match: { "a.b": "1" } },
              { nested: { path: "a.c", score_mode: "none", query: { range: { "a.c.d": { gte: "2" } } } } },
            ],
          },
        },
      },
    });
  });

  it("translates free text across all fields", () => {
    expect(dsl("nmap scan")).to.deep.equal({
      multi_match: { query: "nmap scan", fields: ["*"], type: "best_fields", lenient: true },
    });
    expect(dsl('"nmap scan"')).to.deep.equal({
      multi_match: { query: "nmap scan", fields: ["*"], type: "phrase", lenient: true },
    });
    expect(dsl(String.raw`nmap -sS\:x *.nse`)).to.deep.equal({
      query_string: { query: String.raw`nmap\ \-sS\:x\ *.nse`, fields: ["*"], lenient: true },
    });
  });

  it("translates the port scan rule", () => {
    const privateRanges = {
      bool: {
        should: [
          { match: { "source.ip": "10.0.0.0/8" } },
          { match: { "source.ip": "172.16.0.0/12" } },
          { match: { "source.ip": "192.168.0.0/16" } },
        ],
        minimum_should_match: 1,
      },
    };
    expect(dsl(PORT_SCAN_RULE)).to.deep.equal({
      bool: {
        filter: [
          { exists: { field: "destination.port" } },
          {
            bool: {
              should: [
                { match_phrase: { "event.action": "network_flow" } },
                { match_phrase: { "event.action": "flow_started" } },
              ],
              minimum_should_match: 1,
            },
          },
          { bool: { must_not: [{ range: { "network.packets": { gt: "2" } } }] } },
          privateRanges,
        ],
      },
    });
  });
});

describe("kqlFields", () => {
  it("lists each referenced field once, in order, nested fields by full path", () => {
    expect(kqlFields(parseKql(PORT_SCAN_RULE))).to.deep.equal([
      "destination.port",
      "event.action",
      "network.packets",
      "source.ip",
    ]);
    expect(kqlFields(parseKql("free text or a:{ b:1 and c:{ d:* } } or a.b > 2"))).to.deep.equal([
      "a.b",
      "a.c.d",
    ]);
  });
});

class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32 */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  character(characters: string): string {
    return characters.charAt(this.int(characters.length));
  }
}

const FIELDS = ["a", "source.ip", "destination.port", "event.action", "x_y", "@timestamp", "android", "NOTE"];
const RANGE_VALUES = ["2", "-1", "1.5", "2020-01-01", "now-1d/d", "10:00", "two words", "and"];
const OPS: Readonly<Record<KqlRangeOp, string>> = { gt: ">", gte: ">=", lt: "<", lte: "<=" };
const WORD_CHARACTERS = 'aZ09._-/@?é=\\():<>"{}\t\r\n';
const QUOTED_CHARACTERS = 'a Z0\\"*()\n\t:';
const KEYWORDS = ["and", "OR", "Not"];
const WILDCARD = Symbol("wildcard");

function randomValue(random: Random): KqlValue {
  if (random.chance(0.25)) {
    const length = random.int(6);
    return phrase(Array.from({ length }, () => random.character(QUOTED_CHARACTERS)).join(""));
  }
  const words: (string | typeof WILDCARD)[][] = Array.from({ length: 1 + random.int(3) }, () =>
    random.chance(0.1)
      ? [random.pick(KEYWORDS)]
      : Array.from({ length: 1 + random.int(4) }, () =>
          random.chance(0.15) ? WILDCARD : random.character(WORD_CHARACTERS),
        ),
  );
  const wildcard = words.some((word) => word.includes(WILDCARD));
  const literal = (piece: string): string => (wildcard ? piece.replace(/[*?\\]/g, "\\$&") : piece);
  const value = words
    .map((word) => word.map((piece) => (piece === WILDCARD ? "*" : literal(piece))).join(""))
    .join(" ");
  return { text: value, quoted: false, wildcard };
}

function randomNode(random: Random, depth: number, inNested: boolean): KqlNode {
  const leaves = inNested ? 3 : 4;
  const choice = random.int(depth > 0 ? leaves + 4 : leaves);
  const field = random.pick(FIELDS);
  switch (choice) {
    case 0: {
      const value = randomValue(random);
      return value.wildcard && value.text === "*" ? exists(field) : match(field, value);
    }
    case 1:
      return exists(field);
    case 2:
      return range(field, random.pick(["gt", "gte", "lt", "lte"] as const), random.pick(RANGE_VALUES));
    case leaves:
      return not(randomNode(random, depth - 1, inNested));
    case leaves + 1:
      return nested(field, randomNode(random, depth - 1, true));
    case leaves + 2:
    case leaves + 3: {
      const children = Array.from({ length: 2 + random.int(3) }, () =>
        randomNode(random, depth - 1, inNested),
      );
      return choice === leaves + 2 ? and(...children) : or(...children);
    }
    default:
      return text(randomValue(random));
  }
}

function printUnquoted(value: KqlValue): string {
  return value.text
    .split(" ")
    .map((word) => {
      let printed = "";
      for (let i = 0; i < word.length; i++) {
        let c = word.charAt(i);
        if (value.wildcard && c === "\\") c = word.charAt(++i);
        else if (value.wildcard && c === "*") {
          printed += "*";
          continue;
        }
        // `\not` would read as the escaped keyword, so a newline before "ot" needs the unicode escape.
        if (c === "\n") printed += /^ot/i.test(word.slice(i + 1)) ? "\\u000a" : "\\n";
        else if (c === "\t") printed += "\\t";
        else if (c === "\r") printed += "\\r";
        else printed += '\\():<>"*{}'.includes(c) ? `\\${c}` : c;
      }
      return /^(and|or|not)$/i.test(printed) ? `\\${printed}` : printed;
    })
    .join(" ");
}

function printValue(value: KqlValue): string {
  return value.quoted ? `"${value.text.replace(/[\\"]/g, "\\$&")}"` : printUnquoted(value);
}

function printRangeValue(value: string): string {
  return /^[\w./-]+$/.test(value) && !/^(and|or|not)$/i.test(value) ? value : printValue(phrase(value));
}

function printKql(node: KqlNode): string {
  const wrapIf = (child: KqlNode, kinds: readonly KqlNode["kind"][]): string =>
    kinds.includes(child.kind) ? `(${printKql(child)})` : printKql(child);
  switch (node.kind) {
    case "or":
      return node.children.map((child) => wrapIf(child, ["or"])).join(" or ");
    case "and":
      return node.children.map((child) => wrapIf(child, ["or", "and"])).join(" and ");
    case "not":
      return `not ${wrapIf(node.child, ["or", "and"])}`;
    case "match":
      return `${node.field}:${printValue(node.value)}`;
    case "exists":
      return `${node.field}:*`;
    case "range":
      return `${node.field} ${OPS[node.op]} ${printRangeValue(node.value)}`;
    case "nested":
      return `${node.path}:{ ${printKql(node.query)} }`;
    case "text":
      return printValue(node.value);
  }
}

describe("KQL properties", () => {
  it("round-trips 2000 random queries through printKql and parseKql", () => {
    const random = new Random(0x5ca9);
    for (let i = 0; i < 2000; i++) {
      const query = randomNode(random, 4, false);
      const source = printKql(query);
      expect(parseKql(source), source).to.deep.equal(query);
      expect(() => JSON.stringify(kqlToQueryDsl(query))).not.to.throw();
    }
  });

  it("either parses or throws a positioned KqlSyntaxError for 4000 random and mutated inputs", () => {
    const random = new Random(0xf022);
    const seeds = [
      PORT_SCAN_RULE,
      LATERAL_RULE,
      ...Array.from({ length: 50 }, () => printKql(randomNode(random, 3, false))),
    ];
    const fragments = [
      ...["(", ")", ":", "<", ">", "=", '"', "*", "{", "}", "\\", " ", "\n", "\t"],
      "and",
      " or ",
      "not ",
      "a",
      "b.c",
      "1",
      "\\and",
      "\\u00",
      '"x',
    ];
    const mutate = (source: string): string => {
      const at = random.int(source.length + 1);
      switch (random.int(3)) {
        case 0:
          return source.slice(0, at) + source.slice(at + 1 + random.int(8));
        case 1:
          return source.slice(0, at) + random.pick(fragments) + source.slice(at);
        default:
          return source.slice(0, at) + source.slice(random.int(source.length + 1));
      }
    };
    let parsed = 0;
    for (let i = 0; i < 4000; i++) {
      const input =
        i % 2 === 0
          ? Array.from({ length: random.int(30) }, () => random.pick(fragments)).join("")
          : Array.from({ length: 1 + random.int(4) }).reduce<string>(mutate, random.pick(seeds));
      const started = performance.now();
      try {
        const node = parseKql(input);
        kqlToQueryDsl(node);
        kqlFields(node);
        parsed++;
      } catch (error) {
        expect(error, JSON.stringify(input)).to.be.instanceOf(KqlSyntaxError);
        const { line, column } = error as KqlSyntaxError;
        const lines = input.split("\n");
        expect(line, JSON.stringify(input)).to.be.within(1, lines.length);
        expect(column, JSON.stringify(input)).to.be.within(1, (lines[line - 1] ?? "").length + 1);
      }
      expect(performance.now() - started, JSON.stringify(input)).to.be.below(250);
    }
    expect(parsed).to.be.within(100, 3900);
  });

  it("handles very large and deeply nested inputs quickly", () => {
    const inputs = [
      "(".repeat(100_000),
      "not ".repeat(100_000) + "a:1",
      "a:".repeat(100_000),
      "a:" + "(".repeat(100_000),
      "x".repeat(200_000),
      '"'.repeat(100_001),
      "\\".repeat(100_001),
      Array.from({ length: 50_000 }, (_, i) => `f${i}:${i}`).join(" or\n"),
    ];
    for (const input of inputs) {
      const started = performance.now();
      try {
        kqlToQueryDsl(parseKql(input));
      } catch (error) {
        expect(error).to.be.instanceOf(KqlSyntaxError);
      }
      expect(performance.now() - started, input.slice(0, 20)).to.be.below(2000);
    }
  });
});
