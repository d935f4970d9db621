import { expect } from "chai";
import fc from "fast-check";
import {
  KqlSyntaxError,
  kqlFields,
  kqlToQueryDsl,
  parseKql,
  type KqlNode,
  type KqlRangeOp,
  type KqlValue,
} from "../../harness/detection/rules/kql.js";

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
    ["destination.*:{ a:1 }", 'expected a nested path without wildcards, found "destination.*"', 1, 1],
    ['"":x', "expected a non-empty field name", 1, 1],
    ["a:1\r\nb:2", 'found "b"', 2, 1],
    ["a:b c:d", 'expected "and", "or" or the end of the query, found "c"', 1, 5],
    ["a:b c >= 3", 'expected "and", "or" or the end of the query, found "c"', 1, 5],
    ['(a:1 "b"', 'expected "and", "or" or ")", found "b"', 1, 6],
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

  it("counts the levels of a group only while inside it: 101 groups one after another parse", () => {
    const groups = Array.from({ length: 101 }, (_, i) => `(a:${i})`);
    expect(parseKql(groups.join(" or "))).to.deep.equal(or(...groups.map((_, i) => match("a", String(i)))));
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
    expect(dsl(String.raw`a\*b*`)).to.deep.equal({
      query_string: { query: String.raw`a\*b*`, fields: ["*"], lenient: true },
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

const FIELDS = ["a", "source.ip", "destination.port", "event.action", "x_y", "@timestamp", "android", "NOTE"];
const RANGE_VALUES = ["2", "-1", "1.5", "2020-01-01", "now-1d/d", "10:00", "two words", "and"];
const OPS: Readonly<Record<KqlRangeOp, string>> = { gt: ">", gte: ">=", lt: "<", lte: "<=" };
const WORD_CHARACTERS = Array.from('aZ09._-/@?é=\\():<>"{}\t\r\n');
const QUOTED_CHARACTERS = Array.from('a Z0\\"*()\n\t:');
const WILDCARD = Symbol("wildcard");

const field = fc.constantFrom(...FIELDS);

/** A quoted phrase, or unquoted words (keywords escaped by the printer) with or without wildcards. */
const value: fc.Arbitrary<KqlValue> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc
      .array(fc.constantFrom(...QUOTED_CHARACTERS), { maxLength: 5 })
      .map((cs) => phrase(cs.join(""))),
  },
  {
    weight: 3,
    arbitrary: fc
      .array(
        fc.oneof(
          {
            weight: 1,
            arbitrary: fc.constantFrom("and", "OR", "Not").map((k): (string | typeof WILDCARD)[] => [k]),
          },
          {
            weight: 9,
            arbitrary: fc.array(
              fc.oneof(
                { weight: 2, arbitrary: fc.constant<typeof WILDCARD>(WILDCARD) },
                { weight: 11, arbitrary: fc.constantFrom(...WORD_CHARACTERS) },
              ),
              { minLength: 1, maxLength: 4 },
            ),
          },
        ),
        { minLength: 1, maxLength: 3 },
      )
      .map((words): KqlValue => {
        const wildcard = words.some((word) => word.includes(WILDCARD));
        const literal = (piece: string): string => (wildcard ? piece.replace(/[*?\\]/g, "\\$&") : piece);
        const text = words
          .map((word) => word.map((piece) => (piece === WILDCARD ? "*" : literal(piece))).join(""))
          .join(" ");
        return { text, quoted: false, wildcard };
      }),
  },
);

const leaf: fc.Arbitrary<KqlNode> = fc.oneof(
  fc.tuple(field, value).map(([f, v]) => (v.wildcard && v.text === "*" ? exists(f) : match(f, v))),
  field.map(exists),
  fc
    .tuple(field, fc.constantFrom<KqlRangeOp>("gt", "gte", "lt", "lte"), fc.constantFrom(...RANGE_VALUES))
    .map(([f, op, v]) => range(f, op, v)),
);

/** Random queries: free text only outside nested queries, where Kibana allows it. */
const { query } = fc.letrec<{ query: KqlNode; inner: KqlNode }>((tie) => {
  const compound = (self: fc.Arbitrary<KqlNode>): fc.Arbitrary<KqlNode>[] => [
    self.map(not),
    fc.tuple(field, tie("inner")).map(([f, q]) => nested(f, q)),
    fc.array(self, { minLength: 2, maxLength: 4 }).map((children) => and(...children)),
    fc.array(self, { minLength: 2, maxLength: 4 }).map((children) => or(...children)),
  ];
  return {
    query: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      value.map(text),
      ...compound(tie("query")),
    ),
    inner: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, ...compound(tie("inner"))),
  };
});

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

/** Either parses, or throws a KqlSyntaxError positioned inside the input; never anything else. */
function parsesOrPointsInside(input: string): boolean {
  try {
    const node = parseKql(input);
    kqlToQueryDsl(node);
    kqlFields(node);
  } catch (error) {
    if (!(error instanceof KqlSyntaxError)) throw error;
    const lines = input.split("\n");
    expect(error.line, JSON.stringify(input)).to.be.within(1, lines.length);
    expect(error.column, JSON.stringify(input)).to.be.within(1, (lines[error.line - 1] ?? "").length + 1);
  }
  return true;
}

const FRAGMENTS = [
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

describe("KQL properties (fast-check)", () => {
  it("prints any query so that parsing gives the same tree back, which always translates", () => {
    fc.assert(
      fc.property(query, (node) => {
        const source = printKql(node);
        expect(parseKql(source), source).to.deep.equal(node);
        expect(() => JSON.stringify(kqlToQueryDsl(node))).not.to.throw();
      }),
      { numRuns: 2000 },
    );
  });

  it("never crashes on arbitrary strings: a tree or a positioned KqlSyntaxError", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 60 }), parsesOrPointsInside), {
      numRuns: 2000,
    });
  });

  it("never crashes on strings made of KQL's own tokens", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 30 }).map((f) => f.join("")),
        parsesOrPointsInside,
      ),
      { numRuns: 2000 },
    );
  });

  it("never crashes on valid queries with a piece cut out or pasted in", () => {
    const mutated = fc
      .tuple(
        fc.oneof(fc.constantFrom(PORT_SCAN_RULE, LATERAL_RULE), query.map(printKql)),
        fc.nat(),
        fc.nat(),
        fc.constantFrom(...FRAGMENTS, ""),
      )
      .map(([source, at, length, insert]) => {
        const start = at % (source.length + 1);
        return source.slice(0, start) + insert + source.slice(start + (length % 9));
      });
    fc.assert(fc.property(mutated, parsesOrPointsInside), { numRuns: 2000 });
  });

  // How long these take is measured by `npm run bench -- kql`; the test's timeout catches a hang.
  it("parses or refuses very large and deeply nested inputs without overflowing the stack", () => {
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
      try {
        kqlToQueryDsl(parseKql(input));
      } catch (error) {
        expect(error, input.slice(0, 20)).to.be.instanceOf(KqlSyntaxError);
      }
    }
  });
});
