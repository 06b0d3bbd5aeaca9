import type { IndexRow } from "../db/task-row";
import { toListItem } from "../db/task-row";
import type { Bindings } from "../env";
import { log } from "../lib/log";
import { eventForStatus, type TaskTransition } from "./events";
import { delay } from "../lib/time";

const ATTEMPTS = 6;

export const notifierStub = (env: Bindings, orgId: string) => env.NOTIFIER.get(env.NOTIFIER.idFromName(orgId));

/**
 * The transition a task's row records, when it is one subscribers can want. `index_version` is the id of
 * the transition's own event in the task's log, so the key is unique per transition and a retried
 * hand-over is recognised and queues nothing twice.
 */
export function transitionOf(row: IndexRow): TaskTransition | null {
  const type = eventForStatus(row.status);
  if (!type) return null;
  return { key: `${row.id}:${row.index_version}`, org_id: row.org_id, type, task_id: row.id, at: row.finished_at ?? Date.now(), task: toListItem(row) };
}

/** To the organization's Notifier, retried with backoff (the Notifier records each transition once); throws once it gives up. */
export async function handOver(env: Bindings, t: TaskTransition, attempt = 0): Promise<void> {
  try {
    await notifierStub(env, t.org_id).enqueue(t);
  } catch (e) {
    log("warn", "notification hand-over failed", { task_id: t.task_id, event: t.type, attempt, error: String(e) });
    if (attempt + 1 >= ATTEMPTS) throw e;
    await delay(200 * 2 ** attempt);
    return handOver(env, t, attempt + 1);
  }
}
