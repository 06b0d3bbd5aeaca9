/** The 409 of a save (or delete) sent for a version of a plan another save replaced meanwhile: `version` is the plan's now. */
export const isNewerPlan = (v: unknown): v is { version: number } =>
  typeof v === "object" && v !== null && "from_version" in v && typeof (v as { version?: unknown }).version === "number";

/** The 409 of a chat's Save when the plan its conversation edits was deleted: it saves as a new plan only when told to. */
export const isDeletedPlan = (v: unknown): v is { plan_id: string; deleted: true } =>
  typeof v === "object" && v !== null && (v as { deleted?: unknown }).deleted === true && typeof (v as { plan_id?: unknown }).plan_id === "string";
