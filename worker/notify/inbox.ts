import { type IndexRow, INDEX_COLUMNS, toListItem } from "../db/task-row";

export const INBOX_LIMIT = 50;
const COLUMNS = INDEX_COLUMNS.join(", ");

/**
 * What waits for the signed-in person: the organization's tasks in `needs_input` (a question,
 * an approval or a budget decision any member may give), the ones this token created first,
 * then newest first. `count` is the whole number waiting, capped like list counts.
 */
export async function inbox(d1: D1Database, orgId: string, tokenId: string) {
  const [rows, total] = await d1.batch<IndexRow & { mine: number; n: number }>([
    d1
      .prepare(
        `SELECT ${COLUMNS}, (json_extract(created_by, '$.type') = 'token' AND json_extract(created_by, '$.id') = ?) AS mine
         FROM tasks WHERE org_id = ? AND status = 'needs_input' ORDER BY mine DESC, seq DESC LIMIT ?`,
      )
      .bind(tokenId, orgId, INBOX_LIMIT),
    d1.prepare("SELECT count(*) AS n FROM (SELECT 1 FROM tasks WHERE org_id = ? AND status = 'needs_input' LIMIT 1001)").bind(orgId),
  ]);
  const n = total.results[0]?.n ?? 0;
  return {
    items: rows.results.map((r) => ({ ...toListItem(r), mine: r.mine === 1 })),
    next_cursor: null,
    count: n > 1000 ? "1000+" : n,
  };
}
