import { printableText } from "../core/printable.js";

/**
 * HTML built by this module's templates, the only value interpolated unescaped. Its brand is a
 * private field, which data read from JSON cannot have: an object shaped like one is escaped.
 */
export class Markup {
  readonly #html: string;

  constructor(html: string) {
    this.#html = html;
  }

  static is(value: unknown): value is Markup {
    return typeof value === "object" && value !== null && #html in value;
  }

  get html(): string {
    return this.#html;
  }
}

export type Interpolation = string | number | Markup | readonly Markup[];

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML after removing ANSI sequences and replacing control characters. */
function escapeHtml(text: string): string {
  return printableText(text).replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * A value as HTML: Markup as it is, anything else as escaped text, whatever its type claims, since
 * results read from a file may hold an object or a number where a string belongs.
 */
function render(value: unknown): string {
  if (value === undefined) return "";
  if (Markup.is(value)) return value.html;
  if (Array.isArray(value)) return value.map(render).join("");
  if (typeof value === "string") return escapeHtml(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return escapeHtml(String(value));
  return typeof value === "object" ? escapeHtml(JSON.stringify(value)) : "";
}

export function html(strings: TemplateStringsArray, ...values: readonly Interpolation[]): Markup {
  return new Markup(strings.reduce((out, text, i) => out + render(values[i - 1]) + text));
}
