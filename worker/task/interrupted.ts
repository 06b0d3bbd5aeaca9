import type { Bindings } from "../env";
import { keepLogNumber } from "../db/log-numbers";
import { log } from "../lib/log";
import { taskStub } from "./stub";

/**
 * A create writes its task's index row, then starts the task's object (./create.ts). Should the process stop
 * between the two, the row shows a pending task that no object holds: its detail is 404, it cannot be
 * cancelled and it never runs. That create never answered, so it is undone as a refused one is: the object
 * is marked so that a start arriving after all is refused, then the row and its audit entry go. A row is
 * looked at once it is this old and its object has never written it (a task's object writes its row with
 * its own version, always above 0).
 */
export const INTERRUPTED_AFTER_MS = 60_000;
const BATCH = 50;
const MAX_BATCHES = 20;

/** When each organization was last looked at, in this isolate: at most once a minute. */
const lastLook = new Map<string, number>();

/** Called where such rows show (lists, summaries, a detail that is 404); the work runs after the answer. */
export function lookForInterruptedCreates(env: Bindings, ctx: Pick<ExecutionContext, "waitUntil">, orgId: string, now = Date.now()): void {
  if ((lastLook.get(orgId) ?? -Infinity) > now - INTERRUPTED_AFTER_MS) return;
  lastLook.set(orgId, now);
  ctx.waitUntil(undoAll(env, orgId, now).catch((e) => log("warn", "interrupted creates not undone", { org_id: orgId, error: String(e) })));
}

/** Batch after batch while batches come back full (a restart under load cuts off many creates at once), up to a bound. */
async function undoAll(env: Bindings, orgId: string, now: number): Promise<void> {
  for (let i = 0; i < MAX_BATCHES && (await undoInterruptedCreates(env, orgId, now)).looked === BATCH; i++);
}

/** Looks at up to a batch of the organization's rows no object has written, and undoes the interrupted creates among them. */
export async function undoInterruptedCreates(env: Bindings, orgId: string, now = Date.now()): Promise<{ looked: number; undone: string[] }> {
  const { results } = await env.DB.prepare("SELECT id FROM tasks WHERE org_id = ? AND status = 'pending' AND index_version = 0 AND created_at < ? LIMIT ?")
    .bind(orgId, now - INTERRUPTED_AFTER_MS, BATCH)
    .all<{ id: string }>();
  const undone: string[] = [];
  for (const { id } of results) if ((await taskStub(env, id).confirm()) === "abandoned") undone.push(id);
  if (undone.length) await undo(env, orgId, undone);
  return { looked: results.length, undone };
}

/**
 * For a retry that finds its request's first try unanswered but tied to a task (an Idempotency-Key, a webhook
 * delivery; the tie is written in the create's own batch): "stored" when the task's object holds it, so the
 * retry answers with it; "pending" while the first try may still be starting it (less than a minute); else
 * the create is undone now ("undone") and the retry starts afresh.
 */
export async function requestTask(env: Bindings, orgId: string, taskId: string, since: number, now = Date.now()): Promise<"stored" | "pending" | "undone"> {
  const stub = taskStub(env, taskId);
  if (await stub.holds()) return "stored";
  if (since > now - INTERRUPTED_AFTER_MS) return "pending";
  if ((await stub.confirm()) === "stored") return "stored";
  await undo(env, orgId, [taskId]);
  return "undone";
}

async function undo(env: Bindings, orgId: string, ids: string[]): Promise<void> {
  await env.DB.batch([
    keepLogNumber(env.DB, "audit", orgId),
    ...ids.flatMap((id) => [
      env.DB.prepare("DELETE FROM tasks WHERE id = ? AND org_id = ? AND index_version = 0").bind(id, orgId),
      env.DB.prepare("DELETE FROM audit_log WHERE org_id = ? AND target_type = 'task' AND target_id = ?").bind(orgId, id),
      // what tied a request to it goes too, so the request's retry starts it again
      env.DB.prepare("DELETE FROM webhook_deliveries WHERE task_id = ?").bind(id),
      env.DB.prepare("DELETE FROM idempotency_keys WHERE org_id = ? AND task_id = ?").bind(orgId, id),
    ]),
  ]);
  log("warn", "undid creates a restart interrupted", { org_id: orgId, task_ids: ids });
}
