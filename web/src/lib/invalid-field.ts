/**
 * Which of a form's fields an API error is about: the first of its `details` whose `path` names one of `fields`,
 * exactly or as its parent (`inputs.topic` is the field `inputs`, when no field `inputs.topic` is known), a detail
 * naming a plan's `param` (a rerun's changed input, a run's invalid one) standing for the field `inputs.<param>`; or, when
 * `details` is an object (a 422's `{"url": …}`, `{"cron": …, "timezone": …}`), the first of its keys that is a field.
 */
export function invalidField(details: unknown, fields: Iterable<string>): string | null {
  const known = new Set(fields);
  if (typeof details === "object" && details !== null && !Array.isArray(details)) return Object.keys(details).find((k) => known.has(k)) ?? null;
  if (!Array.isArray(details)) return null;
  for (const d of details) {
    const path = pathOf(d);
    if (!path) continue;
    if (known.has(path)) return path;
    const top = /^[^.[]+/.exec(path)?.[0];
    if (top && known.has(top)) return top;
  }
  return null;
}

/** The field path a detail names: its `path`, else `inputs.<param>` for a detail about a plan's param. */
function pathOf(detail: unknown): string | null {
  if (typeof detail !== "object" || detail === null) return null;
  const { path, param } = detail as { path?: unknown; param?: unknown };
  if (typeof path === "string") return path;
  return typeof param === "string" ? `inputs.${param}` : null;
}
