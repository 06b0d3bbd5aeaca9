import { describe, expect, it } from "vitest";
import { isoShape, onCalendar } from "../../../worker/lib/time";

describe("ISO dates and date-times, read alike by every endpoint", () => {
  it.each([
    ["2026-05-01", "date"],
    ["2026-05-01T09:00:00Z", "datetime"],
    ["2026-05-01T09:00Z", "datetime"],
    ["2026-05-01T09:00:00.123456789+02:00", "datetime"],
    ["2026-05-01T23:59:59-12:00", "datetime"],
    ["2026-05-01T24:00:00Z", null],
    ["2026-05-01T23:60:00Z", null],
    ["2026-05-01T23:59:60Z", null],
    ["2026-05-01T09:00:00", null],
    ["2026-05-01T09:00:00+0200", null],
    ["2026-05-01 09:00:00Z", null],
    ["1777600000000", null],
    ["May 1, 2026", null],
  ])("reads %s as %s", (s, shape) => {
    expect(isoShape(s)).toBe(shape);
  });

  it("knows the calendar's days", () => {
    expect(["2028-02-29", "2026-02-28T10:00:00Z", "2026-12-31"].every(onCalendar)).toBe(true);
    expect(["2026-02-29", "2026-02-30", "2026-04-31T10:00:00Z", "2026-06-00", "2026-13-01"].some(onCalendar)).toBe(false);
  });
});
