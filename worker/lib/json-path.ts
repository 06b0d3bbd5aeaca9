/** A JSON path as every error names one: `steps[2].body[0].agent`, `cases["needs review"]`. */
export function jsonPath(segments: readonly PropertyKey[]): string {
  return segments.reduce<string>((path, s) => path + segment(s, path === ""), "");
}

/** One segment: an index in brackets, a name after a dot (first: bare), any other key quoted in brackets. */
export function segment(s: PropertyKey, first = false): string {
  if (typeof s === "number") return `[${s}]`;
  const name = String(s);
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) return first ? name : `.${name}`;
  return `[${JSON.stringify(name)}]`;
}
