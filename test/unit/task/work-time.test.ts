import { describe, expect, it } from "vitest";
import { timeLeftMs, WorkClock } from "../../../worker/task/work-time";

describe("a run's working time", () => {
  it("adds each stretch in flight to what storage held, once", () => {
    const run = { worked_ms: 700 };
    const clock = new WorkClock(run, 1_000);
    clock.checkpoint(1_250);
    expect(run.worked_ms).toBe(950);
    clock.checkpoint(1_250);
    expect(run.worked_ms).toBe(950);
    expect(clock.at(1_400)).toBe(1_100);
    expect(run.worked_ms).toBe(950);
    clock.checkpoint(1_400);
    expect(run.worked_ms).toBe(1_100);
  });

  it("never goes back when the clock does", () => {
    const run = { worked_ms: 0 };
    const clock = new WorkClock(run, 1_000);
    clock.checkpoint(900);
    clock.checkpoint(1_100);
    expect(run.worked_ms).toBe(100);
  });

  it("leaves what the timeout has not spent, and nothing once it is spent", () => {
    expect(timeLeftMs(2_000, 0)).toBe(2_000);
    expect(timeLeftMs(2_000, 1_500)).toBe(500);
    expect(timeLeftMs(2_000, 2_500)).toBe(0);
  });
});
