import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY, type RetryPolicy } from "../../../worker/task/plan-schema";
import { MAX_RETRY_AFTER_MS, attemptOf, backoffDelayMs, shouldRetry } from "../../../worker/task/retry";

const policy = (initial_ms: number, max_ms: number, max_attempts = 5): RetryPolicy => ({ max_attempts, backoff: { initial_ms, max_ms } });
const one = () => 0.999999;
const zero = () => 0;

describe("backoffDelayMs (full jitter)", () => {
  it("grows exponentially up to the cap with random near 1", () => {
    const p = policy(1000, 10_000);
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelayMs(a, p, one))).toEqual([999, 1999, 3999, 7999, 9999, 9999]);
  });

  it("can be zero with random 0", () => {
    expect(backoffDelayMs(3, DEFAULT_RETRY, zero)).toBe(0);
  });

  it("honours retry-after as a lower bound, even past the cap", () => {
    expect(backoffDelayMs(1, policy(1000, 5000), zero, 2500)).toBe(2500);
    expect(backoffDelayMs(1, policy(1000, 5000), zero, 120_000)).toBe(120_000);
    expect(backoffDelayMs(3, policy(1000, 5000), one, 10)).toBe(3999);
  });

  it("ignores a nonsensical retry-after and clamps a huge one", () => {
    expect(backoffDelayMs(1, policy(1000, 5000), zero, -5)).toBe(0);
    expect(backoffDelayMs(1, policy(1000, 5000), zero, Number.NaN)).toBe(0);
    expect(backoffDelayMs(1, policy(1000, 5000), zero, 1e15)).toBe(MAX_RETRY_AFTER_MS);
  });

  it("survives huge attempt numbers and odd attempts", () => {
    expect(backoffDelayMs(10_000, policy(1000, 5000), one)).toBe(4999);
    expect(backoffDelayMs(0, policy(1000, 5000), one)).toBe(999);
    expect(backoffDelayMs(Number.NaN, policy(1000, 5000), one)).toBe(999);
  });

  it("caps at max_ms even when initial_ms is larger", () => {
    expect(backoffDelayMs(1, policy(5000, 1000), one)).toBe(999);
  });

  it("stays within [0, min(cap, initial·2^(n-1))] and is monotone in random (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.integer({ min: 0, max: 86_400_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, initial, max, r1, r2) => {
          const p = policy(initial, max);
          const [lo, hi] = r1 <= r2 ? [r1, r2] : [r2, r1];
          const a = backoffDelayMs(attempt, p, () => lo);
          const b = backoffDelayMs(attempt, p, () => hi);
          expect(Number.isInteger(a)).toBe(true);
          expect(a).toBeGreaterThanOrEqual(0);
          expect(b).toBeLessThanOrEqual(Math.min(max, initial * 2 ** (attempt - 1)));
          expect(a).toBeLessThanOrEqual(b);
        },
      ),
    );
  });

  it("is never below retry-after (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: MAX_RETRY_AFTER_MS }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, ra, r) => {
        expect(backoffDelayMs(attempt, DEFAULT_RETRY, () => r, ra)).toBeGreaterThanOrEqual(ra);
      }),
    );
  });
});

describe("backoffDelayMs (decorrelated jitter)", () => {
  const p = policy(1000, 60_000);

  it("draws from [initial, 3 × previous], capped", () => {
    expect(backoffDelayMs(2, p, zero, undefined, { jitter: "decorrelated", previousDelayMs: 5000 })).toBe(1000);
    expect(backoffDelayMs(2, p, one, undefined, { jitter: "decorrelated", previousDelayMs: 5000 })).toBe(14_999);
    expect(backoffDelayMs(2, p, one, undefined, { jitter: "decorrelated", previousDelayMs: 50_000 })).toBe(60_000);
  });

  it("without a previous delay, uses the exponential one", () => {
    expect(backoffDelayMs(1, p, one, undefined, { jitter: "decorrelated" })).toBe(2999);
    expect(backoffDelayMs(4, p, one, undefined, { jitter: "decorrelated" })).toBe(11_999);
  });

  it("stays within [min(initial, cap), cap] (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, initial, max, prev, r) => {
          const d = backoffDelayMs(attempt, policy(initial, max), () => r, undefined, { jitter: "decorrelated", previousDelayMs: prev });
          expect(d).toBeGreaterThanOrEqual(Math.min(initial, max));
          expect(d).toBeLessThanOrEqual(max);
        },
      ),
    );
  });
});

describe("shouldRetry", () => {
  it("retries transient errors until max_attempts", () => {
    const p = policy(1, 1, 3);
    expect([1, 2, 3, 4].map((a) => shouldRetry({ transient: true }, a, p))).toEqual([true, true, false, false]);
  });

  it("never retries permanent errors", () => {
    expect(shouldRetry({ transient: false }, 1, policy(1, 1, 20))).toBe(false);
  });

  it("with max_attempts 1 never retries", () => {
    expect(shouldRetry({ transient: true }, 1, policy(1, 1, 1))).toBe(false);
  });
});

describe("attemptOf", () => {
  it("counts the failed runs right before the last one, and starts again after a completed run", () => {
    expect(attemptOf(["failed"])).toBe(1);
    expect(attemptOf(["failed", "failed", "failed"])).toBe(3);
    // completed, then rejected by a reviewer: the runs after it are a new try
    expect(attemptOf(["completed", "failed"])).toBe(1);
    expect(attemptOf(["failed", "completed", "completed", "failed", "failed"])).toBe(2);
  });
});
