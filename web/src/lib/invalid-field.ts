/**
 * Which of a form's fields an API error is about: the first of its `details` whose `path` names one of `fields`,
 * exactly or as its parent (`inputs.topic` is the field `inputs`, when no field `inputs.topic` is known).
 */
export function invalidField(details: unknown, fields: Iterable<string>): string | null {
  if (!Array.isArray(details)) return null;
  const known = new Set(fields);
  for (const d of details) {
    const path = typeof d === "object" && d !== null && typeof (d as { path?: unknown }).path === "string" ? (d as { path: string }).path : null;
    if (!path) continue;
    if (known.has(path)) return path;
    const top = /^[^.[]+/.exec(path)?.[0];
    if (top && known.has(top)) return top;
  }
  return null;
}
