import type { Price } from "../agents/cost";
import type { AgentRow as FullAgentRow } from "../db/agent-row";
import { namesModel, PRICE_COLUMNS, priceOrDefault } from "../db/pricing";
import { placeholders } from "../db/sql";
import type { TaskListItem } from "../db/task-row";
import { toListItem, type IndexRow } from "../db/task-row";
import type { TaskSource } from "../db/schema";
import { LIMITS } from "../api/schemas";
import type { Bindings } from "../env";
import { type Actor, auditStatement } from "../lib/audit";
import type { AuditAction } from "../lib/audit-actions";
import { conflict, unprocessable } from "../lib/errors";
import { newId, newSortableId } from "../lib/ids";
import { ORG_READING_COLUMNS, orgReading, type OrgReadingRow } from "../spend/guard";
import { monthStart } from "../spend/ledger";
import { planAgents, primaryAgent } from "./dag";
import type { AgentSnapshot, CreatedBy, TaskMeta, WarmStart } from "./meta";
import type { Plan } from "./plan-schema";
import type { RpcResult } from "./rpc-result";
import { delay } from "../lib/time";
import { findTask } from "../db/task-queries";
import { searchText } from "../db/search-text";
import { INTERRUPTED_AFTER_MS, requestTask } from "./interrupted";
import { taskStub } from "./stub";

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
  /** a sub-task's: the parent's spawn_task call that made it, written with its row */
  spawn_call?: string | null;
  rerun_of?: string | null;
  trigger_id?: string | null;
  /** Whether the trigger was paused when it fired (a person's run-now): a fire of an unpaused one starts nothing once it is paused. */
  trigger_paused?: boolean;
  reused?: Record<string, string>;
  max_cost_nanos?: number | null;
  /** Written in the same D1 batch as the task's row (API requests, triggers' fires, agents' sub-tasks). */
  audit?: { actor: Actor; action: AuditAction; details?: Record<string, unknown> };
  /** Also in that batch: what ties a request to its task (an Idempotency-Key, a webhook delivery, a cron fire; `tieToTask`). */
  also?: (taskId: string) => D1PreparedStatement[];
}

/**
 * For `NewTask.also`: records the new task's id in `table`'s rows that `where` picks (its parameters from ?2 on), in
 * the create's own batch and only once the create's row went in, so the tie names a task exactly when one was written.
 */
export const tieToTask =
  (d1: D1Database, table: "idempotency_keys" | "webhook_deliveries" | "cron_fires", where: string, ...args: unknown[]) =>
  (taskId: string): D1PreparedStatement[] => [
    d1.prepare(`UPDATE ${table} SET task_id = ?1 WHERE ${where} AND EXISTS (SELECT 1 FROM tasks WHERE id = ?1)`).bind(taskId, ...args),
  ];

/** A task made from `{agent, title, description}` alone is a one-step plan. */
export function singleStepPlan(agent: string, title: string, description: string): Plan {
  return { name: title, description: "", params: [], steps: [{ id: "main", name: title, kind: "agent", agent, instructions: description, depends_on: [], tools: [], approval: false }] };
}

type AgentRow = Pick<FullAgentRow, "id" | "name" | "model" | "system_prompt" | "tools" | "max_turns" | "max_cost_nanos" | "max_tool_calls_per_turn">;

const AGENT_COLUMNS = ["id", "name", "model", "system_prompt", "tools", "max_turns", "max_cost_nanos", "max_tool_calls_per_turn"] as const satisfies readonly (keyof AgentRow)[];

interface CreateReading extends OrgReadingRow {
  /** JSON: AGENT_COLUMNS per agent */
  agents: string;
  /** JSON: the model, then PRICE_COLUMNS, per price the organization set for the agents' models */
  prices: string;
}

/**
 * What a create reads, as one row: the organization's reading for the spend guard, the named agents and the
 * organization's prices for their models. One statement rather than four: locally each statement of a D1
 * batch costs its own preparation and bookkeeping, whatever it reads.
 */
function readingStatement(env: Bindings, orgId: string, taskId: string, month: string, names: string[]) {
  const named = names.map((_, i) => `?${i + 4}`).join(", ");
  return env.DB.prepare(
    `SELECT ${ORG_READING_COLUMNS},
       (SELECT json_group_array(json_array(${AGENT_COLUMNS.join(", ")})) FROM agents WHERE org_id = ?1 AND name IN (${named})) AS agents,
       (SELECT json_group_array(json_array(model, ${PRICE_COLUMNS.join(", ")})) FROM pricing
         WHERE org_id = ?1 AND EXISTS (SELECT 1 FROM agents WHERE org_id = ?1 AND name IN (${named}) AND ${namesModel("agents.model")})) AS prices`,
  ).bind(orgId, month, taskId, ...names);
}

/** A row that came back as a JSON array of `columns`' values. */
const fromColumns = <T>(columns: readonly (keyof T & string)[], values: unknown[]) => Object.fromEntries(columns.map((c, i) => [c, values[i]])) as T;

/** In the order of `names`, which the index's `agents` column keeps too. */
function snapshots(names: string[], rows: AgentRow[]): Record<string, AgentSnapshot> {
  const byName = new Map(rows.map((r) => [r.name, r]));
  const out: Record<string, AgentSnapshot> = {};
  for (const n of names) {
    const r = byName.get(n);
    if (r) out[n] = { ...r, tools: JSON.parse(r.tools) as string[] };
  }
  return out;
}

/**
 * The index row, inserted only if every agent the plan names exists in the organization, and, for a trigger's
 * fire, only if the trigger is still there and not paused since the fire read it: a fire that loaded its trigger
 * before a delete or a pause then starts nothing, so once either has answered, no task of the trigger starts.
 */
function insertStatement(env: Bindings, row: IndexRow, names: string[], triggerPaused: boolean, spawnCall: string | null) {
  return env.DB.prepare(
    `INSERT INTO tasks (id, org_id, title, description, status, source, agent, agents, created_by, parent_id, rerun_of, trigger_id,
       session_id, plan_id, plan_version, progress_total, created_at, spawn_call, search_title, search_description)
     SELECT ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
     WHERE (SELECT count(*) FROM agents WHERE org_id = ? AND name IN (${placeholders(names)})) = ?
       AND (? IS NULL OR EXISTS (SELECT 1 FROM triggers WHERE id = ? AND paused <= ?))`,
  ).bind(
    row.id, row.org_id, row.title, row.description, row.source, row.agent, row.agents, row.created_by, row.parent_id,
    row.rerun_of, row.trigger_id, row.session_id, row.plan_id, row.plan_version, row.progress_total, row.created_at, spawnCall,
    searchText(row.title), searchText(row.description),
    row.org_id, ...names, names.length, row.trigger_id, row.trigger_id, triggerPaused ? 1 : 0,
  );
}

/**
 * Writes the index row, then hands the task to its own Durable Object, which runs it.
 * One D1 batch reads the agents' snapshots and what the first run needs (limits, prices,
 * so the new object need not read them again), inserts the row only if every agent exists
 * (so an agent deleted meanwhile cannot slip through), and writes the audit row.
 * It goes to D1 directly, not through the organization's group commit as the task's later
 * index writes do: creates answered from one shared batch come back together, their tasks
 * then start and finish in lockstep, and under such bursts requests waited seconds before
 * the Worker took them in (bench/HISTORY.md, fourth session).
 */
export async function createTask(env: Bindings, t: NewTask): Promise<TaskListItem> {
  const names = planAgents(t.plan);
  const now = Date.now();
  const id = newSortableId("tsk", now);
  const row: IndexRow = {
    id, org_id: t.org_id, title: t.title, description: t.description, status: "pending", source: t.source,
    agent: primaryAgent(t.plan, names), agents: JSON.stringify(names), created_by: JSON.stringify(t.created_by), parent_id: t.parent_id ?? null,
    rerun_of: t.rerun_of ?? null, trigger_id: t.trigger_id ?? null, session_id: newId("ses"), plan_id: t.plan_id ?? null, plan_version: t.plan_version ?? null,
    progress_done: 0, progress_total: t.plan.steps.filter((st) => st.kind === "agent").length, tokens_input: 0, tokens_cache: 0, tokens_cache_write: 0, tokens_output: 0, tokens_web_search: 0, searches: 0,
    cost_nanos: 0, pending: "[]", input_needed_in: "[]", output: null, index_version: 0, created_at: now, started_at: null, finished_at: null,
  };
  const month = monthStart(now);
  const audit = t.audit
    ? [auditStatement(env.DB, { org_id: t.org_id, actor: t.audit.actor, action: t.audit.action, target_type: "task", target_id: id, details: t.audit.details }, now, true)]
    : [];
  const [read, inserted] = await env.DB.batch([readingStatement(env, t.org_id, id, month, names), insertStatement(env, row, names, t.trigger_paused ?? false, t.spawn_call ?? null), ...audit, ...(t.also?.(id) ?? [])]);
  const reading = (read as D1Result<CreateReading>).results[0];
  const agentRows = (JSON.parse(reading.agents) as unknown[][]).map((a) => fromColumns<AgentRow>(AGENT_COLUMNS, a));
  const agents = snapshots(names, agentRows);
  const missing = names.filter((n) => !agents[n]);
  if (missing.length) throw unprocessable(`unknown agent: ${missing.join(", ")}`, { agents: missing });
  // changes counts what the row's triggers wrote too (its search index): none at all means no row
  if (inserted.meta.changes === 0) throw conflict("the trigger was deleted or paused before this fire started its task", { trigger_id: row.trigger_id });
  const meta: TaskMeta = {
    id, org_id: t.org_id, title: t.title, description: t.description, source: t.source, created_by: t.created_by,
    parent_id: row.parent_id, rerun_of: row.rerun_of, trigger_id: row.trigger_id, session_id: row.session_id,
    plan: t.plan, plan_id: row.plan_id, plan_version: row.plan_version, inputs: t.inputs ?? {}, agents,
    max_cost_nanos: t.max_cost_nanos ?? null, reused: t.reused ?? {}, created_at: now,
  };
  const own = new Map((JSON.parse(reading.prices) as unknown[][]).map(([model, ...p]) => [model as string, fromColumns<Price>(PRICE_COLUMNS, p)]));
  const prices: WarmStart["prices"] = {};
  for (const a of Object.values(agents)) prices[a.model] = priceOrDefault(a.model, own);
  // One turn of the event loop between the index write and the task's start. Both are calls inside
  // the process (locally D1 is an object too); without this hop, a burst of creates ran to its end
  // before workerd read the next request, and a request that just missed the burst waited for all of
  // it (measured, and why inferred: bench/HISTORY.md, eleventh session).
  await delay(0);
  await taskStub(env, meta.id).start(meta, { org: orgReading(reading, month, now), prices });
  return toListItem(row);
}

/**
 * How far agents may delegate: a sub-task's sub-tasks nest at most `depth` levels below the task a person or a
 * trigger started, and one task makes at most `children`. A model that keeps calling spawn_task would otherwise
 * make tasks, and spend, without end (sub-tasks never wait for a slot).
 */
export const SPAWN_LIMITS = { depth: 5, children: 100 } as const;

/** Why `parentId` may not make another sub-task, or null when it may. */
async function spawnRoom(env: Bindings, parentId: string): Promise<string | null> {
  const row = await env.DB.prepare(
    `WITH RECURSIVE up(parent, depth) AS (
       SELECT parent_id, 1 FROM tasks WHERE id = ?1
       UNION ALL SELECT t.parent_id, up.depth + 1 FROM up JOIN tasks AS t ON t.id = up.parent WHERE up.depth <= ${SPAWN_LIMITS.depth})
     SELECT (SELECT max(depth) FROM up) AS depth, (SELECT count(*) FROM tasks WHERE parent_id = ?1) AS children`,
  )
    .bind(parentId)
    .first<{ depth: number | null; children: number }>();
  if ((row?.depth ?? 1) > SPAWN_LIMITS.depth) return `sub-tasks nest at most ${SPAWN_LIMITS.depth} levels deep; do this part yourself`;
  if ((row?.children ?? 0) >= SPAWN_LIMITS.children) return `a task makes at most ${SPAWN_LIMITS.children} sub-tasks; this one has made ${row!.children}`;
  return null;
}

/**
 * The sub-task `call` (the parent's step, run, turn and tool call) already made, if any: the parent's object may
 * have stopped after making it and before storing its id. One whose create was cut off before its start is
 * undone (./interrupted.ts) once it is a minute old, so the call makes it again.
 */
async function spawnedBy(env: Bindings, parent: TaskMeta, call: string): Promise<TaskListItem | null> {
  for (;;) {
    const row = await env.DB.prepare("SELECT id, created_at FROM tasks WHERE parent_id = ? AND spawn_call = ?").bind(parent.id, call).first<{ id: string; created_at: number }>();
    if (!row) return null;
    const fate = await requestTask(env, parent.org_id, row.id, row.created_at);
    if (fate === "undone") return null;
    if (fate === "stored") {
      const child = await findTask(env.DB, parent.org_id, row.id);
      return child && toListItem(child);
    }
    await delay(row.created_at + INTERRUPTED_AFTER_MS - Date.now() + 100);
  }
}

/** `spawn_task`: a child task with source `agent`, linked to its parent and to the call that made it. */
export async function spawnChildTask(env: Bindings, parent: TaskMeta, args: Record<string, unknown>, call: string): Promise<RpcResult<TaskListItem>> {
  const made = await spawnedBy(env, parent, call);
  if (made) return { ok: true, value: made };
  const agent = typeof args.agent === "string" ? args.agent : "";
  const title = typeof args.title === "string" ? args.title.trim() : "";
  const description = typeof args.description === "string" ? args.description : "";
  if (!agent || !title) return { ok: false, code: "unprocessable", message: "spawn_task needs agent and title" };
  // the limits a task created through the API has; the model is told, so it can mend the call
  for (const [field, text, max] of [["title", title, LIMITS.title], ["description", description, LIMITS.description]] as const) {
    if (text.length > max) return { ok: false, code: "unprocessable", message: `spawn_task's ${field} is at most ${max} characters; this one has ${text.length}` };
    // JSON lets a model write "\ud800", which is no text: the index would keep another title than the task
    if (/\p{Cs}/u.test(text)) return { ok: false, code: "unprocessable", message: `spawn_task's ${field} holds a lone UTF-16 surrogate, which is not text` };
  }
  const room = await spawnRoom(env, parent.id);
  if (room) return { ok: false, code: "unprocessable", message: room };
  try {
    const task = await createTask(env, {
      org_id: parent.org_id,
      title,
      description,
      source: "agent",
      created_by: { type: "agent", id: parent.id, name: parent.title },
      plan: singleStepPlan(agent, title, description),
      parent_id: parent.id,
      spawn_call: call,
      audit: { actor: { type: "agent", id: parent.id, name: parent.title }, action: "task.create", details: { parent_id: parent.id, agent } },
    });
    return { ok: true, value: task };
  } catch (e) {
    return { ok: false, code: "unprocessable", message: e instanceof Error ? e.message : String(e) };
  }
}
