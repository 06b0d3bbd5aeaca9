import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HEARTBEAT_MS, HELD_RETRY_MS, nextWake, runHeartbeatMs, type WakeState } from "../../../worker/task/wake";

const now = 1_000_000;
const idle: WakeState = { now, alarmAt: null, retryAt: null, running: false, held: false };

describe("nextWake", () => {
  it("needs no alarm for a task with nothing to wait for", () => {
    expect(nextWake(idle)).toBeNull();
  });

  it("gives a run its heartbeat from its start, so a restart at any moment of it is woken", () => {
    expect(nextWake({ ...idle, running: true })).toBe(now + HEARTBEAT_MS);
  });

  it("beats as often as RUN_HEARTBEAT_MS says, a second at least, and every 30 s when it says nothing usable", () => {
    expect(nextWake({ ...idle, running: true, heartbeatMs: runHeartbeatMs({ RUN_HEARTBEAT_MS: "5000" }) })).toBe(now + 5_000);
    // a heartbeat set under a longer interval is moved nearer; one set sooner stays
    expect(nextWake({ ...idle, running: true, alarmAt: now + 20_000, heartbeatMs: 5_000 })).toBe(now + 5_000);
    expect(nextWake({ ...idle, running: true, alarmAt: now + 3_000, heartbeatMs: 5_000 })).toBe(now + 3_000);
    for (const value of [undefined, "", "999", "-5", "soon", "Infinity"]) expect(runHeartbeatMs({ RUN_HEARTBEAT_MS: value }), String(value)).toBe(HEARTBEAT_MS);
  });

  it("keeps a heartbeat already set, and lets an alarm set sooner (a retry's) serve as one", () => {
    expect(nextWake({ ...idle, running: true, alarmAt: now + 7 })).toBe(now + 7);
    expect(nextWake({ ...idle, running: true, alarmAt: now + 500, retryAt: now + 500 })).toBe(now + 500);
  });

  it("wakes for a retry's backoff, and offers a held task again", () => {
    expect(nextWake({ ...idle, retryAt: now + 2_000 })).toBe(now + 2_000);
    expect(nextWake({ ...idle, held: true })).toBe(now + HELD_RETRY_MS);
    expect(nextWake({ ...idle, held: true, retryAt: now + 50 })).toBe(now + 50);
  });

  it("wakes when a month a step is paused at the monthly cap in ends, keeping a running step's heartbeat", () => {
    const monthEnd = now + 20 * 86_400_000;
    expect(nextWake({ ...idle, capMonthEnd: monthEnd })).toBe(monthEnd);
    expect(nextWake({ ...idle, capMonthEnd: monthEnd, retryAt: now + 50 })).toBe(now + 50);
    // the month's alarm, already set, is no heartbeat for a run of another step
    expect(nextWake({ ...idle, capMonthEnd: monthEnd, alarmAt: monthEnd, running: true })).toBe(now + HEARTBEAT_MS);
  });

  it("never leaves a wait without a wake-up: a retry, a held task and a run always have an alarm, a run's within a heartbeat", () => {
    const time = fc.option(fc.integer({ min: now - 120_000, max: now + 120_000 }), { nil: null });
    fc.assert(
      fc.property(time, time, fc.boolean(), fc.boolean(), (alarmAt, retryAt, running, held) => {
        const at = nextWake({ now, alarmAt, retryAt, running, held });
        if (retryAt !== null) expect(at!).toBeLessThanOrEqual(retryAt);
        if (held) expect(at).not.toBeNull();
        if (running) expect(at!).toBeLessThanOrEqual(now + HEARTBEAT_MS);
        if (retryAt === null && !running && !held) expect(at).toBeNull();
      }),
    );
  });
});
