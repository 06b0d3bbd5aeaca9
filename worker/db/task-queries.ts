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

const hex = (s: string) => Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * The `tasks_search` MATCH for an organization, its filters and the words typed.
 * Filter tags are scoped to the organization (see migrations/0003_tasks_search.sql),
 * so FTS5 only walks that organization's postings.
 */
export function searchMatch(orgId: string, f: TaskFilters, words: string): string {
  const tags: string[] = [];
  if (f.status) tags.push(`s${hex(`${orgId} ${f.status}`)}`);
  if (f.source) tags.push(`r${hex(`${orgId} ${f.source}`)}`);
  if (f.agent) tags.push(`a${hex(`${orgId} ${f.agent}`)}`);
  if (!tags.length) tags.push(`o${hex(orgId)}`);
  const terms = words.split(" ").map((w) => `{title description} : ${w}`);
  return [...tags.map((t) => `tags : "${t}"`), ...terms].join(" AND ");
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
  if (beforeSeq != null) (parts.push("seq < ?"), args.push(beforeSeq));
  return { sql: parts.join(" AND "), args };
}

/** The rowids of the newest `limit` matches, newest first: FTS5 walks its postings in rowid order and stops early. */
function matchSubquery(orgId: string, f: TaskFilters, words: string, beforeSeq: number | null, limit: number) {
  const before = beforeSeq == null ? "" : " AND rowid < ?";
  return {
    sql: `SELECT rowid AS seq FROM tasks_search WHERE tasks_search MATCH ?${before} ORDER BY rowid DESC LIMIT ?`,
    args: [searchMatch(orgId, f, words), ...(beforeSeq == null ? [] : [beforeSeq]), limit],
  };
}

function pageStatement(d1: D1Database, orgId: string, f: TaskFilters, beforeSeq: number | null, limit: number) {
  const words = f.q === undefined ? null : ftsQuery(f.q);
  if (words) {
    const m = matchSubquery(orgId, f, words, beforeSeq, limit + 1);
    // org_id again: the tags already scope the match, this keeps a stray token from ever crossing organizations.
    return d1.prepare(`SELECT seq, ${COLUMNS} FROM tasks WHERE seq IN (${m.sql}) AND org_id = ? ORDER BY seq DESC`).bind(...m.args, orgId);
  }
  const w = where(orgId, f, beforeSeq);
  return d1.prepare(`SELECT seq, ${COLUMNS} FROM tasks WHERE ${w.sql} ORDER BY seq DESC LIMIT ?`).bind(...w.args, limit + 1);
}

/**
 * Capped count and first page of one status group. With words, the count walks the matches in FTS5's own
 * (ascending) rowid order, which is much cheaper than walking them backwards, and any 1001 of them decide "1000+".
 * When they are all there, the newest come from that set; only a capped group walks again, newest first, and stops
 * after a page.
 */
function groupStatement(d1: D1Database, orgId: string, f: TaskFilters, perGroup: number) {
  const words = f.q === undefined ? null : ftsQuery(f.q);
  if (words) {
    return d1
      .prepare(
        `WITH m AS MATERIALIZED (SELECT rowid AS seq FROM tasks_search WHERE tasks_search MATCH ?1 LIMIT ?2),
         c AS MATERIALIZED (SELECT count(*) AS n FROM m)
         SELECT c.n, t.* FROM c LEFT JOIN (SELECT seq, ${COLUMNS} FROM tasks WHERE seq IN (
           SELECT seq FROM (SELECT seq FROM m ORDER BY seq DESC LIMIT (SELECT iif(n < ?2, ?3, 0) FROM c))
           UNION ALL
           SELECT seq FROM (SELECT rowid AS seq FROM tasks_search WHERE tasks_search MATCH ?1 ORDER BY rowid DESC LIMIT (SELECT iif(n < ?2, 0, ?3) FROM c))
         ) AND org_id = ?4) AS t
         ORDER BY t.seq DESC`,
      )
      .bind(searchMatch(orgId, f, words), COUNT_CAP + 1, perGroup + 1, orgId);
  }
  const w = where(orgId, f, null);
  return d1
    .prepare(
      `SELECT c.n, t.* FROM (SELECT count(*) AS n FROM (SELECT 1 FROM tasks WHERE ${w.sql} LIMIT ?)) AS c
       LEFT JOIN (SELECT seq, ${COLUMNS} FROM tasks WHERE ${w.sql} ORDER BY seq DESC LIMIT ?) AS t
       ORDER BY t.seq DESC`,
    )
    .bind(...w.args, COUNT_CAP + 1, ...w.args, perGroup + 1);
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
  const results = await d1.batch<Row & { n: number }>(statuses.map((status) => groupStatement(d1, orgId, { ...f, status }, perGroup)));
  const counts: Record<string, number | string> = {};
  const groups: Record<string, ReturnType<typeof toPage>> = {};
  statuses.forEach((status, i) => {
    const rows = results[i].results;
    const n = rows[0]?.n ?? 0;
    counts[status] = n > COUNT_CAP ? `${COUNT_CAP}+` : n;
    groups[status] = toPage(rows.filter((r) => r.seq != null), perGroup);
  });
  return { counts, groups };
}

export async function findTask(d1: D1Database, orgId: string, id: string): Promise<IndexRow | null> {
  return d1.prepare(`SELECT ${COLUMNS} FROM tasks WHERE id = ? AND org_id = ?`).bind(id, orgId).first<IndexRow>();
}

export async function findTaskBySession(d1: D1Database, orgId: string, sessionId: string): Promise<IndexRow | null> {
  return d1.prepare(`SELECT ${COLUMNS} FROM tasks WHERE session_id = ? AND org_id = ?`).bind(sessionId, orgId).first<IndexRow>();
}
