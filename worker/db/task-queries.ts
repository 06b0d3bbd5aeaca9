import { TASK_STATUSES, type TaskSource, type TaskStatus } from "./schema";
import { foldText, hasUnspaced, searchText } from "./search-text";
import { type IndexRow, INDEX_COLUMNS, toListItem, type TaskListItem } from "./task-row";

export interface TaskFilters {
  status?: TaskStatus;
  source?: TaskSource;
  agent?: string;
  q?: string;
  /** tasks the trigger started: an index range of `tasks` (migration 0016), with any other filter checked on it */
  trigger_id?: string;
  /** the sub-tasks a task's agents started (at most `SPAWN_LIMITS.children`): its index range, as `trigger_id`'s */
  parent_id?: string;
}

/** A filter few enough rows answer that its index range is read and the other filters checked on it. */
const narrow = (f: TaskFilters) => Boolean(f.trigger_id || f.parent_id);

export const COUNT_CAP = 1000;
const COLUMNS = INDEX_COLUMNS.join(", ");

/** A word typed, its FTS5 term, and the texts the term matches as prefixes. */
export interface SearchWord {
  word: string;
  term: string;
  prefixes: string[];
}

/**
 * Turns whatever a person typed into safe FTS5 terms: every word becomes a quoted prefix term, so FTS syntax
 * (quotes, NEAR, -, *, :) is never interpreted. A word in an unspaced script is the phrase of its characters,
 * as the index holds them (`searchText`; a character there is a whole term, so such an ending is no prefix),
 * or the prefix of a run of text as a description written before migration 0017 was indexed.
 */
export function ftsQuery(q: string): SearchWord[] | null {
  // `_` joins words (snake_case) but the index splits at it, so a word of `_` alone is no word: it would match nothing
  const words = q.normalize("NFKC").match(/[\p{L}\p{N}_]+/gu)?.filter((w) => /[\p{L}\p{N}]/u.test(w));
  if (!words?.length) return null;
  return words.slice(0, 16).map((typed) => {
    const word = foldText(typed);
    // a row not yet given its folded copy (migration 0042 queues them) holds the word as typed
    const unfolded = word === typed ? "" : ` OR "${typed}"*`;
    if (!hasUnspaced(word)) return { word, term: unfolded ? `("${word}"*${unfolded})` : `"${word}"*`, prefixes: [word] };
    const parts = searchText(word)!.split(" ").filter(Boolean);
    const last = parts[parts.length - 1];
    const phrase = `"${parts.join(" ")}"${hasUnspaced(last) ? "" : "*"}`;
    return { word, term: `(${phrase} OR "${word}"*${unfolded})`, prefixes: hasUnspaced(last) ? [word] : [word, last] };
  });
}

const hex = (s: string) => Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, "0")).join("");

/** Filter tags scoped to the organization (see migrations/0003_tasks_search.sql); without filters, the organization's own. */
function filterTags(orgId: string, f: TaskFilters): string[] {
  const tags: string[] = [];
  if (f.status) tags.push(`s${hex(`${orgId} ${f.status}`)}`);
  if (f.source) tags.push(`r${hex(`${orgId} ${f.source}`)}`);
  if (f.agent) tags.push(`a${hex(`${orgId} ${f.agent}`)}`);
  if (!tags.length) tags.push(`o${hex(orgId)}`);
  return tags.map((t) => `tags : "${t}"`);
}

/** What a hidden tag token can start with: one of `o s r a`, then hex digits (matched after case folding). */
const TAG_START = /^[osra][0-9a-f]*$/i;

/**
 * `term` (a word's, or an expression over terms that start with `word`) limited to title and description. The
 * column filter only matters for a word that could start a hidden tag token, and costs a check of every posting
 * FTS5 walks past, so a plain word that cannot goes without it.
 */
const inText = (word: string, term: string) => (/^[a-z0-9]+$/i.test(word) && !TAG_START.test(word) ? term : `{title description} : ${term}`);

/**
 * The `tasks_search` MATCH for an organization, its filters and the words typed (none: the filters alone).
 * Filter tags are scoped to the organization, so FTS5 only walks that organization's postings.
 */
export function searchMatch(orgId: string, f: TaskFilters, words: SearchWord[] | null): string {
  return [...filterTags(orgId, f), ...(words ? words.map((w) => inText(w.word, w.term)) : [])].join(" AND ");
}

/** The longest prefix with its own FTS5 index (migrations/0003: prefix='2 3 4 5 6'). */
const INDEXED_PREFIX = 6;
/** How many whole terms a longer word may stand for before it stays a prefix. */
const MAX_TERMS = 16;
/** A word whose folding is plain lowercase (so it compares with the vocabulary as it is) and longer than any prefix index. */
const LONG_WORD = new RegExp(`^[A-Za-z0-9]{${INDEXED_PREFIX + 1},}$`);

/**
 * The whole terms a long word starts, as the MATCH text `("pricing" OR "pricings")` (`inText`).
 * The vocabulary (migrations/0006) is read in term order, one seek per term: `>= term || char(0)` starts
 * after a term without reading its postings. With more than MAX_TERMS, the word stays a prefix.
 */
function wholeTerms(word: string): { sql: string; args: unknown[] } {
  const end = word.slice(0, -1) + String.fromCharCode(word.charCodeAt(word.length - 1) + 1);
  return {
    sql: `(WITH RECURSIVE t(term, n) AS (
             SELECT ?, 1
             UNION ALL
             SELECT (SELECT v.term FROM tasks_search_terms AS v WHERE v.term >= t.term || char(0) AND v.term < ? LIMIT 1), t.n + 1
             FROM t WHERE t.term IS NOT NULL AND t.n <= ${MAX_TERMS})
           SELECT iif(count(term) > ${MAX_TERMS}, ?, '${inText(word, "(")}' || group_concat('"' || replace(term, '"', '""') || '"', ' OR ') || ')') FROM t)`,
    args: [word, end, inText(word, `"${word}"*`)],
  };
}

/**
 * The words of `searchMatch` as an SQL expression. FTS5 answers a prefix longer than its longest prefix index by
 * merging the postings of every term it starts, in every organization, again in each query; a long word instead
 * becomes the OR of the whole terms it starts (`wholeTerms`), which FTS5 seeks in like any other term. `scans`
 * tells that a prefix stays without an index (one letter, or a long word whose folding is not plain lowercase).
 */
function wordsExpression(words: SearchWord[]): { sql: string; args: unknown[]; scans: boolean } {
  const plain: string[] = [];
  const sql: string[] = [];
  const args: unknown[] = [];
  let scans = false;
  for (const { word, term, prefixes } of words) {
    // a word typed with accents also looks for the word as typed (`ftsQuery`): that term stays as it is
    if (!LONG_WORD.test(word) || term !== `"${word}"*`) {
      scans ||= prefixes.some((p) => [...p].length < 2 || [...p].length > INDEXED_PREFIX);
      plain.push(inText(word, term));
      continue;
    }
    const e = wholeTerms(word.toLowerCase());
    sql.push(e.sql);
    args.push(...e.args);
  }
  if (plain.length) (sql.unshift("?"), args.unshift(plain.join(" AND ")));
  return { sql: sql.join(" || ' AND ' || "), args, scans };
}

/**
 * What `tasks_search` answers: words, an agent (a task has as many as its plan: only the tags hold them all), or
 * two filters and more, whose tag postings FTS5 intersects in rowid order (one `tasks` index range would walk
 * past every row of the other filter). Null when one index range answers.
 */
function textMatch(orgId: string, f: TaskFilters): { tags: string; words: { sql: string; args: unknown[] } | null } | null {
  const words = f.q === undefined ? null : ftsQuery(f.q);
  if (narrow(f) || (!words && !f.agent && [f.status, f.source].filter(Boolean).length < 2)) return null;
  return { tags: filterTags(orgId, f).join(" AND "), words: words ? wordsExpression(words) : null };
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

/** The organization and the filters that are columns of `tasks`, as the start of a WHERE clause. */
export function columnFilters(orgId: string, f: TaskFilters): { parts: string[]; args: unknown[] } {
  const parts = ["org_id = ?"];
  const args: unknown[] = [orgId];
  if (f.trigger_id) (parts.push("trigger_id = ?"), args.push(f.trigger_id));
  if (f.parent_id) (parts.push("parent_id = ?"), args.push(f.parent_id));
  if (f.status) (parts.push("status = ?"), args.push(f.status));
  if (f.source) (parts.push("source = ?"), args.push(f.source));
  return { parts, args };
}

/**
 * The filters `textMatch` leaves to an index range of `tasks`: at most a status or a source, or a trigger's
 * tasks or a task's sub-tasks, which are few enough beside the organization's that the words and agent are
 * checked on them.
 */
function where(orgId: string, f: TaskFilters, beforeSeq: number | null): { sql: string; args: unknown[] } {
  const { parts, args } = columnFilters(orgId, f);
  const words = narrow(f) && f.q !== undefined ? ftsQuery(f.q) : null;
  if (narrow(f) && (words || f.agent)) (parts.push("seq IN (SELECT rowid FROM tasks_search WHERE tasks_search MATCH ?)"), args.push(searchMatch(orgId, f, words)));
  if (beforeSeq != null) (parts.push("seq < ?"), args.push(beforeSeq));
  return { sql: parts.join(" AND "), args };
}

function pageStatement(d1: D1Database, orgId: string, f: TaskFilters, beforeSeq: number | null, limit: number) {
  const m = textMatch(orgId, f);
  if (m) {
    // The newest matches: FTS5 walks its postings in rowid order and stops after a page.
    const match = m.words ? `? || ' AND ' || ${m.words.sql}` : "?";
    const before = beforeSeq == null ? "" : " AND rowid < ?";
    // org_id again: the tags already scope the match, this keeps a stray token from ever crossing organizations.
    return d1
      .prepare(
        `SELECT seq, ${COLUMNS} FROM tasks WHERE seq IN (
           SELECT rowid FROM tasks_search WHERE tasks_search MATCH ${match}${before} ORDER BY rowid DESC LIMIT ?
         ) AND org_id = ? ORDER BY seq DESC`,
      )
      .bind(m.tags, ...(m.words?.args ?? []), ...(beforeSeq == null ? [] : [beforeSeq]), limit + 1, orgId);
  }
  const w = where(orgId, f, beforeSeq);
  return d1.prepare(`SELECT seq, ${COLUMNS} FROM tasks WHERE ${w.sql} ORDER BY seq DESC LIMIT ?`).bind(...w.args, limit + 1);
}

/**
 * Capped count and first page of one status group, as rows `(n, seq, …columns)`; `match` is the SQL of the
 * group's MATCH text, or null for an index range of `tasks`. A match's count walks FTS5's postings in their own
 * (ascending) rowid order, much cheaper than backwards, and any COUNT_CAP + 1 of them decide the cap. When they
 * are all there, the newest come from that set; only a capped group walks again, newest first, for its page.
 * A prefix without an index costs a merge of its postings per walk, so then one walk, newest first, serves both.
 */
function groupQuery(orgId: string, f: TaskFilters, match: { sql: string; args: unknown[]; scans: boolean } | null, perGroup: number) {
  const cap = COUNT_CAP + 1;
  const page = perGroup + 1;
  if (match) {
    const walk = (order: string, limit: string) => `SELECT rowid AS seq FROM tasks_search WHERE tasks_search MATCH (SELECT q FROM q)${order} LIMIT ${limit}`;
    const [count, newest] = match.scans
      ? [walk(" ORDER BY rowid DESC", `${cap}`), `SELECT seq FROM m ORDER BY seq DESC LIMIT ${page}`]
      : [
          walk("", `${cap}`),
          `SELECT seq FROM (SELECT seq FROM m ORDER BY seq DESC LIMIT (SELECT iif(n < ${cap}, ${page}, 0) FROM c))
           UNION ALL SELECT seq FROM (${walk(" ORDER BY rowid DESC", `(SELECT iif(n < ${cap}, 0, ${page}) FROM c)`)})`,
        ];
    return {
      sql: `WITH q AS MATERIALIZED (SELECT ${match.sql} AS q), m AS MATERIALIZED (${count}), c AS MATERIALIZED (SELECT count(*) AS n FROM m)
        SELECT c.n, t.* FROM c LEFT JOIN (SELECT seq, ${COLUMNS} FROM tasks WHERE seq IN (${newest}) AND org_id = ?) AS t`,
      args: [...match.args, orgId],
    };
  }
  const w = where(orgId, f, null);
  return {
    sql: `SELECT c.n, t.* FROM (SELECT count(*) AS n FROM (SELECT 1 FROM tasks WHERE ${w.sql} LIMIT ${cap})) AS c
      LEFT JOIN (SELECT seq, ${COLUMNS} FROM tasks WHERE ${w.sql} ORDER BY seq DESC LIMIT ${page}) AS t`,
    args: [...w.args, ...w.args],
  };
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

/** UNION ALL of the selects, nested so no compound has more than D1's limit of 5 terms. */
function compound(selects: string[]): string {
  if (selects.length <= 5) return selects.join(" UNION ALL ");
  const half = Math.ceil(selects.length / 2);
  return [selects.slice(0, half), selects.slice(half)].map((s) => `SELECT * FROM (${compound(s)})`).join(" UNION ALL ");
}

/**
 * Per-status counts (capped) and the first page of every group, in one statement: the words are expanded once
 * (`w`) for every group's match.
 */
export async function taskSummary(d1: D1Database, orgId: string, f: TaskFilters, perGroup = 5) {
  if (!Number.isInteger(perGroup) || perGroup < 1) throw new RangeError(`perGroup ${perGroup}`);
  const statuses = f.status ? [f.status] : [...TASK_STATUSES];
  const words = f.q === undefined ? null : ftsQuery(f.q);
  const w = words ? wordsExpression(words) : null;
  const groups = statuses.map((status) => {
    const g = { ...f, status };
    const m = textMatch(orgId, g);
    return groupQuery(orgId, g, m && { sql: w ? "? || ' AND ' || (SELECT w FROM w)" : "?", args: [m.tags], scans: w?.scans ?? false }, perGroup);
  });
  const sql =
    (w ? `WITH w AS MATERIALIZED (SELECT ${w.sql} AS w) ` : "") +
    compound(groups.map((g, i) => `SELECT ${i} AS g, * FROM (${g.sql})`)) +
    " ORDER BY g, seq DESC";
  const { results } = await d1
    .prepare(sql)
    .bind(...(w?.args ?? []), ...groups.flatMap((g) => g.args))
    .all<Row & { g: number; n: number }>();
  const counts: Record<string, number | string> = {};
  const pages: Record<string, ReturnType<typeof toPage>> = {};
  statuses.forEach((status, i) => {
    const rows = results.filter((r) => r.g === i);
    const n = rows[0]?.n ?? 0;
    counts[status] = n > COUNT_CAP ? `${COUNT_CAP}+` : n;
    pages[status] = toPage(rows.filter((r) => r.seq != null), perGroup);
  });
  return { counts, groups: pages };
}

export async function findTask(d1: D1Database, orgId: string, id: string): Promise<IndexRow | null> {
  return d1.prepare(`SELECT ${COLUMNS} FROM tasks WHERE id = ? AND org_id = ?`).bind(id, orgId).first<IndexRow>();
}

export async function findTaskBySession(d1: D1Database, orgId: string, sessionId: string): Promise<IndexRow | null> {
  return d1.prepare(`SELECT ${COLUMNS} FROM tasks WHERE session_id = ? AND org_id = ?`).bind(sessionId, orgId).first<IndexRow>();
}
