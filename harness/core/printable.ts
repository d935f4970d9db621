const ANSI_SEQUENCE =
  // eslint-disable-next-line no-control-regex -- ANSI sequences begin with the ESC (or C1 CSI) control character
  /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])|\u009b[0-?]*[ -/]*[@-~]/g;

/** Tab, newlines and every XML 1.0 character except the C0/C1 controls, DEL and non-characters. */
function isPrintable(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint < 0x7f) ||
    (codePoint >= 0xa0 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    codePoint >= 0x10000
  );
}

/**
 * Text any XML or HTML file can hold: ANSI sequences removed, control characters replaced by
 * U+FFFD. Attacker-controlled strings (User-Agents, paths, tool output) go through it.
 */
export function printableText(text: string): string {
  return Array.from(text.replace(ANSI_SEQUENCE, ""), (char) =>
    isPrintable(char.codePointAt(0) ?? 0) ? char : "\uFFFD",
  ).join("");
}

/**
 * Text safe to print on a terminal: printable, and without carriage returns, which would let a
 * string overwrite what was printed before it on the same line.
 */
export function terminalText(text: string): string {
  return printableText(text).replace(/\r/g, "\uFFFD");
}
