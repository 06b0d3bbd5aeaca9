import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HEARTBEAT_AFTER_MS, HEARTBEAT_MS, HELD_RETRY_MS, nextWake, type WakeState } from "../../../worker/task/wake";

const now = 1_000_000;
const idle: WakeState = { now, alarmAt: null, retryAt: null, runningSince: null, held: false };

describe("nextWake", () => {
  it("needs no alarm for a task with nothing to wait for", () => {
    expect(nextWake(idle)).toEqual({ alarmAt: null, recheckAt: null });
  });

  it("sets no heartbeat for a young run, only a check in memory when it would come of age", () => {
    expect(nextWake({ ...idle, runningSince: now - 100 })).toEqual({ alarmAt: null, recheckAt: now - 100 + HEARTBEAT_AFTER_MS });
  });

  it("gives a run past the threshold its heartbeat, and keeps a heartbeat already set", () => {
    expect(nextWake({ ...idle, runningSince: now - HEARTBEAT_AFTER_MS })).toEqual({ alarmAt: now + HEARTBEAT_MS, recheckAt: null });
    expect(nextWake({ ...idle, runningSince: now - 60_000, alarmAt: now + 7 })).toEqual({ alarmAt: now + 7, recheckAt: null });
  });

  it("lets an alarm already set (a retry's) serve as a young run's heartbeat", () => {
    expect(nextWake({ ...idle, runningSince: now - 10, alarmAt: now + 500, retryAt: now + 500 })).toEqual({ alarmAt: now + 500, recheckAt: null });
  });

  it("wakes for a retry's backoff, and offers a held task again", () => {
    expect(nextWake({ ...idle, retryAt: now + 2_000 })).toEqual({ alarmAt: now + 2_000, recheckAt: null });
    expect(nextWake({ ...idle, held: true })).toEqual({ alarmAt: now + HELD_RETRY_MS, recheckAt: null });
    expect(nextWake({ ...idle, held: true, retryAt: now + 50 })).toEqual({ alarmAt: now + 50, recheckAt: null });
  });

  it("wakes when a month a step is paused at the monthly cap in ends, keeping a running step's heartbeat", () => {
    const monthEnd = now + 20 * 86_400_000;
    expect(nextWake({ ...idle, capMonthEnd: monthEnd })).toEqual({ alarmAt: monthEnd, recheckAt: null });
    expect(nextWake({ ...idle, capMonthEnd: monthEnd, retryAt: now + 50 })).toEqual({ alarmAt: now + 50, recheckAt: null });
    // the month's alarm, already set, is no heartbeat for a run of another step
    expect(nextWake({ ...idle, capMonthEnd: monthEnd, alarmAt: monthEnd, runningSince: now - 60_000 })).toEqual({ alarmAt: now + HEARTBEAT_MS, recheckAt: null });
    expect(nextWake({ ...idle, capMonthEnd: monthEnd, alarmAt: monthEnd, runningSince: now - 10 })).toEqual({ alarmAt: monthEnd, recheckAt: now - 10 + HEARTBEAT_AFTER_MS });
  });

  it("never leaves a wait without a wake-up: a retry or a held task always has an alarm, a run an alarm or a check", () => {
    const time = fc.option(fc.integer({ min: now - 120_000, max: now + 120_000 }), { nil: null });
    fc.assert(
      fc.property(time, time, fc.option(fc.integer({ min: now - 120_000, max: now }), { nil: null }), fc.boolean(), (alarmAt, retryAt, runningSince, held) => {
        const w = nextWake({ now, alarmAt, retryAt, runningSince, held });
        if (retryAt !== null) expect(w.alarmAt).not.toBeNull();
        if (retryAt !== null) expect(w.alarmAt!).toBeLessThanOrEqual(retryAt);
        if (held) expect(w.alarmAt).not.toBeNull();
        if (runningSince !== null) expect(w.alarmAt !== null || (w.recheckAt !== null && w.recheckAt > now)).toBe(true);
        if (runningSince === null) expect(w.recheckAt).toBeNull();
      }),
    );
  });
});
