/**
 * An organization's logs number their entries (`org_seq`: their ids and cursors) from the highest number ever given, not
 * the highest still stored: deleting the newest entries (a prune of everything old, an undone create) must not hand
 * their numbers to new entries, which a client holding an id or cursor would take for the ones it saw.
 */
export type NumberedLog = "audit" | "deliveries";

const TABLES: Record<NumberedLog, string> = { audit: "audit_log", deliveries: "notification_deliveries" };

/** The next number of the organization bound as `?1`, as an SQL expression for a one-row insert. */
export const nextLogNumber = (log: NumberedLog) =>
  `(SELECT max(coalesce(max(org_seq), 0), coalesce((SELECT last FROM log_numbers WHERE org_id = ?1 AND log = '${log}'), 0)) + 1 FROM ${TABLES[log]} WHERE org_id = ?1)`;

/** Keeps the organization's highest number given: run in the batch, before the statement that deletes entries. */
export const keepLogNumber = (d1: D1Database, log: NumberedLog, orgId: string): D1PreparedStatement =>
  d1
    .prepare(
      `INSERT INTO log_numbers (org_id, log, last) SELECT ?1, '${log}', max(org_seq) FROM ${TABLES[log]} WHERE org_id = ?1 HAVING max(org_seq) IS NOT NULL
       ON CONFLICT (org_id, log) DO UPDATE SET last = max(last, excluded.last)`,
    )
    .bind(orgId);
