import type { Bindings } from "../env";
import { orgFeed } from "../live/org-feed";
import { type IndexRow, INDEX_COLUMNS, toListItem } from "../db/task-row";
import { log } from "../lib/log";
import type { RpcResult } from "../task/rpc-result";
import { taskStub } from "../task/stub";


/**
 * Deletes a finished task: its object's storage (plan, steps, runs, traces,
 * events) first, then its index row — so a failure part way leaves a row that
 * a retry (or the retention janitor) can still find. Its spend stays in the ledger.
 * Open dashboards are told (`task.deleted`, its last list item), so it leaves their lists.
 */
export async function purgeTask(env: Bindings, orgId: string, id: string, audit: D1PreparedStatement[] = []): Promise<RpcResult> {
  const wiped = await taskStub(env, id).purge();
  if (!wiped.ok) return wiped;
  const [deleted] = await env.DB.batch<IndexRow>([
    env.DB.prepare(`DELETE FROM tasks WHERE org_id = ? AND id = ? RETURNING ${INDEX_COLUMNS.join(", ")}`).bind(orgId, id),
    ...audit,
  ]);
  const row = deleted.results[0];
  // the task is gone either way; a dashboard the event misses drops it at its next refetch
  if (row) await orgFeed(env, orgId).publish("task.deleted", toListItem(row)).catch((e) => log("warn", "task.deleted not published", { org_id: orgId, task_id: id, error: String(e) }));
  return wiped;
}
