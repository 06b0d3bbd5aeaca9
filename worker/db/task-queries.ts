import { TASK_STATUSES, type TaskSource, type TaskStatus } from "./schema";
import { type IndexRow, INDEX_COLUMNS, toListItem, type TaskListItem } from "./task-row";

export interface TaskFilters {
  status?: TaskStatus;
  source?: TaskSource;
  agent?: string;
  q?: string;
}

export const COUNT_CAP = 1000;
const COLUMNS = INDEX_COLUMNS.join(", ");

/**
 * Turns whatever a person typed into a safe FTS5 query: every word becomes a
 * quoted prefix term, so FTS syntax (quotes, NEAR, -, *, :) is never interpreted.
 */
export function ftsQuery(q: string): string | null {
  const words = q.normalize("NFKC").match(/[\p{L}\p{N}_]+/gu);
  if (!words?.length) return null;
  return words.slice(0, 16).map((w) => `"${w}"*`).join(" ");
}

export const encodeCursor = (seq: number) => btoa(`s:${seq}`).replace(/=+$/, "");
export function decodeCursor(cursor: string): number | null {
  try {
    const m = /^s:(\d+)$/.exec(atob(cursor));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function where(orgId: string, f: TaskFilters, beforeSeq: number | null): { sql: string; args: unknown[] } {
  const parts = ["org_id = ?"];
  const args: unknown[] = [orgId];
  if (f.status) (parts.push("status = ?"), args.push(f.status));
  if (f.source) (parts.push("source = ?"), args.push(f.source));
  if (f.agent) (parts.push("agent = ?"), args.push(f.agent));
  if (f.q !== undefined) {
    const match = ftsQuery(f.q);
    if (match) (parts.push("seq IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ?)"), args.push(match));
  }
  if (beforeSeq != null) (parts.push("seq < ?"), args.push(beforeSeq));
  return { sql: parts.join(" AND "), args };
}

function pageStatement(d1: D1Database, orgId: string, f: TaskFilters, beforeSeq: number | null, limit: number) {
  const w = where(orgId, f, beforeSeq);
  return d1.prepare(`SELECT seq, ${COLUMNS} FROM tasks WHERE ${w.sql} ORDER BY seq DESC LIMIT ?`).bind(...w.args, limit + 1);
}

type Row = IndexRow & { seq: number };

function toPage(rows: Row[], limit: number): { items: TaskListItem[]; next_cursor: string | null } {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { items: page.map(toListItem), next_cursor: more ? encodeCursor(page[page.length - 1].seq) : null };
}

export async function listTasks(d1: D1Database, orgId: string, f: TaskFilters, cursor: number | null, limit: number) {
  const { results } = await pageStatement(d1, orgId, f, cursor, limit).all<Row>();
  return toPage(results, limit);
}

/** Per-status counts (capped) and the first page of every group, in one D1 round trip. */
export async function taskSummary(d1: D1Database, orgId: string, f: TaskFilters, perGroup = 5) {
  const statuses = f.status ? [f.status] : [...TASK_STATUSES];
  const stmts = statuses.flatMap((status) => {
    const w = where(orgId, { ...f, status }, null);
    return [
      d1.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM tasks WHERE ${w.sql} LIMIT ?)`).bind(...w.args, COUNT_CAP + 1),
      pageStatement(d1, orgId, { ...f, status }, null, perGroup),
    ];
  });
  const results = await d1.batch(stmts);
  const counts: Record<string, number | string> = {};
  const groups: Record<string, ReturnType<typeof toPage>> = {};
  statuses.forEach((status, i) => {
    const n = (results[2 * i].results[0] as { n: number }).n;
    counts[status] = n > COUNT_CAP ? `${COUNT_CAP}+` : n;
    groups[status] = toPage(results[2 * i + 1].results as Row[], perGroup);
  });
  return { counts, groups };
}

export async function findTask(d1: D1Database, orgId: string, id: string): Promise<IndexRow | null> {
  return d1.prepare(`SELECT ${COLUMNS} FROM tasks WHERE id = ? AND org_id = ?`).bind(id, orgId).first<IndexRow>();
}

export async function findTaskBySession(d1: D1Database, orgId: string, sessionId: string): Promise<IndexRow | null> {
  return d1.prepare(`SELECT ${COLUMNS} FROM tasks WHERE session_id = ? AND org_id = ?`).bind(sessionId, orgId).first<IndexRow>();
}
