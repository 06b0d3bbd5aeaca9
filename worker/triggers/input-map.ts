/**
 * A webhook trigger's `input_map`: plan params filled from fields of the delivery's JSON body, named by dot
 * paths (`repository.full_name`, `commits.0.id`), so a sender that knows nothing of the plan (GitHub, Stripe,
 * a monitoring tool) can start it. The rest of the body is not an input, so it is never an unknown param.
 */

/** Dot-separated keys; an array is indexed by a key of digits. */
export const INPUT_PATH = /^[^.\s]{1,100}(?:\.[^.\s]{1,100}){0,19}$/;

/** The value at `path`, or undefined where the body has none (a missing key, an index past the end, a scalar on the way). */
export function valueAt(body: unknown, path: string): unknown {
  let at: unknown = body;
  for (const key of path.split(".")) {
    if (Array.isArray(at) && /^\d+$/.test(key)) at = at[Number(key)];
    else if (at !== null && typeof at === "object" && !Array.isArray(at) && Object.hasOwn(at, key)) at = (at as Record<string, unknown>)[key];
    else return undefined;
  }
  return at;
}

/** The inputs a delivery gives through `map` (param → path): only the params whose path the body has. */
export function mapInputs(body: unknown, map: Record<string, string>): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const [param, path] of Object.entries(map)) {
    const value = valueAt(body, path);
    // defineProperty keeps a param named like an Object.prototype member a plain own value
    if (value !== undefined) Object.defineProperty(inputs, param, { value, enumerable: true, writable: true, configurable: true });
  }
  return inputs;
}
