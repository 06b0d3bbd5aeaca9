import { createdBy, sourceOf } from "../api/principal";
import type { TaskListItem } from "../db/task-row";
import type { Bindings } from "../env";
import type { Principal } from "../lib/context";
import { ApiError, unprocessable } from "../lib/errors";
import { isMcpUrl } from "../agents/tools";
import { allSteps } from "../task/validate";
import { createTask, type NewTask } from "../task/create";
import { resolveInputs } from "../task/params";
import type { Plan } from "../task/plan-schema";
import { checkDraft } from "./check";
import { loadOrgAgents } from "./org";

/** A draft checked again at run or save time: the organization's agents may have changed since it was made. */
export async function recheck(d1: D1Database, orgId: string, plan: Plan): Promise<Plan> {
  const checked = checkDraft(plan, new Set((await loadOrgAgents(d1, orgId)).map((a) => a.name)));
  if (!checked.ok) throw unprocessable(`the draft is no longer valid: ${checked.issues.map((i) => i.message).join("; ")}`, checked.issues);
  return checked.plan;
}

/** Starts a task from a draft at once: source `dashboard` for a cookie session, `api` for a bearer token. */
export async function runDraft(env: Bindings, p: Principal, draft: Plan, o: { inputs: Record<string, unknown>; title?: string; max_cost?: number; also?: NewTask["also"] }): Promise<TaskListItem> {
  const plan = await recheck(env.DB, p.org_id, draft);
  refuseUnchosenServers(p, plan);
  const resolved = resolveInputs(plan.params, o.inputs);
  if (!resolved.ok) throw unprocessable(`invalid inputs: ${resolved.issues.map((i) => `${i.param}: ${i.message}`).join("; ")}`, resolved.issues);
  return createTask(env, {
    org_id: p.org_id, title: o.title ?? plan.name, description: plan.description, source: sourceOf(p), created_by: createdBy(p),
    plan, inputs: resolved.values, max_cost_nanos: o.max_cost == null ? null : Math.round(o.max_cost * 1e9), also: o.also,
  });
}

/**
 * An MCP server named by its URL is reached without `http_fetch`'s address rule, because an admin chose it. In a draft
 * the planner's model wrote the URL, steered by whoever chatted, so only an admin may run such a draft: a member's run
 * would let the model have the server reach any internal address.
 */
function refuseUnchosenServers(p: Principal, plan: Plan): void {
  if (p.role === "admin") return;
  const byUrl = allSteps(plan).flatMap(({ step, path }) =>
    step.kind === "agent" ? step.tools.flatMap((t, i) => (t.startsWith("mcp:") && isMcpUrl(t.slice(4)) ? [{ path: `${path}.tools[${i}]`, tool: t }] : [])) : [],
  );
  if (!byUrl.length) return;
  throw new ApiError(
    "forbidden",
    `this draft names an MCP server by its URL (${byUrl[0].path}: ${byUrl[0].tool}), which only an admin may run: a draft's URL may be the planner's, not an admin's choice; name a server an admin set up (mcp:<name>), or ask an admin to run or save it`,
    byUrl.map(({ path, tool }) => ({ path, message: `${tool}: an MCP server by its URL` })),
  );
}
