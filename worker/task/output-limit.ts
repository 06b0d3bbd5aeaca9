/**
 * The most a step's output may hold, a loop's or a branch's included: it is kept in one row of the task's SQLite
 * (2 MB a row), copied into the task's index row when it is the task's output (D1 takes 2,000,000 bytes a value
 * deployed), and read into the instructions of the steps after it, which hold 1 MB at most.
 */
export const MAX_OUTPUT_BYTES = 1_000_000;

/** Why `output` cannot be kept (`is 2.7 MB, past …`), or null when it can. */
export function oversizeOutput(output: string): string | null {
  // a UTF-16 unit is at most 3 bytes of UTF-8: most outputs need no encoding to be cleared
  if (output.length * 3 <= MAX_OUTPUT_BYTES) return null;
  const bytes = new TextEncoder().encode(output).byteLength;
  return bytes > MAX_OUTPUT_BYTES ? `is ${(bytes / 1e6).toFixed(1)} MB, past the 1 MB a step's output may hold` : null;
}
