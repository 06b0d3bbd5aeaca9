import { describe, expect, it } from "vitest";
import { EXACT_UP_TO, SlidingWindow, UNLIMITED } from "../../../worker/lib/sliding-window";

const MIN = 60_000;

/** Hits at each time in `at`, returning how many were let through. */
function through(w: SlidingWindow, limit: number, at: number[]): number {
  return at.filter((t) => w.hit(limit, t).ok).length;
}

describe("sliding one-minute window", () => {
  it("lets `limit` through in a minute, counting down, then refuses until the first is a minute old", () => {
    const w = new SlidingWindow();
    expect(w.hit(3, 10 * MIN)).toEqual({ ok: true, remaining: 2, reset: 0 });
    expect(w.hit(3, 10 * MIN + 1).remaining).toBe(1);
    expect(w.hit(3, 10 * MIN + 2).remaining).toBe(0);
    expect(w.hit(3, 10 * MIN + 3)).toEqual({ ok: false, remaining: 0, reset: 60 });
    expect(w.hit(3, 11 * MIN - 1).ok).toBe(false);
    expect(w.hit(3, 11 * MIN)).toEqual({ ok: true, remaining: 0, reset: 0 });
  });

  it("at 1 a minute, lets the next through a minute after the last one, not up to two", () => {
    const w = new SlidingWindow();
    expect(w.hit(1, 10 * MIN + 59_000).ok).toBe(true);
    expect(w.hit(1, 11 * MIN + 30_000)).toEqual({ ok: false, remaining: 0, reset: 29 });
    expect(w.hit(1, 11 * MIN + 59_000).ok).toBe(true);
  });

  it("does not let twice the limit through across a minute's edge", () => {
    const w = new SlidingWindow();
    expect(through(w, 10, Array.from({ length: 10 }, (_, i) => 10 * MIN + 59_000 + i))).toBe(10);
    // A fixed window would let ten more through two seconds later.
    expect(through(w, 10, Array.from({ length: 10 }, (_, i) => 11 * MIN + 1000 + i))).toBe(0);
  });

  it("gives the allowance back as the requests that used it age out, and says when", () => {
    const w = new SlidingWindow();
    for (let k = 0; k < 10; k++) w.hit(10, 10 * MIN + k * 6000);
    expect(w.hit(10, 10 * MIN + 59_000)).toEqual({ ok: false, remaining: 0, reset: 1 });
    expect(w.hit(10, 11 * MIN)).toEqual({ ok: true, remaining: 0, reset: 0 });
    // the next to age out is the one of 6 s in
    expect(w.hit(10, 11 * MIN + 1)).toEqual({ ok: false, remaining: 0, reset: 6 });
    expect(w.hit(10, 11 * MIN + 6000).ok).toBe(true);
  });

  it("Retry-After from a spent minute counts to when enough of its requests are a minute old", () => {
    const w = new SlidingWindow();
    w.spend(20, 10 * MIN);
    expect(w.hit(10, 10 * MIN + 30_000)).toEqual({ ok: false, remaining: 0, reset: 30 });
    expect(w.hit(10, 11 * MIN - 1).ok).toBe(false);
    expect(through(w, 10, Array.from({ length: 12 }, (_, i) => 11 * MIN + i))).toBe(10);
  });

  it(`above ${EXACT_UP_TO} a minute, counts by the second, in at most sixty counts, so no sixty seconds see more than the limit`, () => {
    const w = new SlidingWindow();
    const at = (t: number, n: number) => Array.from({ length: n }, () => t);
    // a burst at a minute's end is not taken as spread over it: nothing more fits until it is a minute old
    expect(through(w, 6000, at(10 * MIN + 59_500, 6000))).toBe(6000);
    expect(through(w, 6000, at(11 * MIN + 1000, 100))).toBe(0);
    expect(w.hit(6000, 11 * MIN + 30_000)).toEqual({ ok: false, remaining: 0, reset: 30 });
    expect(w.hit(6000, 11 * MIN + 59_998).ok).toBe(false);
    // its second is counted until all of it is a minute old
    expect(through(w, 6000, at(11 * MIN + 59_999, 6001))).toBe(6000);
    expect(w.state(11 * MIN + 59_999).seconds).toEqual([[719, 6000]]);
  });

  it("gives back, above the exact range, the oldest seconds' allowance first, and says when", () => {
    const w = new SlidingWindow();
    for (let k = 0; k < 10; k++) w.spend(100, 10 * MIN + k * 6000);
    expect(w.hit(1000, 10 * MIN + 59_000)).toEqual({ ok: false, remaining: 0, reset: 2 });
    expect(w.hit(1000, 11 * MIN + 998).ok).toBe(false);
    expect(through(w, 1000, Array.from({ length: 101 }, () => 11 * MIN + 999))).toBe(100);
    expect(w.hit(1000, 11 * MIN + 1000)).toEqual({ ok: false, remaining: 0, reset: 6 });
  });

  it("goes on from a window kept before counts by the second, taking the last minute's as made at its end", () => {
    const w = new SlidingWindow({ start: 11 * MIN, current: 200, previous: 5000, times: [] }, 11 * MIN + 10_000);
    expect(w.used).toBe(5200);
    expect(through(w, 6000, Array.from({ length: 900 }, () => 11 * MIN + 20_000))).toBe(800);
    // the last minute's 5,000 are a minute old once its last second is
    expect(through(w, 6000, Array.from({ length: 5000 }, () => 11 * MIN + 59_999))).toBe(5000);
  });

  it("counts exactly again when a limit comes down from above the exact range", () => {
    const w = new SlidingWindow();
    for (let i = 0; i < 700; i++) w.hit(1000, 10 * MIN + i);
    // the 5 latest of the 700 are what 5 a minute waits on
    expect(w.hit(5, 10 * MIN + 30_000)).toEqual({ ok: false, remaining: 0, reset: 31 });
    expect(w.hit(5, 11 * MIN + 699).ok).toBe(true);
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
    expect(w.used).toBe(0);
  });
});
