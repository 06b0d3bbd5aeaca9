const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The instant a calendar day starts here (`next` 0), or the last millisecond before the next one starts (`next` 1). */
function edge(day: string, next: 0 | 1): string {
  const m = DAY.exec(day);
  if (!m) return day;
  const [y, month, date] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const d = new Date(0);
  d.setFullYear(y, month, date);
  d.setHours(0, 0, 0, 0);
  // no day of the calendar (2026-13-45): the API refuses it, rather than reading it as another day
  if (d.getFullYear() !== y || d.getMonth() !== month || d.getDate() !== date) return day;
  d.setDate(date + next);
  return new Date(d.getTime() - next).toISOString();
}

/**
 * From and To as the days a person's calendar shows, as the list's own dates are: the API reads a
 * bare date as a UTC day, so each goes as the instants that begin and end that day in this time zone.
 */
export function localDays<T extends { created_from: string; created_to: string }>(f: T): T {
  return { ...f, created_from: f.created_from && edge(f.created_from, 0), created_to: f.created_to && edge(f.created_to, 1) };
}
