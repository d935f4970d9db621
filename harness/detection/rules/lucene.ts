/**
 * A syntax check of Lucene query strings (Elasticsearch's query_string, which Kibana runs for
 * language = "lucene"), so a rule that Elasticsearch would refuse at every execution is refused
 * when it is loaded instead. It follows Lucene's classic query parser: quotes, regular expressions,
 * ranges and groups must close; operators need clauses on both sides; a field needs a value; a
 * lone "\" or "/" is an error, as it is to Lucene. Field names and values are not checked here.
 */

import { PositionedSyntaxError } from "./syntax-error.js";

export class LuceneSyntaxError extends PositionedSyntaxError {
  override readonly name = "LuceneSyntaxError";
}

type TokenKind = "term" | "phrase" | "regex" | "range" | "(" | ")" | ":" | "and" | "or" | "not" | "prefix";

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly at: number;
}

const WHITESPACE = /[ \t\r\n\u3000]/;
/** Characters that end a term unless escaped. */
const TERM_END = /[ \t\r\n\u3000()[\]{}":^~/\\]/;

function position(query: string, offset: number): { line: number; column: number } {
  const before = query.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** The offset just past the closing `close` from `from`, honouring backslash escapes; -1 when it never closes. */
function closing(query: string, from: number, close: string): number {
  for (let i = from; i < query.length; i++) {
    if (query[i] === "\\") i++;
    else if (query[i] === close) return i + 1;
  }
  return -1;
}

/** A boost (^2) or fuzziness/proximity (~, ~2) after a clause. */
function suffixEnd(query: string, from: number, fail: (message: string, at: number) => never): number {
  let i = from;
  while (query[i] === "^" || query[i] === "~") {
    const mark = query[i];
    const number = /^\d+(?:\.\d+)?/.exec(query.slice(i + 1))?.[0] ?? "";
    if (mark === "^" && number === "") fail('"^" needs a boost number after it, such as ^2', i);
    i += 1 + number.length;
  }
  return i;
}

function tokenize(query: string, fail: (message: string, at: number) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number): void => {
    tokens.push({ kind, text: query.slice(i, end), at: i });
    i = suffixEnd(query, end, fail);
  };
  while (i < query.length) {
    const c = query.charAt(i);
    const startsToken = i === 0 || WHITESPACE.test(query.charAt(i - 1)) || "()".includes(query.charAt(i - 1));
    if (WHITESPACE.test(c)) i++;
    else if (c === '"') {
      const end = closing(query, i + 1, '"');
      if (end < 0) fail("a quote that is never closed", i);
      push("phrase", end);
    } else if (c === "/") {
      const end = closing(query, i + 1, "/");
      if (end < 0) fail('a "/" that starts a regular expression never closed (write \\/ for a slash)', i);
      push("regex", end);
    } else if (c === "[" || c === "{") {
      push("range", rangeEnd(query, i, fail));
    } else if (c === "]" || c === "}") fail(`"${c}" closes a range that was never opened`, i);
    else if (c === "(" || c === ")" || c === ":") {
      tokens.push({ kind: c, text: c, at: i });
      i = c === ")" ? suffixEnd(query, i + 1, fail) : i + 1;
    } else if (c === "^" || c === "~") fail(`"${c}" must follow a term, a phrase or a group`, i);
    else if (startsToken && (query.startsWith("&&", i) || query.startsWith("||", i))) {
      tokens.push({ kind: c === "&" ? "and" : "or", text: query.slice(i, i + 2), at: i });
      i += 2;
    } else if (startsToken && (c === "+" || c === "-" || c === "!")) {
      tokens.push({ kind: c === "!" ? "not" : "prefix", text: c, at: i });
      i += 1;
    } else {
      let end = i;
      while (end < query.length && !TERM_END.test(query.charAt(end))) end++;
      while (query[end] === "\\") {
        if (end + 1 >= query.length) fail('a "\\" with nothing after it to escape', end);
        end += 2;
        while (end < query.length && !TERM_END.test(query.charAt(end))) end++;
      }
      const text = query.slice(i, end);
      const operator = { AND: "and", OR: "or", NOT: "not" }[text] as TokenKind | undefined;
      push(operator ?? "term", end);
    }
  }
  return tokens;
}

/** The end of a range [a TO b], {a TO b} or a mix of the two brackets; its bounds may be quoted. */
function rangeEnd(query: string, from: number, fail: (message: string, at: number) => never): number {
  const parts: string[] = [];
  let i = from + 1;
  while (i < query.length) {
    const c = query.charAt(i);
    if (c === "]" || c === "}") {
      if (parts.length !== 3 || parts[1] !== "TO")
        fail(
          `a range needs "lower TO upper" between its brackets, found ${JSON.stringify(parts.join(" "))}`,
          from,
        );
      return i + 1;
    }
    if (WHITESPACE.test(c)) i++;
    else if (c === '"') {
      const end = closing(query, i + 1, '"');
      if (end < 0) fail("a quote that is never closed", i);
      parts.push(query.slice(i, end));
      i = end;
    } else {
      let end = i;
      while (end < query.length && !/[ \t\r\n\u3000\]}]/.test(query.charAt(end))) end++;
      parts.push(query.slice(i, end));
      i = end;
    }
  }
  return fail(`a "${query.charAt(from)}" that opens a range never closed with "]" or "}"`, from);
}

const VALUE_KINDS: ReadonlySet<TokenKind> = new Set(["term", "phrase", "regex", "range"]);

/** Throws LuceneSyntaxError at the first place Lucene's classic parser would refuse the query. */
export function checkLuceneSyntax(query: string): void {
  const fail: (message: string, at: number) => never = (message, at) => {
    throw new LuceneSyntaxError(message, position(query, at));
  };
  const tokens = tokenize(query, fail);
  let i = 0;
  const describe = (t: Token | undefined): string => (t ? JSON.stringify(t.text) : "the end of the query");

  const clause = (): void => {
    const t = tokens[i];
    if (t?.kind === "term" && tokens[i + 1]?.kind === ":") {
      i += 2;
      const value = tokens[i];
      if (value?.kind === "(") {
        group();
        return;
      }
      if (!value || !VALUE_KINDS.has(value.kind))
        fail(
          `the field ${t.text} needs a value after ":", found ${describe(value)}`,
          value?.at ?? query.length,
        );
      i++;
      if (tokens[i]?.kind === ":")
        fail(`a second ":" after ${t.text}:${value.text} (escape it as \\:)`, tokens[i]?.at ?? 0);
      return;
    }
    if (t?.kind === "(") {
      group();
      return;
    }
    if (t && VALUE_KINDS.has(t.kind)) {
      i++;
      if (tokens[i]?.kind === ":") fail(`":" after ${t.text}, which cannot name a field`, tokens[i]?.at ?? 0);
      return;
    }
    if (t?.kind === ":") fail('":" with no field name before it', t.at);
    if (t?.kind === ")") fail('")" closes a group that was never opened', t.at);
    fail(`expected a term, a phrase, a range or a group, found ${describe(t)}`, t?.at ?? query.length);
  };

  const group = (): void => {
    const open = tokens[i];
    i++;
    if (tokens[i]?.kind === ")") fail('an empty group "()"', open?.at ?? 0);
    clauses(true);
    if (tokens[i]?.kind !== ")") fail('a "(" that is never closed', open?.at ?? 0);
    i++;
  };

  const clauses = (inGroup: boolean): void => {
    let needsClause = false;
    let any = false;
    while (i < tokens.length && !(inGroup && tokens[i]?.kind === ")")) {
      const t = tokens[i] as Token;
      if (t.kind === "and" || t.kind === "or") {
        if (!any || needsClause) fail(`${t.text} needs a clause before it`, t.at);
        needsClause = true;
        i++;
        continue;
      }
      if (t.kind === "not" || t.kind === "prefix") {
        i++;
        if (tokens[i] === undefined || ["and", "or", "not", "prefix", ")"].includes(tokens[i]?.kind ?? ""))
          fail(`${t.text} needs a clause after it, found ${describe(tokens[i])}`, t.at);
      }
      clause();
      needsClause = false;
      any = true;
    }
    if (needsClause) {
      const last = tokens[i - 1];
      fail(`${last?.text ?? "the operator"} needs a clause after it`, last?.at ?? query.length);
    }
  };

  clauses(false);
}
