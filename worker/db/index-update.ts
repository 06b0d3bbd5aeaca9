import type { SqlStatement } from "./sql";
import type { IndexRow } from "./task-row";

/** A task's write to its index row, with its spend ledger rows (spend/ledger.ts). */
export interface IndexUpdate {
  row: IndexRow;
  ledger: SqlStatement[];
}

/** What a task's later writes change; the rest of its row is written once, at its create. */
const UPDATED = [
  "status", "agent", "agents", "progress_done", "progress_total", "tokens_input", "tokens_cache", "tokens_cache_write",
  "tokens_output", "tokens_web_search", "searches", "cost_nanos", "pending", "input_needed_in", "output", "started_at", "finished_at", "index_version",
] as const satisfies readonly (keyof IndexRow)[];

const SET = UPDATED.map((c, i) => `${c} = j.value ->> ${i + 1}`).join(", ");
// `index_version` makes each row's write conditional, so a late write never overwrites a newer one.
const UPDATE = `UPDATE tasks SET ${SET} FROM json_each(?) AS j WHERE tasks.id = j.value ->> 0 AND tasks.index_version < j.value ->> ${UPDATED.length}`;

/**
 * The statements of many tasks' index writes: their ledger rows, then every row in one UPDATE, last. The
 * rows' search index (FTS5) keeps what they change in memory until the next statement that opens a statement
 * journal or the commit; one UPDATE at the end means it flushes (and merges its segments) at the commit. One
 * UPDATE per task made each later statement flush the previous task's terms inside its own journal, which
 * outgrew SQLite's 64 KiB in memory and spilled to a temporary file (bench/HISTORY.md, eighth session).
 */
export function indexUpdateStatements(updates: IndexUpdate[]): SqlStatement[] {
  if (updates.length === 0) return [];
  // one row per task, its newest: an UPDATE … FROM that matches a row twice applies either
  const newest = new Map<string, IndexRow>();
  for (const { row } of updates) if ((newest.get(row.id)?.index_version ?? -Infinity) < row.index_version) newest.set(row.id, row);
  const rows = [...newest.values()].map((row) => [row.id, ...UPDATED.map((c) => row[c])]);
  return [...updates.flatMap((u) => u.ledger), { sql: UPDATE, params: [JSON.stringify(rows)] }];
}
