/** Markdown that shows attacker-controlled text as text: no markup, no HTML, no table breaks. */
export function markdownText(text: string | number): string {
  return String(text)
    .replace(/[\r\n]+/g, " ")
    .replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`);
}
