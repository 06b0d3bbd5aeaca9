import type { AgentRow as FullAgentRow } from "../db/agent-row";
import type { TaskListItem } from "../db/task-row";
import { toListItem, type IndexRow } from "../db/task-row";
import type { TaskSource } from "../db/schema";
import type { Bindings } from "../env";
import { unprocessable } from "../lib/errors";
import { newId, newSortableId } from "../lib/ids";
import { indexPlan } from "./dag";
import type { AgentSnapshot, CreatedBy, TaskMeta } from "./meta";
import type { Plan } from "./plan-schema";
import { primaryAgent, type RpcResult } from "./runner";

export interface NewTask {
  org_id: string;
  title: string;
  description: string;
  source: TaskSource;
  created_by: CreatedBy;
  plan: Plan;
  plan_id?: string | null;
  plan_version?: number | null;
  inputs?: Record<string, string>;
  parent_id?: string | null;
  rerun_of?: string | null;
  trigger_id?: string | null;
  reused?: Record<string, string>;
  max_cost_nanos?: number | null;
}

/** A task made from `{agent, title, description}` alone is a one-step plan. */
export function singleStepPlan(agent: string, title: string, description: string): Plan {
  return { name: title, description: "", params: [], steps: [{ id: "main", name: title, kind: "agent", agent, instructions: description, depends_on: [], tools: [], approval: false }] };
}

type AgentRow = Pick<FullAgentRow, "id" | "name" | "model" | "system_prompt" | "tools" | "max_turns" | "max_cost_nanos">;

export async function loadAgents(env: Bindings, orgId: string, names: string[]): Promise<Record<string, AgentSnapshot>> {
  if (names.length === 0) return {};
  const { results } = await env.DB.prepare(
    `SELECT id, name, model, system_prompt, tools, max_turns, max_cost_nanos FROM agents WHERE org_id = ? AND name IN (${names.map(() => "?").join(",")})`,
  )
    .bind(orgId, ...names)
    .all<AgentRow>();
  const out: Record<string, AgentSnapshot> = {};
  for (const r of results) out[r.name] = { ...r, tools: JSON.parse(r.tools) as string[] };
  return out;
}

export function planAgents(plan: Plan): string[] {
  const names = new Set<string>();
  for (const { step } of indexPlan(plan).values()) if (step.kind === "agent") names.add(step.agent);
  return [...names];
}

/** Writes the index row, then hands the task to its own Durable Object, which runs it. */
export async function createTask(env: Bindings, t: NewTask): Promise<TaskListItem> {
  const names = planAgents(t.plan);
  const agents = await loadAgents(env, t.org_id, names);
  const missing = names.filter((n) => !agents[n]);
  if (missing.length) throw unprocessable(`unknown agent: ${missing.join(", ")}`, { agents: missing });
  const now = Date.now();
  const meta: TaskMeta = {
    id: newSortableId("tsk", now),
    org_id: t.org_id,
    title: t.title,
    description: t.description,
    source: t.source,
    created_by: t.created_by,
    parent_id: t.parent_id ?? null,
    rerun_of: t.rerun_of ?? null,
    trigger_id: t.trigger_id ?? null,
    session_id: newId("ses"),
    plan: t.plan,
    plan_id: t.plan_id ?? null,
    plan_version: t.plan_version ?? null,
    inputs: t.inputs ?? {},
    agents,
    max_cost_nanos: t.max_cost_nanos ?? null,
    reused: t.reused ?? {},
    created_at: now,
  };
  const row: IndexRow = {
    id: meta.id, org_id: meta.org_id, title: meta.title, description: meta.description, status: "pending", source: meta.source,
    agent: primaryAgent(meta), agents: JSON.stringify(names), created_by: JSON.stringify(meta.created_by), parent_id: meta.parent_id,
    rerun_of: meta.rerun_of, trigger_id: meta.trigger_id, session_id: meta.session_id, plan_id: meta.plan_id, plan_version: meta.plan_version,
    progress_done: 0, progress_total: t.plan.steps.filter((st) => st.kind === "agent").length, tokens_input: 0, tokens_cache: 0, tokens_output: 0, tokens_web_search: 0, searches: 0,
    cost_nanos: 0, pending: "[]", output: null, index_version: 0, created_at: now, started_at: null, finished_at: null,
  };
  await env.DB.prepare(
    `INSERT INTO tasks (id, org_id, title, description, status, source, agent, agents, created_by, parent_id, rerun_of, trigger_id,
       session_id, plan_id, plan_version, progress_total, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(row.id, row.org_id, row.title, row.description, row.source, row.agent, row.agents, row.created_by, row.parent_id,
      row.rerun_of, row.trigger_id, row.session_id, row.plan_id, row.plan_version, row.progress_total, now)
    .run();
  await taskStub(env, meta.id).start(meta);
  return toListItem(row);
}

export const taskStub = (env: Bindings, id: string) => env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(id));

/** `spawn_task`: a child task with source `agent`, linked to its parent. */
export async function spawnChildTask(env: Bindings, parent: TaskMeta, args: Record<string, unknown>): Promise<RpcResult<TaskListItem>> {
  const agent = typeof args.agent === "string" ? args.agent : "";
  const title = typeof args.title === "string" ? args.title.slice(0, 200) : "";
  const description = typeof args.description === "string" ? args.description : "";
  if (!agent || !title) return { ok: false, code: "unprocessable", message: "spawn_task needs agent and title" };
  try {
    const task = await createTask(env, {
      org_id: parent.org_id,
      title,
      description,
      source: "agent",
      created_by: { type: "agent", id: parent.id, name: parent.title },
      plan: singleStepPlan(agent, title, description),
      parent_id: parent.id,
    });
    return { ok: true, value: task };
  } catch (e) {
    return { ok: false, code: "unprocessable", message: e instanceof Error ? e.message : String(e) };
  }
}
