/** The 409 of a save (or delete) sent for a version of a plan another save replaced meanwhile: `version` is the plan's now. */
export const isNewerPlan = (v: unknown): v is { version: number } =>
  typeof v === "object" && v !== null && "from_version" in v && typeof (v as { version?: unknown }).version === "number";
