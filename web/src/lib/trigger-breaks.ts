/** The 409 of a save that would break triggers: each trigger and what it lacks. */
export function isTriggerList(v: unknown): v is { trigger_id: string }[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "object" && x !== null && "trigger_id" in x);
}
