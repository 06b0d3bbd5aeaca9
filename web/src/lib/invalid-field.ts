/**
 * Which of a form's fields an API error is about: the first of its `details` whose `path` names one of `fields`,
 * exactly or as its parent (`inputs.topic` is the field `inputs`, when no field `inputs.topic` is known); or, when
 * `details` is an object (a 422's `{"url": …}`, `{"cron": …, "timezone": …}`), the first of its keys that is a field.
 */
export function invalidField(details: unknown, fields: Iterable<string>): string | null {
  const known = new Set(fields);
  if (typeof details === "object" && details !== null && !Array.isArray(details)) return Object.keys(details).find((k) => known.has(k)) ?? null;
  if (!Array.isArray(details)) return null;
  for (const d of details) {
    const path = typeof d === "object" && d !== null && typeof (d as { path?: unknown }).path === "string" ? (d as { path: string }).path : null;
    if (!path) continue;
    if (known.has(path)) return path;
    const top = /^[^.[]+/.exec(path)?.[0];
    if (top && known.has(top)) return top;
  }
  return null;
}
