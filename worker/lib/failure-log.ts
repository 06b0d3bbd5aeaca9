/** At most `limit` failures in any `windowMs`; `limit` 0 (or unset) turns the rule off. */
export interface FailureRule {
  limit: number;
  windowMs: number;
}

export interface Lock {
  locked: boolean;
  /** whole seconds until the oldest counted failure leaves the window (0 when not locked) */
  retryAfterS: number;
  /** failures still in the window */
  failures: number;
}

const recent = (times: readonly number[], rule: FailureRule, now: number) => times.filter((t) => t > now - rule.windowMs);

/**
 * A sliding window, not a fixed one: a fixed window lets `2 × limit` guesses through across its edge. The lock
 * lifts as the oldest counted failure ages out, so whoever stops failing is free within one window.
 */
export function lockOf(times: readonly number[], rule: FailureRule, now: number): Lock {
  const inWindow = recent(times, rule, now);
  if (!(rule.limit > 0) || inWindow.length < rule.limit) return { locked: false, retryAfterS: 0, failures: inWindow.length };
  const oldest = inWindow[inWindow.length - rule.limit];
  return { locked: true, retryAfterS: Math.max(1, Math.ceil((oldest + rule.windowMs - now) / 1000)), failures: inWindow.length };
}

/** The log with a failure at `now`, keeping only what the rule can still count (at most `limit` entries). */
export function withFailure(times: readonly number[], rule: FailureRule, now: number): number[] {
  return [...recent(times, rule, now), now].slice(-Math.max(1, rule.limit));
}
