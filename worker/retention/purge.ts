import type { Bindings } from "../env";
import type { RpcResult } from "../task/runner";

const taskStub = (env: Bindings, id: string) => env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(id));

/**
 * Deletes a finished task: its object's storage (plan, steps, runs, traces,
 * events) first, then its index row — so a failure part way leaves a row that
 * a retry (or the retention janitor) can still find. Its spend stays in the ledger.
 */
export async function purgeTask(env: Bindings, orgId: string, id: string, audit: D1PreparedStatement[] = []): Promise<RpcResult> {
  const wiped = await taskStub(env, id).purge();
  if (!wiped.ok) return wiped;
  await env.DB.batch([env.DB.prepare("DELETE FROM tasks WHERE org_id = ? AND id = ?").bind(orgId, id), ...audit]);
  return wiped;
}
