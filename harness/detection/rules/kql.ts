/**
 * Kibana Query Language (the `language = "kuery"` of Elastic detection rules): parser and translation
 * to Elasticsearch query DSL, written from the public description of the syntax.
 *
 * Deliberate differences from Kibana:
 * - `and`, `or` and `not` are keywords wherever they stand as a whole word, so a value spelled like one
 *   must be escaped (`\and`) or quoted.
 * - `\` followed by a keyword is an escaped keyword before it is an escaped whitespace, so `\not` is
 *   the word "not" rather than a newline followed by "ot".
 * - `not` may be repeated (`not not a`).
 * - Inside a nested query every clause needs a field, and a nested path may not contain wildcards.
 * - A field name may not contain an escaped (literal) `*`: an unescaped one makes it a pattern.
 *
 * A field name with `*` (`file.hash.*:abc`) is a pattern, expanded as Kibana expands it: into every
 * field of the searched indices whose name it matches, any one of which may match (`kqlToQueryDsl`'s
 * `fieldsMatching`, which the engines give from the mappings); a pattern no field matches is sent as
 * it is written, as Kibana sends it, and so matches nothing.
 * - An empty query is an error rather than "match everything".
 */

import { PositionedSyntaxError } from "./syntax-error.js";

export type KqlRangeOp = "gt" | "gte" | "lt" | "lte";

export interface KqlValue {
  /**
   * The value with KQL escapes resolved. When `wildcard` is set it is an Elasticsearch wildcard pattern
   * instead: each unescaped `*` is a wildcard, and a literal `*`, `?` or `\` is escaped with `\`.
   */
  readonly text: string;
  readonly quoted: boolean;
  readonly wildcard: boolean;
}

export type KqlNode =
  | { readonly kind: "or"; readonly children: readonly KqlNode[] }
  | { readonly kind: "and"; readonly children: readonly KqlNode[] }
  | { readonly kind: "not"; readonly child: KqlNode }
  | { readonly kind: "match"; readonly field: string; readonly value: KqlValue }
  | { readonly kind: "exists"; readonly field: string }
  | { readonly kind: "range"; readonly field: string; readonly op: KqlRangeOp; readonly value: string }
  /** Field names inside `query` are relative to `path`. */
  | { readonly kind: "nested"; readonly path: string; readonly query: KqlNode }
  | { readonly kind: "text"; readonly value: KqlValue };

interface Position {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

export class KqlSyntaxError extends PositionedSyntaxError {
  override readonly name = "KqlSyntaxError";
}

const KEYWORDS = ["and", "or", "not"] as const;
type Keyword = (typeof KEYWORDS)[number];

type TokenBody =
  | { readonly kind: "(" | ")" | "{" | "}" | ":" | "end" | Keyword }
  | { readonly kind: "range"; readonly op: KqlRangeOp }
  | { readonly kind: "string"; readonly text: string }
  | { readonly kind: "word"; readonly text: string; readonly pattern: string; readonly wildcard: boolean };
type Token = Position & { readonly end: number; readonly raw: string } & TokenBody;
type ValueToken = Extract<Token, { kind: "string" | "word" }>;
type RangeToken = Extract<Token, { kind: "range" }>;

const WHITESPACE = new Set([" ", "\t", "\r", "\n"]);
const ESCAPED_WHITESPACE = new Map([
  ["t", "\t"],
  ["r", "\r"],
  ["n", "\n"],
]);
const SPECIAL_CHARACTERS = new Set(["\\", "(", ")", ":", "<", ">", '"', "*", "{", "}"]);
const PATTERN_SPECIAL_CHARACTERS = new Set(["*", "?", "\\"]);
const WORD_BREAKS = new Set([...WHITESPACE, "(", ")", ":", "<", ">", '"', "{", "}"]);
const UNICODE_ESCAPE = /u([0-9a-fA-F]{4})/y;
const MAX_DEPTH = 100;

class Scanner {
  private offset = 0;
  private line = 1;
  private column = 1;

  constructor(private readonly source: string) {}

  scan(): { tokens: Token[]; end: Token } {
    const tokens: Token[] = [];
    for (;;) {
      while (WHITESPACE.has(this.peek())) this.advance();
      const start = this.position();
      if (this.offset === this.source.length) return { tokens, end: this.token(start, { kind: "end" }) };
      tokens.push(this.next(start));
    }
  }

  private next(start: Position): Token {
    const c = this.peek();
    switch (c) {
      case "(":
      case ")":
      case "{":
      case "}":
      case ":":
        this.advance();
        return this.token(start, { kind: c });
      case "<":
      case ">": {
        this.advance();
        const inclusive = this.peek() === "=";
        if (inclusive) this.advance();
        const op = c === "<" ? (inclusive ? "lte" : "lt") : inclusive ? "gte" : "gt";
        return this.token(start, { kind: "range", op });
      }
      case '"':
        return this.quoted(start);
      default:
        return this.word(start);
    }
  }

  private quoted(start: Position): Token {
    this.advance();
    let text = "";
    for (;;) {
      if (this.offset === this.source.length) {
        throw new KqlSyntaxError("expected a closing quote for the string starting here", start);
      }
      const c = this.advance();
      if (c === '"') return this.token(start, { kind: "string", text });
      text += c === "\\" ? this.quotedEscape() : c;
    }
  }

  private quotedEscape(): string {
    const c = this.peek();
    if (c === '"' || c === "\\") return this.advance();
    return this.whitespaceOrUnicodeEscape() ?? "\\";
  }

  private word(start: Position): Token {
    let text = "";
    let pattern = "";
    let wildcard = false;
    while (this.offset < this.source.length && !WORD_BREAKS.has(this.peek())) {
      if (this.peek() === "*") {
        wildcard = true;
        text += this.advance();
        pattern += "*";
      } else {
        const literal = this.peek() === "\\" ? this.unquotedEscape() : this.advance();
        text += literal;
        pattern += PATTERN_SPECIAL_CHARACTERS.has(literal) ? `\\${literal}` : literal;
      }
    }
    const lowercase = this.source.slice(start.offset, this.offset).toLowerCase();
    const keyword = KEYWORDS.find((k) => k === lowercase);
    return this.token(start, keyword ? { kind: keyword } : { kind: "word", text, pattern, wildcard });
  }

  private unquotedEscape(): string {
    const backslash = this.position();
    this.advance();
    const keyword = KEYWORDS.find(
      (k) => this.source.slice(this.offset, this.offset + k.length).toLowerCase() === k,
    );
    if (keyword) return this.take(keyword.length);
    if (SPECIAL_CHARACTERS.has(this.peek())) return this.advance();
    const escaped = this.whitespaceOrUnicodeEscape();
    if (escaped !== undefined) return escaped;
    throw new KqlSyntaxError(
      'expected one of \\ ( ) : < > " * { }, t, r, n, uXXXX or a keyword after "\\"',
      backslash,
    );
  }

  private whitespaceOrUnicodeEscape(): string | undefined {
    const whitespace = ESCAPED_WHITESPACE.get(this.peek());
    if (whitespace !== undefined) {
      this.advance();
      return whitespace;
    }
    UNICODE_ESCAPE.lastIndex = this.offset;
    const hex = UNICODE_ESCAPE.exec(this.source)?.[1];
    if (hex === undefined) return undefined;
    this.take(5);
    return String.fromCharCode(parseInt(hex, 16));
  }

  private peek(): string {
    return this.source.charAt(this.offset);
  }

  private advance(): string {
    const c = this.peek();
    this.offset++;
    if (c === "\n") {
      this.line++;
      this.column = 1;
    } else {
      this.column++;
    }
    return c;
  }

  private take(count: number): string {
    const start = this.offset;
    for (let i = 0; i < count; i++) this.advance();
    return this.source.slice(start, this.offset);
  }

  private position(): Position {
    return { offset: this.offset, line: this.line, column: this.column };
  }

  private token(start: Position, body: TokenBody): Token {
    const { offset, line, column } = start;
    return { offset, line, column, end: this.offset, raw: this.source.slice(offset, this.offset), ...body };
  }
}

class Parser {
  private readonly tokens: readonly Token[];
  private readonly end: Token;
  private index = 0;
  private depth = 0;

  constructor(private readonly source: string) {
    const { tokens, end } = new Scanner(source).scan();
    this.tokens = tokens;
    this.end = end;
  }

  parse(): KqlNode {
    if (this.peek().kind === "end") this.fail("expected a query");
    const query = this.query(false);
    this.expect("end", 'expected "and", "or" or the end of the query');
    return query;
  }

  private query(nested: boolean): KqlNode {
    return this.boolean(() => this.clause(nested));
  }

  private boolean(operand: () => KqlNode): KqlNode {
    return this.chain("or", () => this.chain("and", () => this.negatable(operand)));
  }

  private chain(kind: "and" | "or", operand: () => KqlNode): KqlNode {
    const first = operand();
    const children = [first];
    while (this.accept(kind)) children.push(operand());
    return children.length === 1 ? first : { kind, children };
  }

  private negatable(operand: () => KqlNode): KqlNode {
    const not = this.accept("not");
    return not ? this.nest(not, () => ({ kind: "not", child: this.negatable(operand) })) : operand();
  }

  private group(open: Token, inner: () => KqlNode, close: ")" | "}"): KqlNode {
    const node = this.nest(open, inner);
    this.expect(close, `expected "and", "or" or "${close}"`);
    return node;
  }

  private clause(nested: boolean): KqlNode {
    const open = this.accept("(");
    if (open) return this.group(open, () => this.query(nested), ")");
    const token = this.peek();
    if (token.kind !== "word" && token.kind !== "string") {
      return this.fail(nested ? 'expected a field, "not" or "("' : 'expected a field, a value, "not" or "("');
    }
    this.index++;
    const next = this.peek();
    if (next.kind === ":") {
      this.index++;
      return this.fieldClause(this.fieldName(token), token);
    }
    if (next.kind === "range") {
      this.index++;
      return this.range(this.fieldName(token), next);
    }
    if (nested) return this.fail(`expected ":" or a range operator after the field "${token.raw}"`);
    return { kind: "text", value: this.value(token) };
  }

  private fieldName(token: ValueToken): string {
    if (token.text === "") throw new KqlSyntaxError("expected a non-empty field name", token);
    const pattern = token.kind === "word" && token.wildcard;
    if (!pattern && token.text.includes("*")) {
      throw new KqlSyntaxError(`expected a field name without a literal "*", found "${token.raw}"`, token);
    }
    return token.text;
  }

  private fieldClause(field: string, token: ValueToken): KqlNode {
    const brace = this.accept("{");
    if (!brace) return this.values(field);
    if (isFieldPattern(field)) {
      throw new KqlSyntaxError(`expected a nested path without wildcards, found "${token.raw}"`, token);
    }
    return { kind: "nested", path: field, query: this.group(brace, () => this.query(true), "}") };
  }

  private values(field: string): KqlNode {
    const open = this.accept("(");
    if (open) return this.group(open, () => this.boolean(() => this.values(field)), ")");
    const token = this.peek();
    if (token.kind !== "word" && token.kind !== "string") {
      const previous = this.peek(-1);
      return this.fail(`expected a value after "${previous.kind === ":" ? `${field}:` : previous.raw}"`);
    }
    this.index++;
    const value = this.value(token);
    return value.wildcard && value.text === "*" ? { kind: "exists", field } : { kind: "match", field, value };
  }

  private range(field: string, operator: RangeToken): KqlNode {
    const token = this.peek();
    const after = `after "${field} ${operator.raw}"`;
    if (token.kind !== "word" && token.kind !== "string") return this.fail(`expected a value ${after}`);
    if (token.kind === "word" && token.wildcard) {
      throw new KqlSyntaxError(`expected a value without wildcards ${after}, found "${token.raw}"`, token);
    }
    this.index++;
    return { kind: "range", field, op: operator.op, value: token.text };
  }

  /** A quoted string, or unquoted words up to a keyword, a bracket or the next `field:`. */
  private value(first: ValueToken): KqlValue {
    if (first.kind === "string") return { text: first.text, quoted: true, wildcard: false };
    let { text, pattern, wildcard } = first;
    let previous = first;
    let next = this.peek();
    while (next.kind === "word" && this.peek(1).kind !== ":" && this.peek(1).kind !== "range") {
      const gap = this.source.slice(previous.end, next.offset);
      text += gap + next.text;
      pattern += gap + next.pattern;
      wildcard ||= next.wildcard;
      previous = next;
      this.index++;
      next = this.peek();
    }
    return { text: wildcard ? pattern : text, quoted: false, wildcard };
  }

  private nest<T>(at: Token, parse: () => T): T {
    if (this.depth === MAX_DEPTH) {
      throw new KqlSyntaxError(`expected at most ${MAX_DEPTH} nested levels of "(", "{" and "not"`, at);
    }
    this.depth++;
    const result = parse();
    this.depth--;
    return result;
  }

  private peek(ahead = 0): Token {
    return this.tokens[this.index + ahead] ?? this.end;
  }

  private accept(kind: Token["kind"]): Token | undefined {
    const token = this.peek();
    if (token.kind !== kind) return undefined;
    this.index++;
    return token;
  }

  private expect(kind: Token["kind"], expected: string): void {
    if (!this.accept(kind)) this.fail(expected);
  }

  private fail(expected: string): never {
    const token = this.peek();
    const found =
      token.kind === "end" ? "the end of the query" : token.kind === "string" ? token.raw : `"${token.raw}"`;
    throw new KqlSyntaxError(`${expected}, found ${found}`, token);
  }
}

export function parseKql(source: string): KqlNode {
  return new Parser(source).parse();
}

/** Whether a field name is a pattern (`file.hash.*`), to be expanded against the mappings. */
export function isFieldPattern(field: string): boolean {
  return field.includes("*");
}

/** Whether a field name matches a field pattern, as Kibana tests a data view's fields: `*` is any text. */
export function fieldPatternMatches(pattern: string, field: string): boolean {
  const parts = pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`, "s").test(field);
}

/**
 * The query as Elasticsearch DSL. `fieldsMatching` gives the mapped fields a field pattern expands
 * to; without it (or when it gives none) the pattern is sent as written, as Kibana does.
 */
export function kqlToQueryDsl(
  node: KqlNode,
  fieldsMatching: (pattern: string) => readonly string[] = () => [],
): Record<string, unknown> {
  return toDsl(node, "", fieldsMatching);
}

function toDsl(
  node: KqlNode,
  prefix: string,
  fieldsMatching: (pattern: string) => readonly string[],
): Record<string, unknown> {
  const inner = (child: KqlNode): Record<string, unknown> => toDsl(child, prefix, fieldsMatching);
  const perField = (
    field: string,
    clause: (name: string) => Record<string, unknown>,
  ): Record<string, unknown> => {
    const name = prefix + field;
    if (!isFieldPattern(name)) return clause(name);
    const names = fieldsMatching(name);
    if (names.length === 0) return clause(name);
    if (names.length === 1) return clause(names[0] as string);
    return { bool: { should: names.map(clause), minimum_should_match: 1 } };
  };
  switch (node.kind) {
    case "or":
      return { bool: { should: node.children.map(inner), minimum_should_match: 1 } };
    case "and":
      return { bool: { filter: node.children.map(inner) } };
    case "not":
      return { bool: { must_not: [inner(node.child)] } };
    case "match":
      return perField(node.field, (name) => matchDsl(name, node.value));
    case "exists":
      return perField(node.field, (name) => ({ exists: { field: name } }));
    case "range":
      return perField(node.field, (name) => ({ range: { [name]: { [node.op]: node.value } } }));
    case "nested": {
      const path = prefix + node.path;
      return { nested: { path, query: toDsl(node.query, `${path}.`, fieldsMatching), score_mode: "none" } };
    }
    case "text":
      return textDsl(node.value);
  }
}

function matchDsl(field: string, value: KqlValue): Record<string, unknown> {
  if (value.wildcard) return { wildcard: { [field]: { value: value.text, case_insensitive: false } } };
  return { [value.quoted ? "match_phrase" : "match"]: { [field]: value.text } };
}

function textDsl(value: KqlValue): Record<string, unknown> {
  if (value.wildcard) {
    return { query_string: { query: queryStringPattern(value.text), fields: ["*"], lenient: true } };
  }
  const type = value.quoted ? "phrase" : "best_fields";
  return { multi_match: { query: value.text, fields: ["*"], type, lenient: true } };
}

/** Rewrites a wildcard pattern for `query_string`, whose escape is also `\` but with more reserved characters. */
function queryStringPattern(pattern: string): string {
  return pattern.replace(/\\.|[+\-=&|<>!(){}[\]^"~:/\s]/g, (m) => (m.startsWith("\\") ? m : `\\${m}`));
}

/**
 * The distinct field names the query references, nested ones by their full path, in order of
 * appearance; a field pattern is given as written.
 */
export function kqlFields(node: KqlNode): string[] {
  const fields = new Set<string>();
  collectFields(node, "", fields);
  return [...fields];
}

function collectFields(node: KqlNode, prefix: string, fields: Set<string>): void {
  switch (node.kind) {
    case "or":
    case "and":
      for (const child of node.children) collectFields(child, prefix, fields);
      return;
    case "not":
      collectFields(node.child, prefix, fields);
      return;
    case "nested":
      collectFields(node.query, `${prefix}${node.path}.`, fields);
      return;
    case "text":
      return;
    case "match":
    case "exists":
    case "range":
      fields.add(prefix + node.field);
  }
}
