import { describe, expect, it } from "vitest";
import { SlidingWindow, UNLIMITED } from "../../../worker/lib/sliding-window";

const MIN = 60_000;

/** Hits at each time in `at`, returning how many were let through. */
function through(w: SlidingWindow, limit: number, at: number[]): number {
  return at.filter((t) => w.hit(limit, t).ok).length;
}

describe("sliding one-minute window", () => {
  it("lets `limit` through in a minute, counting down, then refuses", () => {
    const w = new SlidingWindow();
    expect(w.hit(3, 10 * MIN)).toEqual({ ok: true, remaining: 2, reset: 0 });
    expect(w.hit(3, 10 * MIN + 1).remaining).toBe(1);
    expect(w.hit(3, 10 * MIN + 2).remaining).toBe(0);
    // Taken as spread over the minute, the three leave room for one more 20 s into the next.
    expect(w.hit(3, 10 * MIN + 3)).toEqual({ ok: false, remaining: 0, reset: 80 });
  });

  it("does not let twice the limit through across a minute's edge", () => {
    const w = new SlidingWindow();
    expect(through(w, 10, Array.from({ length: 10 }, (_, i) => 10 * MIN + 59_000 + i))).toBe(10);
    // A fixed window would let ten more through two seconds later.
    expect(through(w, 10, Array.from({ length: 10 }, (_, i) => 11 * MIN + 1000 + i))).toBe(0);
  });

  it("gives the allowance back as the last minute's requests age out, and says when", () => {
    const w = new SlidingWindow();
    for (let i = 0; i < 10; i++) w.hit(10, 10 * MIN + i);
    // In the next minute the ten count for what is left of the minute: a tenth of one comes back every 6 s.
    const refused = w.hit(10, 11 * MIN + 1000);
    expect(refused).toEqual({ ok: false, remaining: 0, reset: 5 });
    expect(w.hit(10, 11 * MIN + 5999).ok).toBe(false);
    expect(w.hit(10, 11 * MIN + 6000)).toEqual({ ok: true, remaining: 0, reset: 0 });
    expect(w.hit(10, 11 * MIN + 6001).ok).toBe(false);
    // Half the minute on, half the allowance is free again.
    expect(through(w, 10, Array.from({ length: 10 }, (_, i) => 11 * MIN + 30_000 + i))).toBe(4);
  });

  it("Retry-After from a spent minute counts to when its own requests start to age out", () => {
    const w = new SlidingWindow();
    w.spend(20, 10 * MIN);
    // 20 against 10: the next minute must be half gone before one more fits (20 × ½ ≤ 9 at 33 s).
    expect(w.hit(10, 10 * MIN + 30_000)).toEqual({ ok: false, remaining: 0, reset: 63 });
    expect(w.hit(10, 11 * MIN + 32_999).ok).toBe(false);
    expect(w.hit(10, 11 * MIN + 33_000).ok).toBe(true);
  });

  it("forgets a minute that is not the last one", () => {
    const w = new SlidingWindow();
    for (let i = 0; i < 5; i++) w.hit(5, 10 * MIN + i);
    expect(w.hit(5, 12 * MIN)).toEqual({ ok: true, remaining: 4, reset: 0 });
  });

  it("counts nothing when the limit is 0 or not a number", () => {
    const w = new SlidingWindow();
    expect(w.hit(0, MIN)).toBe(UNLIMITED);
    expect(w.hit(Number.NaN, MIN)).toBe(UNLIMITED);
    expect(w.current).toBe(0);
  });
});
