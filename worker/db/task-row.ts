import type { TaskSource, TaskStatus } from "./schema";
import { iso } from "../lib/time";

/** A task's row in the D1 index, as the TaskRunner writes it and the list endpoints read it. */
export interface IndexRow {
  id: string;
  org_id: string;
  title: string;
  description: string;
  status: TaskStatus;
  source: TaskSource;
  agent: string | null;
  agents: string;
  created_by: string;
  parent_id: string | null;
  rerun_of: string | null;
  trigger_id: string | null;
  session_id: string;
  plan_id: string | null;
  plan_version: number | null;
  progress_done: number;
  progress_total: number;
  tokens_input: number;
  tokens_cache: number;
  tokens_cache_write: number;
  tokens_output: number;
  tokens_web_search: number;
  searches: number;
  cost_nanos: number;
  pending: string;
  /** JSON of `InputNeeded[]` */
  input_needed_in: string;
  output: string | null;
  index_version: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface PendingItem {
  kind: "question" | "approval" | "budget";
  step: string;
  call_id?: string;
  question?: string;
  run?: number;
}

/**
 * A step that waits (spawn_task with `wait`) on a sub-task in which a person is asked something: `task_id` and
 * `title` name the task asking, the sub-task itself or one of its own, nested.
 */
export interface InputNeeded {
  step: string;
  task_id: string;
  title: string;
}

/** The public shape of a task in lists and feeds (the detail adds `steps`). */
export function toListItem(r: IndexRow) {
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    status: r.status,
    source: r.source,
    agent: r.agent,
    agents: JSON.parse(r.agents) as string[],
    created_by: JSON.parse(r.created_by) as { type: "token" | "trigger" | "agent"; id: string; name: string },
    parent_id: r.parent_id,
    rerun_of: r.rerun_of,
    trigger_id: r.trigger_id,
    plan_id: r.plan_id,
    plan_version: r.plan_version,
    session_id: r.session_id,
    output: r.output,
    created_at: iso(r.created_at)!,
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
    progress: { done: r.progress_done, total: r.progress_total },
    tokens: { input: r.tokens_input, cache: r.tokens_cache, cache_write: r.tokens_cache_write, output: r.tokens_output, web_search: r.tokens_web_search },
    searches: r.searches,
    cost: r.cost_nanos / 1e9,
    pending: JSON.parse(r.pending) as PendingItem[],
    input_needed_in: JSON.parse(r.input_needed_in) as InputNeeded[],
  };
}

export type TaskListItem = ReturnType<typeof toListItem>;

export const INDEX_COLUMNS = [
  "id", "org_id", "title", "description", "status", "source", "agent", "agents", "created_by", "parent_id", "rerun_of",
  "trigger_id", "session_id", "plan_id", "plan_version", "progress_done", "progress_total", "tokens_input", "tokens_cache",
  "tokens_cache_write", "tokens_output", "tokens_web_search", "searches", "cost_nanos", "pending", "input_needed_in", "output", "index_version", "created_at",
  "started_at", "finished_at",
] as const satisfies readonly (keyof IndexRow)[];
