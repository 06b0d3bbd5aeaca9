/** `?, ?, ?` for an `IN (…)` list of these values (SQLite takes an empty list too, matching nothing). */
export const placeholders = (values: readonly unknown[]) => values.map(() => "?").join(", ");
