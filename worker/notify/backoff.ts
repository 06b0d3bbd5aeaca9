/**
 * When a failed delivery is tried again: after the 1st failure 5 s, then 1 min, 5 min, 30 min, 2 h and
 * 6 h (±10 % jitter), so a receiver that is down for most of a working day still gets the event.
 */
export const RETRY_DELAYS_MS = [5_000, 60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 6 * 3_600_000] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** Delay before attempt `failed + 1`, or null once `failed` attempts used them all. */
export function retryDelay(failed: number, random: () => number = Math.random): number | null {
  if (failed < 1 || failed >= MAX_ATTEMPTS) return null;
  const base = RETRY_DELAYS_MS[failed - 1];
  return Math.round(base * (0.9 + 0.2 * random()));
}
