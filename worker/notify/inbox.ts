import { type IndexRow, INDEX_COLUMNS, toListItem } from "../db/task-row";
import { SPAWN_LIMITS } from "../task/create";

export const INBOX_LIMIT = 50;
const COLUMNS = INDEX_COLUMNS.join(", ");

/**
 * What waits for the signed-in person: the organization's tasks in `needs_input` (a question,
 * an approval or a budget decision any member may give), the ones this token created first (a
 * sub-task counts as made by whoever made the task it works for, however deep),
 * then newest first. `count` is the whole number waiting, capped like list counts.
 */
export async function inbox(d1: D1Database, orgId: string, tokenId: string) {
  const [rows, total] = await d1.batch<IndexRow & { mine: number; n: number }>([
    d1
      .prepare(
        `WITH RECURSIVE asked AS (SELECT ${COLUMNS}, seq FROM tasks WHERE org_id = ?2 AND status = 'needs_input'),
           up(task, parent, by, depth) AS (
             SELECT id, parent_id, created_by, 0 FROM asked
             UNION ALL SELECT up.task, t.parent_id, t.created_by, up.depth + 1 FROM up JOIN tasks AS t ON t.id = up.parent WHERE up.depth < ${SPAWN_LIMITS.depth})
         SELECT asked.*, EXISTS (SELECT 1 FROM up WHERE up.task = asked.id AND json_extract(up.by, '$.type') = 'token' AND json_extract(up.by, '$.id') = ?1) AS mine
         FROM asked ORDER BY mine DESC, seq DESC LIMIT ?3`,
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
