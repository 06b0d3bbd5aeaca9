import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { missedFire, nextFire, validateCron } from "../../../worker/triggers/cron";

const d = (iso: string) => new Date(iso);

describe("validateCron", () => {
  it("accepts 5- and 6-field expressions", () => {
    for (const e of ["* * * * *", "0 9 * * MON-FRI", "*/15 * * * *", "0 0 1 JAN *", "30 0 9 * * *", "  0  9 * * 1  "]) {
      expect(validateCron(e, "UTC"), e).toEqual({ ok: true });
    }
  });

  it("refuses other field counts with a clear message", () => {
    for (const e of ["", "* * * *", "0 0 0 1 1 * 2030", "@daily"]) {
      const r = validateCron(e, "UTC");
      expect(r.ok, e).toBe(false);
      if (!r.ok) expect(r.message).toMatch(/expected 5 fields .* or 6 with seconds first; got \d/);
    }
  });

  it("refuses out-of-range and malformed fields, naming the problem", () => {
    const minute = validateCron("61 * * * *", "UTC");
    expect(minute).toEqual({ ok: false, message: expect.stringContaining("minute") });
    expect(validateCron("a b c d e", "UTC").ok).toBe(false);
    expect(validateCron("*/0 * * * *", "UTC").ok).toBe(false);
    expect(validateCron("0 0 32 * *", "UTC").ok).toBe(false);
  });

  it("names a day of the month or a month out of range as it was typed (croner holds them from 0)", () => {
    const says = (expr: string) => (validateCron(expr, "UTC") as { message: string }).message;
    expect(says("0 0 1 13 *")).toBe("Invalid value for month: 13");
    expect(says("0 0 * 0 *")).toBe("Invalid value for month: 0");
    expect(says("0 0 0 * *")).toBe("Invalid value for day of month: 0");
    expect(says("0 0 32 * *")).toBe("Invalid value for day of month: 32");
    expect(says("61 * * * *")).toBe("Invalid value for minute: 61");
    expect(says("0 0 * * 8")).toBe("Invalid value for day of week: 8");
  });

  it("refuses an unknown timezone", () => {
    expect(validateCron("* * * * *", "Mars/Olympus")).toEqual({ ok: false, message: expect.stringContaining('unknown timezone "Mars/Olympus"') });
    // Intl takes a bare offset too, which is no IANA name and keeps no daylight saving
    for (const offset of ["+02:00", "-0500", "+05"]) expect(validateCron("* * * * *", offset)).toEqual({ ok: false, message: expect.stringContaining(`unknown timezone "${offset}"`) });
    expect(validateCron("* * * * *", "").ok).toBe(false);
  });

  it("refuses a schedule that never fires", () => {
    expect(validateCron("0 0 30 2 *", "UTC")).toEqual({ ok: false, message: "this schedule never fires" });
  });

  it("accepts a leap-day schedule", () => {
    expect(validateCron("0 0 29 2 *", "UTC")).toEqual({ ok: true });
  });
});

describe("nextFire", () => {
  it("combines day of month and day of week as Vixie cron does: OR when both are restricted, AND when either begins with *", () => {
    const fires = (expr: string, n: number) => {
      const out: string[] = [];
      let at = d("2026-12-01T00:00:01Z");
      for (let i = 0; i < n; i++) out.push((at = nextFire(expr, "UTC", at)).toISOString().slice(0, 10));
      return out;
    };
    // the 1st, the 15th and Mondays
    expect(fires("0 0 1,15 * 1", 5)).toEqual(["2026-12-07", "2026-12-14", "2026-12-15", "2026-12-21", "2026-12-28"]);
    // Mondays that are odd days of the month
    expect(fires("0 0 */2 * 1", 3)).toEqual(["2026-12-07", "2026-12-21", "2027-01-11"]);
    // every Monday, as before
    expect(fires("0 0 * * 1", 2)).toEqual(["2026-12-07", "2026-12-14"]);
    // odd days, any weekday
    expect(fires("0 0 1-31/2 * *", 2)).toEqual(["2026-12-03", "2026-12-05"]);
  });

  it("is strictly after the given time", () => {
    expect(nextFire("0 * * * *", "UTC", d("2024-01-01T10:00:00Z"))).toEqual(d("2024-01-01T11:00:00Z"));
    expect(nextFire("0 * * * *", "UTC", d("2024-01-01T09:59:59.999Z"))).toEqual(d("2024-01-01T10:00:00Z"));
    expect(nextFire("0 * * * *", "UTC", d("2024-01-01T10:00:00.500Z"))).toEqual(d("2024-01-01T11:00:00Z"));
  });

  it("reads the schedule in the timezone", () => {
    expect(nextFire("0 9 * * *", "Europe/Paris", d("2024-01-15T00:00:00Z"))).toEqual(d("2024-01-15T08:00:00Z"));
    expect(nextFire("0 9 * * *", "Europe/Paris", d("2024-07-15T00:00:00Z"))).toEqual(d("2024-07-15T07:00:00Z"));
    expect(nextFire("0 9 * * *", "America/New_York", d("2024-07-15T00:00:00Z"))).toEqual(d("2024-07-15T13:00:00Z"));
  });

  it("supports seconds in the 6-field form", () => {
    expect(nextFire("*/10 * * * * *", "UTC", d("2024-01-01T00:00:05Z"))).toEqual(d("2024-01-01T00:00:10Z"));
  });

  it("5-field expressions fire on the minute", () => {
    expect(nextFire("* * * * *", "UTC", d("2024-01-01T00:00:05Z"))).toEqual(d("2024-01-01T00:01:00Z"));
  });

  it("combines day-of-month and day-of-week with OR", () => {
    // 2024-01-02 is a Tuesday: "the 15th, or any Tuesday"
    expect(nextFire("0 0 15 * 2", "UTC", d("2024-01-01T12:00:00Z"))).toEqual(d("2024-01-02T00:00:00Z"));
  });

  it("a fixed time in a DST gap fires once, just after the gap", () => {
    // Europe/Paris skips 02:00–03:00 local on 2024-03-31
    const fire = nextFire("30 2 * * *", "Europe/Paris", d("2024-03-30T12:00:00Z"));
    expect(fire).toEqual(d("2024-03-31T01:00:00Z"));
    expect(nextFire("30 2 * * *", "Europe/Paris", fire)).toEqual(d("2024-04-01T00:30:00Z"));
  });

  it("several times in a DST gap fire once, just after it, not never", () => {
    for (const expr of ["*/30 2 * * *", "0,30 2 * * *", "15,45 2 * * *", "0 */20 2 * * *"]) {
      const fire = nextFire(expr, "Europe/Paris", d("2024-03-30T12:00:00Z"));
      expect([expr, fire]).toEqual([expr, d("2024-03-31T01:00:00Z")]);
      expect(nextFire(expr, "Europe/Paris", fire).getTime(), expr).toBeGreaterThan(d("2024-03-31T22:00:00Z").getTime());
      expect(missedFire(expr, "Europe/Paris", d("2024-03-30T12:00:00Z"), d("2024-03-31T01:00:00Z")), expr).toBe(true);
    }
    // America/New_York skips 02:00–03:00 on 2024-03-10; a schedule that only matches that hour on that day (a Sunday) too
    expect(nextFire("0,30 2 * * 0", "America/New_York", d("2024-03-09T12:00:00Z"))).toEqual(d("2024-03-10T07:00:00Z"));
    // a gap the schedule does not match changes nothing
    expect(nextFire("0,30 4 * * *", "Europe/Paris", d("2024-03-30T12:00:00Z"))).toEqual(d("2024-03-31T02:00:00Z"));
  });

  it("a fixed time that a DST fall-back repeats fires once, at its first occurrence; an interval keeps its pace", () => {
    // Europe/Paris has 02:00–03:00 local twice on 2024-10-27 (CEST, then CET)
    const fire = nextFire("30 2 * * *", "Europe/Paris", d("2024-10-26T12:00:00Z"));
    expect(fire).toEqual(d("2024-10-27T00:30:00Z"));
    expect(nextFire("30 2 * * *", "Europe/Paris", fire)).toEqual(d("2024-10-28T01:30:00Z"));
    expect(nextFire("0 30 2 * * *", "Europe/Paris", fire)).toEqual(d("2024-10-28T01:30:00Z"));
    expect(nextFire("*/30 * * * *", "Europe/Paris", fire)).toEqual(d("2024-10-27T01:00:00Z"));
    expect(nextFire("*/30 * * * *", "Europe/Paris", d("2024-10-27T01:00:00Z"))).toEqual(d("2024-10-27T01:30:00Z"));
  });

  it("throws on an invalid expression", () => {
    expect(() => nextFire("nope", "UTC", new Date(0))).toThrow(/invalid cron "nope"/);
    expect(() => nextFire("* * * * *", "Nowhere/City", new Date(0))).toThrow(/timezone/);
  });

  it("returns a fire after the reference time, with none in between (property)", () => {
    const exprs = fc.constantFrom("*/5 * * * *", "0 */3 * * *", "15 10 * * 1-5", "0 0 1 * *", "*/20 * * * * *", "0 30 9 * * SAT");
    const tzs = fc.constantFrom("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe");
    const after = fc.date({ min: d("2020-01-01T00:00:00Z"), max: d("2030-01-01T00:00:00Z"), noInvalidDate: true });
    fc.assert(
      fc.property(exprs, tzs, after, (expr, tz, t) => {
        const next = nextFire(expr, tz, t);
        expect(next.getTime()).toBeGreaterThan(t.getTime());
        expect(missedFire(expr, tz, t, new Date(next.getTime() - 1))).toBe(false);
        expect(missedFire(expr, tz, t, next)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("missedFire", () => {
  it("is false when no fire fell between the last fire and now", () => {
    expect(missedFire("0 * * * *", "UTC", d("2024-01-01T10:00:00Z"), d("2024-01-01T10:59:59Z"))).toBe(false);
  });

  it("is true when a fire is due exactly now", () => {
    expect(missedFire("0 * * * *", "UTC", d("2024-01-01T10:00:00Z"), d("2024-01-01T11:00:00Z"))).toBe(true);
  });

  it("is a single yes however many fires were missed", () => {
    expect(missedFire("* * * * *", "UTC", d("2024-01-01T00:00:00Z"), d("2024-02-01T00:00:00Z"))).toBe(true);
  });

  it("is false when now is before the last fire (clock skew)", () => {
    expect(missedFire("* * * * *", "UTC", d("2024-01-01T00:10:00Z"), d("2024-01-01T00:05:00Z"))).toBe(false);
  });
});
