import { describe, expect, it } from "vitest";
import { type FailureRule, lockOf, withFailure } from "../../../worker/lib/failure-log";

const rule: FailureRule = { limit: 3, windowMs: 60_000 };

function fail(times: number[], ...at: number[]): number[] {
  for (const t of at) times = withFailure(times, rule, t);
  return times;
}

describe("failure log", () => {
  it("locks at the limit within the window, not before", () => {
    expect(lockOf(fail([], 0, 1000), rule, 1000)).toEqual({ locked: false, retryAfterS: 0, failures: 2 });
    expect(lockOf(fail([], 0, 1000, 2000), rule, 2000)).toEqual({ locked: true, retryAfterS: 58, failures: 3 });
  });

  it("lifts as the oldest failure leaves the window, with Retry-After saying when", () => {
    const times = fail([], 0, 30_000, 40_000);
    expect(lockOf(times, rule, 59_999).locked).toBe(true);
    expect(lockOf(times, rule, 59_999).retryAfterS).toBe(1);
    expect(lockOf(times, rule, 60_000)).toEqual({ locked: false, retryAfterS: 0, failures: 2 });
  });

  it("slides: failures spread across a minute's edge are still counted together", () => {
    expect(lockOf(fail([], 59_000, 60_500, 61_000), rule, 61_000).locked).toBe(true);
  });

  it("keeps no more than the rule can count", () => {
    expect(fail([], 0, 1, 2, 3, 4, 5)).toEqual([3, 4, 5]);
    expect(fail([], 0, 70_000)).toEqual([70_000]);
  });

  it("is off with a limit of 0", () => {
    const off = { limit: 0, windowMs: 60_000 };
    expect(lockOf([1, 2, 3, 4], off, 5).locked).toBe(false);
  });
});
