import type { Bindings } from "../env";
import { log } from "../lib/log";
import { taskStub } from "../task/stub";

const AT_ONCE = 20;

/**
 * After the monthly cap changed: every task of the organization waiting on a budget question is told, and each
 * lets the steps it paused at the cap go on if the month now has room (a task's own budget questions stay).
 */
export async function releaseCapped(env: Bindings, orgId: string): Promise<void> {
  const { results } = await env.DB.prepare(`SELECT id FROM tasks WHERE org_id = ? AND status = 'needs_input' AND pending LIKE '%"kind":"budget"%'`)
    .bind(orgId)
    .all<{ id: string }>();
  for (let i = 0; i < results.length; i += AT_ONCE) {
    await Promise.all(
      results.slice(i, i + AT_ONCE).map(({ id }) => taskStub(env, id).capChanged().catch((e: unknown) => log("warn", "cap change not told to a task", { task_id: id, error: String(e) }))),
    );
  }
}
