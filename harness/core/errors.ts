/** An error the user can act on: what went wrong, and what to do about it. */
export class ScanproofError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ScanproofError";
  }
}

export function describeError(error: unknown): string {
  if (error instanceof ScanproofError)
    return error.hint ? `${error.message}\n  → ${error.hint}` : error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
