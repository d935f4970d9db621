/** A query that does not parse, with the line and column (in the rule file) where it stops making sense. */
export class PositionedSyntaxError extends Error {
  readonly line: number;
  readonly column: number;

  constructor(message: string, at: { readonly line: number; readonly column: number }) {
    super(`${message} at line ${at.line}, column ${at.column}`);
    this.line = at.line;
    this.column = at.column;
  }
}
