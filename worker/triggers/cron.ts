import { Cron } from "croner";
import { cronFields } from "./cron-fields";

/**
 * Cron triggers: 5 fields (minute hour day month weekday) or 6 with seconds first,
 * read in an IANA timezone. Day-of-month and day-of-week combine as in Vixie cron: with OR when both are restricted
 * (`0 0 1,15 * 1`: the 1st, the 15th and Mondays), with AND when either begins with `*` (a step from `*` every 2 days
 * and Monday: Mondays on odd days).
 */

export type CronCheck = { ok: true } | { ok: false; message: string };

const FIELDS_HELP = 'expected 5 fields "minute hour day-of-month month day-of-week", or 6 with seconds first';
// Any 5/6-field schedule that ever fires does so within 28 years (weekday/leap-year cycle).
const PROBE_FROM = new Date("2000-01-01T00:00:00Z");

/** Whether `expr` is a cron expression at all: 5 or 6 fields, each in its range. Whether it ever fires is validateCron's. */
export function cronSyntax(expr: string): CronCheck {
  const fields = cronFields(expr);
  if (fields.length !== 5 && fields.length !== 6) {
    return { ok: false, message: `${FIELDS_HELP}; got ${fields.length}` };
  }
  try {
    schedule(fields.join(" "), "UTC");
  } catch (e) {
    return { ok: false, message: cronMessage(e instanceof Error ? e.message : String(e)) };
  }
  return { ok: true };
}

/** croner counts days of the month and months from 0 inside, and names a bad one as it holds it (`32` as 31): named as typed. */
const cronMessage = (m: string) =>
  m
    .replace(/^CronPattern: /, "")
    .replace(/^Invalid value for (day|month): (-?\d+)/, (_, field: string, v: string) => `Invalid value for ${field === "day" ? "day of month" : "month"}: ${Number(v) + 1}`)
    .replace(/^Invalid value for dayOfWeek/, "Invalid value for day of week");

/** Whether `tz` names a timezone this runtime knows. */
export function timeZoneCheck(tz: string): CronCheck {
  return isTimeZone(tz) ? { ok: true } : { ok: false, message: `unknown timezone "${tz}"; use an IANA name such as "Europe/Paris" or "UTC"` };
}

export function validateCron(expr: string, tz: string): CronCheck {
  const syntax = cronSyntax(expr);
  if (!syntax.ok) return syntax;
  const zone = timeZoneCheck(tz);
  if (!zone.ok) return zone;
  if (schedule(cronFields(expr).join(" "), tz).nextRun(PROBE_FROM) === null) return { ok: false, message: "this schedule never fires" };
  return { ok: true };
}

/** The first fire strictly after `after`. Throws on an invalid expression. */
export function nextFire(expr: string, tz: string, after: Date): Date {
  const next = firstAfter(expr, tz, after);
  if (next === null) throw new Error("this schedule never fires");
  return next;
}

/**
 * Whether the schedule was due at least once in (lastFiredAt, now]. The caller runs
 * the trigger once however many fires were missed, then waits for nextFire(now).
 */
export function missedFire(expr: string, tz: string, lastFiredAt: Date, now: Date): boolean {
  const next = firstAfter(expr, tz, lastFiredAt);
  return next !== null && next.getTime() <= now.getTime();
}

/**
 * croner's next run, or sooner the end of a spring-forward gap holding a scheduled time: croner moves one time
 * in a gap past it (02:30 fires at 03:00) but drops a day's several (`0,30 2 * * *` fired nothing that day).
 */
function firstAfter(expr: string, tz: string, after: Date): Date | null {
  const next = parse(expr, tz).nextRun(after);
  if (next === null) return null;
  const gap = gapFire(schedule(cronFields(expr).join(" "), "UTC"), tz, after.getTime(), next.getTime());
  return gap !== null && gap < next.getTime() ? new Date(gap) : next;
}

const DAY_MS = 86_400_000;

/**
 * The first instant in (after, before] at which the zone's clocks jump forward over a wall time that `wall` (the
 * schedule read in UTC, so on wall-clock times) matches, or null. Looked for a day at a time, as no zone moves
 * its clocks twice in a day.
 */
function gapFire(wall: Cron, tz: string, after: number, before: number): number | null {
  for (let from = after; from < before; from += DAY_MS) {
    const to = Math.min(from + DAY_MS, before);
    const was = offsetAt(tz, from);
    const jump = offsetAt(tz, to) - was;
    if (jump <= 0) continue;
    let lo = from;
    let hi = to;
    while (hi - lo > 999) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetAt(tz, mid) === was) lo = mid;
      else hi = mid;
    }
    // clocks change on a whole second: the first one past lo
    const at = Math.floor(lo / 1000) * 1000 + 1000;
    const skipped = at + was;
    const match = wall.nextRun(new Date(skipped - 1000));
    if (match && match.getTime() < skipped + jump) return at;
  }
  return null;
}

const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** How far the zone's wall clock is ahead of UTC at `at` (ms, whole seconds). */
function offsetAt(tz: string, at: number): number {
  let f = wallClocks.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    wallClocks.set(tz, f);
  }
  const part = (parts: Intl.DateTimeFormatPart[], type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)!.value);
  const parts = f.formatToParts(new Date(at));
  const wall = Date.UTC(part(parts, "year"), part(parts, "month") - 1, part(parts, "day"), part(parts, "hour"), part(parts, "minute"), part(parts, "second"));
  return wall - Math.floor(at / 1000) * 1000;
}

function parse(expr: string, tz: string): Cron {
  const check = validateCron(expr, tz);
  if (!check.ok) throw new Error(`invalid cron "${expr}": ${check.message}`);
  return schedule(cronFields(expr).join(" "), tz);
}

function schedule(pattern: string, tz: string): Cron {
  const fields = cronFields(pattern);
  const [dom, dow] = fields.slice(-3).filter((_, i) => i !== 1);
  return new Cron(pattern, { timezone: tz, mode: "5-or-6-parts", domAndDow: dom.startsWith("*") || dow.startsWith("*") });
}

/**
 * ICU's canonical names that IANA has since renamed: the runtime answers `Asia/Calcutta` for `Asia/Kolkata`.
 * (ECMA-402 now names these zones by IANA's primary identifiers too; a runtime that does maps nothing here.)
 */
const IANA_NAMES: Readonly<Record<string, string>> = {
  "Africa/Asmera": "Africa/Asmara", "America/Buenos_Aires": "America/Argentina/Buenos_Aires", "America/Catamarca": "America/Argentina/Catamarca",
  "America/Cordoba": "America/Argentina/Cordoba", "America/Godthab": "America/Nuuk", "America/Indianapolis": "America/Indiana/Indianapolis",
  "America/Jujuy": "America/Argentina/Jujuy", "America/Louisville": "America/Kentucky/Louisville", "America/Mendoza": "America/Argentina/Mendoza",
  "Asia/Calcutta": "Asia/Kolkata", "Asia/Katmandu": "Asia/Kathmandu", "Asia/Rangoon": "Asia/Yangon", "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Atlantic/Faeroe": "Atlantic/Faroe", "Europe/Kiev": "Europe/Kyiv", "Pacific/Enderbury": "Pacific/Kanton", "Pacific/Ponape": "Pacific/Pohnpei", "Pacific/Truk": "Pacific/Chuuk",
};

/** The IANA name a timezone is known by (`europe/paris` is `Europe/Paris`, `asia/calcutta` `Asia/Kolkata`), so lists and the dashboard agree; an unknown one as given. */
export function canonicalTimeZone(tz: string): string {
  if (!isTimeZone(tz)) return tz;
  const icu = new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
  const iana = Object.hasOwn(IANA_NAMES, icu) ? IANA_NAMES[icu] : undefined;
  // only a name this runtime knows: an older ICU may lack a recent one (Pacific/Kanton)
  return iana && isTimeZone(iana) ? iana : icu;
}

function isTimeZone(tz: string): boolean {
  // Intl also takes a bare offset ("+02:00", "-0500"), which keeps no daylight saving: only IANA names, which begin with a letter
  if (!/^[A-Za-z]/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
