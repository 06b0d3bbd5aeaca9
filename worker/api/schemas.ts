import { z } from "@hono/zod-openapi";
import { LIMITS } from "./limits";
import { TASK_SOURCES, TASK_STATUSES } from "../db/schema";
import type { TaskEvent } from "../task/events";
import type { RunExecutor } from "../task/execute";
import type { Param, PlanInput } from "../task/plan-schema";
import { RUN_STATUSES, STEP_STATUSES } from "../task/step-status";
import type { StepView as StepViewShape } from "../task/view";
import type { PlanSummary } from "../live/plan-events";

/** Request and response shapes of the API: validation, the OpenAPI document and the web app's types all come from here. */

/** Where the API is mounted: the OpenAPI document's server, and the start of every `Location`. */
export const API_BASE = "/api/v1";

export { LIMITS } from "./limits";

export const Tokens = z
  .object({
    input: z.number().int(),
    cache: z.number().int(),
    cache_write: z.number().int().openapi({ description: "input tokens written to the provider's prompt cache (Anthropic), priced at the price's `cache_write`" }),
    output: z.number().int(),
    web_search: z.number().int(),
  })
  .openapi("Tokens");

export const CreatedBy = z.object({ type: z.enum(["token", "trigger", "agent"]), id: z.string(), name: z.string() });

export const PendingItem = z.object({
  kind: z.enum(["question", "approval", "budget"]),
  step: z.string(),
  call_id: z.string().optional(),
  question: z.string().optional(),
  run: z.number().int().optional().openapi({ description: "approval: the run whose output waits; approve or reject with it, so a review lands on the output it read" }),
});

export const InputNeeded = z
  .object({
    step: z.string().openapi({ description: "this task's step that waits on the sub-task" }),
    task_id: z.string().openapi({ description: "the task where a person is asked: answer or review there" }),
    title: z.string(),
  })
  .openapi("InputNeeded");

export const TaskListItem = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    status: z.enum(TASK_STATUSES),
    source: z.enum(TASK_SOURCES),
    agent: z.string().nullable(),
    agents: z.array(z.string()),
    created_by: CreatedBy,
    parent_id: z.string().nullable(),
    rerun_of: z.string().nullable(),
    trigger_id: z.string().nullable(),
    plan_id: z.string().nullable(),
    plan_version: z.number().int().nullable(),
    session_id: z.string(),
    output: z.string().nullable(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    progress: z.object({ done: z.number().int(), total: z.number().int() }),
    tokens: Tokens,
    searches: z.number().int(),
    cost: z.number().openapi({ description: "USD" }),
    pending: z.array(PendingItem),
    input_needed_in: z.array(InputNeeded).openapi({
      description:
        "steps that wait (`spawn_task` with `wait`) on a sub-task in which a person is asked something, and the task asking: the sub-task, or one of its own sub-tasks, nested. The task itself stays `in_progress`; the answer is given in that task",
    }),
  })
  .openapi("TaskListItem");

export const RunView = z.object({
  run_no: z.number().int(),
  status: z.enum(RUN_STATUSES).openapi({ description: "`waiting`: for a person's answer or review, while its step is `needs_input`" }),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  error: z.string().nullable(),
  feedback: z.string().nullable(),
  tokens: Tokens,
  searches: z.number().int(),
  cost: z.number(),
});

// Recursive, so its type is spelled out (worker/task/view.ts); the schema must agree with it.
export const StepView: z.ZodType<StepViewShape> = z.lazy(() =>
  z.object({
    id: z.string().openapi({ description: "the step's address, e.g. `emails[2].draft`" }),
    step_id: z.string(),
    name: z.string(),
    kind: z.enum(["agent", "loop", "iteration", "branch"]),
    agent: z.string().nullable(),
    status: z.enum(STEP_STATUSES),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().nullable(),
    output_preview: z.string().nullable(),
    output: z.string().nullable(),
    error: z.string().nullable(),
    tokens: Tokens,
    searches: z.number().int(),
    cost: z.number(),
    retry_at: z.string().nullable(),
    reused: z.boolean().openapi({ description: "a top-level step whose output a rerun took from the task it reruns (`rerun_of`), not run in this task" }),
    runs: z.array(RunView),
    item: z.string().nullable().optional(),
    index: z.number().int().nullable().optional(),
    iterations: z.array(StepView).optional(),
    steps: z.array(StepView).optional(),
  }),
).openapi("Step");

export const Waiting = z
  .object({
    reason: z.enum(["org_cap", "agent_cap"]).openapi({ description: "`org_cap`: the organization's `max_concurrent_tasks` is reached; `agent_cap`: `agent`'s `max_concurrency` is" }),
    agent: z.string().optional(),
    position: z.number().int().openapi({ description: "place in that cap's line, 1 = next to start" }),
    cap: z.number().int().openapi({ description: "the cap's value: tasks that may run at once" }),
  })
  .openapi("Waiting");

export const TaskDetail = TaskListItem.extend({
  plan: z.record(z.string(), z.unknown()),
  inputs: z.record(z.string(), z.string()),
  max_cost: z.number().nullable().openapi({ description: "the task's budget in USD, as set at creation or raised by a budget answer; null: none of its own (its agents' `max_cost` still apply)" }),
  steps: z.array(StepView),
  children: z.object({ count: z.number().int(), cost: z.number(), tokens: Tokens }).openapi({ description: "direct sub-tasks' totals, apart from the task's own" }),
  // a union, not .nullable(): that would mark the shared Waiting component itself nullable
  waiting: z.union([Waiting, z.null()]).openapi({ description: "why a pending task has not started: the concurrency cap it is queued behind; null otherwise (also while it waits on a dependency or a backoff)" }),
}).openapi("TaskDetail");

/** A budget in USD, kept in whole nano-dollars: anything under one would be kept as 0, a budget nothing fits in. */
export const usd = (max: number) => z.number().min(1e-9, "an amount in USD of at least 0.000000001").max(max);

/** The most a task's or an agent's budget may be, set or raised. */
export const MAX_BUDGET_USD = 1_000_000;

/**
 * An integer from the query or the path, in [min, max]: decimal digits and nothing else, so `1e1`, `0x10`,
 * ` 5` or `5.0` are a 400 naming the parameter, not a number some other way of reading it would give.
 */
export function intParam(min: number, max = Number.MAX_SAFE_INTEGER) {
  const error = `a whole number from ${min} to ${max}, in decimal digits`;
  return z
    .string()
    .regex(/^\d{1,16}$/, error)
    .transform(Number)
    // digits are whole already: `.int()` would add a safe-integer bound of its own, a second issue for the same value
    .pipe(z.number().min(min, error).max(max, error))
    .openapi({ type: "integer", minimum: min, maximum: max });
}

/** A page size: 1–100, `fallback` when not given. */
export const limitParam = (fallback: number) => intParam(1, 100).default(fallback).openapi({ description: `1–100, default ${fallback}`, default: fallback });

export const Page = <T extends z.ZodTypeAny>(item: T) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });

export const ErrorBody = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional(), request_id: z.string() }),
  })
  .openapi("Error");

export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: "error", content: { "application/json": { schema: ErrorBody } } }]));

export const json = <T extends z.ZodTypeAny>(schema: T, description = "OK") => ({ description, content: { "application/json": { schema } } });

export const body = <T extends z.ZodTypeAny>(schema: T) => ({ required: true, content: { "application/json": { schema } } });

export const Agent = z
  .object({
    id: z.string(),
    name: z.string(),
    model: z.string(),
    system_prompt: z.string(),
    tools: z.array(z.string()),
    max_turns: z.number().int(),
    max_cost: z.number().nullable(),
    max_concurrency: z.number().int().nullable().openapi({ description: "tasks using this agent that may run at once; null: only the organization's cap" }),
    max_tool_calls_per_turn: z.number().int().nullable().openapi({ description: "tool calls one model turn of this agent may have run (the rest get an error result); null: the instance's MAX_TOOL_CALLS_PER_TURN, which bounds it too" }),
    created_at: z.string(),
    updated_at: z.string(),
    version: z.number().int().openapi({ description: "raised by every save; also the answer's `ETag` (`\"3\"`), which a PUT or DELETE sends back in `If-Match`" }),
  })
  .openapi("Agent");

export type TaskListItemT = z.infer<typeof TaskListItem>;
export type AgentT = z.infer<typeof Agent>;
export type TokensT = z.infer<typeof Tokens>;
export type CreatedByT = z.infer<typeof CreatedBy>;
export type PendingItemT = z.infer<typeof PendingItem>;
export type InputNeededT = z.infer<typeof InputNeeded>;
export type RunViewT = z.infer<typeof RunView>;
export type StepViewT = z.infer<typeof StepView>;
export type TaskDetailT = z.infer<typeof TaskDetail>;
export type WaitingT = z.infer<typeof Waiting>;
export type ErrorBodyT = z.infer<typeof ErrorBody>;
export type PageT<T> = { items: T[]; next_cursor: string | null };
/** A run's trace as the task's object answers it (the route passes it through unchanged). */
export type TraceT = ReturnType<RunExecutor["trace"]>;
export type TraceTurnT = TraceT["turns"][number];
/** A plan definition as written (agent steps may omit `kind`); a stored one is also of this type. */
export type PlanDefinitionT = PlanInput;
export type PlanStepT = PlanInput["steps"][number];
export type PlanParamT = Param;
export type TaskEventT = TaskEvent;
/** The org feed's data (`/api/v1/events`), keyed on `type` as its `event:` line is (worker/live/org-feed.ts). */
export type FeedEventT =
  | ({ type: "task.updated" | "task.deleted" } & TaskListItemT)
  | ({ type: "plan.updated" | "plan.deleted" } & PlanSummary)
  | { type: "trigger.updated" | "trigger.deleted" | "agent.updated" | "agent.deleted"; id: string }
  | { type: "ready"; last_event_id: number }
  | { type: "reset"; reason: string };
export type { AuditEntryT } from "./audit";
export type { SessionInfoT } from "./auth-session";
export type { PlanT, PlanVersionT } from "./plans";
export type { PriceT, PriceInputT } from "./pricing";
export type { McpServerT, McpServerInputT } from "./mcp-servers";
export type { NewTokenT, TokenT } from "./tokens";
export type { NewTriggerT, TriggerT } from "./triggers";
