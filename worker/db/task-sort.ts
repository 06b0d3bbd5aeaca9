import { columnFilters, ftsQuery, searchMatch, type TaskFilters } from "./task-queries";
import { type IndexRow, INDEX_COLUMNS, toListItem, type TaskListItem } from "./task-row";

/**
 * Task lists in any of the four orders, with a creation-date range. Newest first with no range is
 * `listTasks` (FTS walks stop early there); every other combination comes here. The cursor carries
 * the sort key and `seq`, so pages stay exact while rows change: `(key, seq)` is unique and ordered.
 */
export const TASK_SORTS = ["newest", "oldest", "cost", "duration"] as const;
export type TaskSort = (typeof TASK_SORTS)[number];

export interface ListRange {
  /** Inclusive, ms since the epoch. */
  created_from?: number;
  /** Exclusive, ms since the epoch. */
  created_to?: number;
}

interface Position {
  key: number | null;
  seq: number;
}

type Row = IndexRow & { seq: number; duration_ms: number | null };
const COLUMNS = INDEX_COLUMNS.join(", ");
const PREFIX: Record<TaskSort, string> = { newest: "s", oldest: "o", cost: "c", duration: "d" };

const keyOf = (sort: TaskSort, r: Row): number | null => (sort === "cost" ? r.cost_nanos : sort === "duration" ? r.duration_ms : null);

export function encodeSortCursor(sort: TaskSort, r: Row): string {
  const key = keyOf(sort, r);
  const text = sort === "newest" || sort === "oldest" ? `${PREFIX[sort]}:${r.seq}` : `${PREFIX[sort]}:${key ?? "n"}:${r.seq}`;
  return btoa(text).replace(/=+$/, "");
}

/** Null when the cursor is malformed or was made for another sort. */
export function decodeSortCursor(sort: TaskSort, cursor: string): Position | null {
  let text: string;
  try {
    text = atob(cursor);
  } catch {
    return null;
  }
  const p = PREFIX[sort];
  const simple = new RegExp(`^${p}:(\\d{1,15})$`).exec(text);
  if (simple && (sort === "newest" || sort === "oldest")) return { key: null, seq: Number(simple[1]) };
  const keyed = new RegExp(`^${p}:(-?\\d{1,18}|n):(\\d{1,15})$`).exec(text);
  if (!keyed || sort === "newest" || sort === "oldest") return null;
  if (keyed[1] === "n" && sort === "cost") return null;
  return { key: keyed[1] === "n" ? null : Number(keyed[1]), seq: Number(keyed[2]) };
}

/**
 * The duration sort reads in two parts: finished tasks longest first (the index on duration holds only
 * those, so a new task's row costs it no write), then the unfinished ones, which have no duration, newest first.
 */
type Order = "newest" | "oldest" | "cost" | "finished" | "unfinished";

const ORDER: Record<Order, string> = {
  newest: "seq DESC",
  oldest: "seq ASC",
  cost: "cost_nanos DESC, seq DESC",
  finished: "duration_ms DESC, seq DESC",
  unfinished: "seq DESC",
};

function after(order: Order, at: Position): { sql: string; args: unknown[] } {
  switch (order) {
    case "newest":
    case "unfinished":
      return { sql: "seq < ?", args: [at.seq] };
    case "oldest":
      return { sql: "seq > ?", args: [at.seq] };
    case "cost":
      return { sql: "(cost_nanos, seq) < (?, ?)", args: [at.key, at.seq] };
    case "finished":
      return { sql: "(duration_ms, seq) < (?, ?)", args: [at.key, at.seq] };
  }
}

function where(orgId: string, f: TaskFilters, range: ListRange, order: Order, at: Position | null) {
  const { parts, args } = columnFilters(orgId, f);
  if (range.created_from != null) (parts.push("created_at >= ?"), args.push(range.created_from));
  if (range.created_to != null) (parts.push("created_at < ?"), args.push(range.created_to));
  const words = f.q === undefined ? null : ftsQuery(f.q);
  // a task's agents are all in its tags (migrations/0010), not in one column
  if (words || f.agent) (parts.push("seq IN (SELECT rowid FROM tasks_search WHERE tasks_search MATCH ?)"), args.push(searchMatch(orgId, f, words)));
  if (order === "finished") parts.push("duration_ms IS NOT NULL");
  if (order === "unfinished") parts.push("duration_ms IS NULL");
  if (at) {
    const a = after(order, at);
    parts.push(a.sql);
    args.push(...a.args);
  }
  return { sql: parts.join(" AND "), args };
}

async function rowsIn(d1: D1Database, orgId: string, f: TaskFilters, range: ListRange, order: Order, at: Position | null, limit: number): Promise<Row[]> {
  const w = where(orgId, f, range, order, at);
  const { results } = await d1
    .prepare(`SELECT seq, duration_ms, ${COLUMNS} FROM tasks WHERE ${w.sql} ORDER BY ${ORDER[order]} LIMIT ?`)
    .bind(...w.args, limit)
    .all<Row>();
  return results;
}

/** One page of raw rows (limit + 1 to tell whether more follow). */
export async function sortedRows(d1: D1Database, orgId: string, f: TaskFilters, range: ListRange, sort: TaskSort, at: Position | null, limit: number): Promise<Row[]> {
  if (sort !== "duration") return rowsIn(d1, orgId, f, range, sort, at, limit + 1);
  // a cursor past the finished tasks (its key is null) continues among the unfinished ones
  const finished = at === null || at.key !== null ? await rowsIn(d1, orgId, f, range, "finished", at, limit + 1) : [];
  if (finished.length > limit) return finished;
  return [...finished, ...(await rowsIn(d1, orgId, f, range, "unfinished", at?.key === null ? at : null, limit + 1 - finished.length))];
}

export async function listTasksSorted(
  d1: D1Database, orgId: string, f: TaskFilters, range: ListRange, sort: TaskSort, at: Position | null, limit: number,
): Promise<{ items: TaskListItem[]; next_cursor: string | null }> {
  const rows = await sortedRows(d1, orgId, f, range, sort, at, limit);
  const page = rows.slice(0, limit);
  return { items: page.map(toListItem), next_cursor: rows.length > limit ? encodeSortCursor(sort, page[page.length - 1]) : null };
}

/** Every matching row in order, a page at a time, up to `cap`; `truncated` once more were left. */
export async function* allTasksSorted(d1: D1Database, orgId: string, f: TaskFilters, range: ListRange, sort: TaskSort, cap: number, pageSize = 500) {
  let at: Position | null = null;
  let sent = 0;
  while (sent < cap) {
    const rows = await sortedRows(d1, orgId, f, range, sort, at, Math.min(pageSize, cap - sent));
    const page = rows.slice(0, Math.min(pageSize, cap - sent));
    for (const r of page) yield r;
    sent += page.length;
    if (rows.length <= page.length) return;
    const last = page[page.length - 1];
    at = { key: keyOf(sort, last), seq: last.seq };
  }
}

export type SortedRow = Row;

/** Whether more than `n` rows match (one index walk, no rows read back). */
export async function moreThan(d1: D1Database, orgId: string, f: TaskFilters, range: ListRange, n: number): Promise<boolean> {
  const w = where(orgId, f, range, "newest", null);
  const row = await d1.prepare(`SELECT 1 AS x FROM tasks WHERE ${w.sql} LIMIT 1 OFFSET ?`).bind(...w.args, n).first<{ x: number }>();
  return row != null;
}
