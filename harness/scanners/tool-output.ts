/** The last three lines a failed tool printed (its errors, else its output), on one line for a message. */
export function outputTail(result: { readonly stdout: string; readonly stderr: string }): string {
  return (result.stderr || result.stdout).trim().split("\n").slice(-3).join(" ");
}
