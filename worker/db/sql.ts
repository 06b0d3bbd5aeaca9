/** `?, ?, ?` for an `IN (…)` list of these values (SQLite takes an empty list too, matching nothing). */
export const placeholders = (values: readonly unknown[]) => values.map(() => "?").join(", ");

/** A statement as plain data, so it can cross an RPC to the object that runs it (see GroupCommit). */
export interface SqlStatement {
  sql: string;
  params: unknown[];
}

/**
 * What a statement builder needs of a database. D1 itself fits, giving prepared statements;
 * `asStatements` gives the same statements as plain data.
 */
export interface Prepares<S> {
  prepare(sql: string): { bind(...values: unknown[]): S };
}

export const asStatements: Prepares<SqlStatement> = { prepare: (sql) => ({ bind: (...params) => ({ sql, params }) }) };
