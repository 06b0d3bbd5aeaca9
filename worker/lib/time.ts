export const iso = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());

/** Resolves after `ms` (0: the next turn of the event loop). */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const DATE = /^\d{4}-\d{2}-\d{2}$/;
// any number of fractional digits, as RFC 3339 allows (Python's isoformat writes 6, Go's RFC3339Nano 9); seconds may be
// left out, as ISO 8601 allows; 24:00 and a leap second are not times a task or a token is stamped with
const DATETIME = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/**
 * What an ISO 8601 string is, by its shape alone: a date (`2026-05-01`), a date-time with an offset
 * (`2026-05-01T09:00:00Z`, `…T11:00+02:00`), or neither. Every endpoint reads them alike.
 */
export function isoShape(s: string): "date" | "datetime" | null {
  if (DATE.test(s)) return "date";
  return DATETIME.test(s) && !Number.isNaN(Date.parse(s)) ? "datetime" : null;
}

/** Whether an ISO date's (or date-time's) day is on the calendar: Date.parse rolls 2026-02-30 over to March 2. */
export function onCalendar(s: string): boolean {
  const [y, m, d] = s.slice(0, 10).split("-").map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}
