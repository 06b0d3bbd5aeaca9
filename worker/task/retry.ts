import type { RetryPolicy } from "./plan-schema";

/**
 * Backoff between runs of a step. `attempt` is the 1-based number of the run that
 * just failed; `random` returns values in [0, 1) and is injected so tests are exact.
 */

export type Jitter = "full" | "decorrelated";

export interface BackoffOptions {
  /** "full" (default): uniform in [0, cap]. "decorrelated": uniform in [initial, 3 × previous]. */
  jitter?: Jitter;
  /** The delay used before the previous retry, for decorrelated jitter. */
  previousDelayMs?: number;
}

/** Upper bound for a provider's retry-after, so a bogus header cannot park a step forever. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

export function backoffDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfterMs?: number,
  options: BackoffOptions = {},
): number {
  const { initial_ms: initial, max_ms: max } = policy.backoff;
  const n = Math.max(1, Math.floor(Number.isFinite(attempt) ? attempt : 1));
  const r = Math.min(Math.max(random(), 0), 1);
  let delay: number;
  if (options.jitter === "decorrelated") {
    // Without a recorded previous delay, the un-jittered exponential one stands in.
    const prev = options.previousDelayMs ?? Math.min(max, initial * 2 ** Math.max(0, n - 2));
    const hi = Math.max(initial, prev * 3);
    delay = Math.min(max, initial + r * (hi - initial));
  } else {
    delay = r * Math.min(max, initial * 2 ** (n - 1));
  }
  delay = Math.floor(delay);
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0) {
    delay = Math.max(delay, Math.ceil(Math.min(retryAfterMs, MAX_RETRY_AFTER_MS)));
  }
  return delay;
}

/**
 * The attempt number of a step's last run, which just failed, given its runs' statuses in order: the failed
 * runs right before it are earlier attempts; a completed one (a reviewer rejected its output) ends a try, so the
 * run that follows a rejection has the whole retry budget again.
 */
export function attemptOf(statuses: readonly string[]): number {
  let attempt = 1;
  for (let i = statuses.length - 2; i >= 0 && statuses[i] === "failed"; i--) attempt++;
  return attempt;
}

/** Transient errors retry until the policy's attempts are used up; permanent ones never do. */
export function shouldRetry(error: { transient: boolean }, attempt: number, policy: RetryPolicy): boolean {
  return error.transient && attempt < policy.max_attempts;
}
