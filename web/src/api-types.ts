// Types of the API. Where worker/api/schemas.ts exports an inferred type it is re-exported here;
// the rest mirror DESIGN.md (the worker's step view is a lazy zod type that infers as unknown).
import type { AgentT, TaskListItemT } from "../../worker/api/schemas";

export type TaskStatus = "pending" | "in_progress" | "needs_input" | "failed" | "completed" | "cancelled";
export type TaskSource = "dashboard" | "api" | "agent" | "cron" | "webhook";
/** Steps add the runner's own states on top of the task statuses. */
export type StepStatus = TaskStatus | "running" | "waiting" | "skipped";
export type Role = "viewer" | "member" | "admin";

export interface Tokens {
  input: number;
  cache: number;
  output: number;
  web_search: number;
}

export interface Creator {
  type: "token" | "trigger" | "agent";
  id: string;
  name: string;
}

export interface PendingItem {
  kind: "question" | "approval" | "budget";
  step: string;
  call_id?: string;
  question?: string;
}

export type TaskListItem = TaskListItemT;

export interface Run {
  run_no: number;
  feedback?: string | null;
  searches?: number;
  status: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  tokens: Tokens;
  cost: number;
}

export interface Step {
  id: string;
  name: string | null;
  kind: "agent" | "loop" | "branch" | "iteration";
  agent: string | null;
  status: StepStatus;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  output_preview: string | null;
  output: string | null;
  error: string | null;
  tokens: Tokens;
  cost: number;
  runs: Run[];
  iterations?: Step[];
  steps?: Step[];
  step_id?: string;
  searches?: number;
  retry_at?: string | null;
  item?: string | null;
  index?: number | null;
}

export interface PlanParam {
  name: string;
  description?: string;
  required?: boolean;
  default?: string;
}

interface PlanStepCommon {
  id: string;
  name?: string;
  depends_on?: string[];
}
export interface AgentPlanStep extends PlanStepCommon {
  kind?: "agent";
  agent: string;
  instructions?: string;
  tools?: string[];
  approval?: boolean;
}
export interface LoopPlanStep extends PlanStepCommon {
  kind: "loop";
  over: string;
  concurrency?: number;
  body: PlanStep[];
}
export interface BranchPlanStep extends PlanStepCommon {
  kind: "branch";
  on: string;
  cases: Record<string, PlanStep[]>;
  default?: PlanStep[];
}
export type PlanStep = AgentPlanStep | LoopPlanStep | BranchPlanStep;

export interface PlanDefinition {
  name: string;
  description?: string;
  params?: PlanParam[];
  steps: PlanStep[];
  output?: string;
}

export interface TaskDetail extends TaskListItem {
  steps: Step[];
  plan?: { steps: PlanStep[]; params?: PlanParam[] } | null;
  inputs?: Record<string, string>;
}

export type Agent = AgentT;
export type AgentInput = Pick<Agent, "name" | "model" | "system_prompt" | "tools" | "max_turns">;

export interface Plan extends Partial<PlanDefinition> {
  id: string;
  name: string;
  description?: string;
  version: number;
  created_at?: string;
  updated_at?: string;
  definition?: PlanDefinition;
}

export interface PlanVersion {
  version: number;
  created_at: string;
  definition?: PlanDefinition;
}

export interface PlanIssue {
  step?: string | null;
  path: string;
  message: string;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: unknown;
}
export interface ToolResult {
  call_id: string;
  name: string;
  result: unknown;
  truncated?: boolean;
  error?: string | null;
}
export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}
export interface Message {
  role: string;
  content?: unknown;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  name?: string;
}
export interface TurnUsage {
  input: number;
  cache: number;
  cache_write?: number;
  output: number;
  web_search: number;
  searches?: number;
}
export interface Turn {
  turn_no: number;
  started_at: string | null;
  finished_at: string | null;
  sent: Message[];
  content: string | null;
  tool_calls: ToolCall[];
  tool_results: ToolResult[];
  searches: { query: string; results: SearchResult[] }[];
  usage: TurnUsage;
  cost: number;
}
export interface Trace {
  run_no: number;
  status: string;
  system_prompt: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  turns: Turn[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface TaskSummary {
  counts: Partial<Record<TaskStatus, number | string>>;
  groups: Partial<Record<TaskStatus, Page<TaskListItem>>>;
}

export interface SessionInfo {
  org: { id: string; name: string };
  token: { id: string; name: string; role: Role };
}

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  created_at: string;
  revoked_at?: string | null;
  /** Only in the create response: the secret, shown once. */
  token?: string;
}

export interface Trigger {
  id: string;
  plan_id: string;
  kind: "cron" | "webhook";
  title: string | null;
  cron: string | null;
  timezone: string | null;
  inputs: Record<string, unknown>;
  paused: boolean;
  created_by: Creator;
  created_at: string;
  last_fired_at: string | null;
  next_fire_at: string | null;
  last_task_id: string | null;
  last_error: string | null;
  webhook_url: string | null;
  /** Webhook secret, only in the create response. */
  secret?: string | null;
}

export interface Price {
  model: string;
  input: number;
  cache: number;
  cache_write?: number;
  output: number;
  web_search?: number;
  per_search?: number;
  updated_at?: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: Creator;
  action: string;
  target: { type: string; id: string };
  details: Record<string, unknown> | null;
}

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown; request_id?: string };
}

/** Org feed events (`/api/v1/events`); anything else is ignored. */
export type OrgEvent =
  | { type: "task.created"; task: TaskListItem }
  | { type: "task.updated"; task: TaskListItem }
  | { type: "reset" };
