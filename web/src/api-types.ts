// Local mirror of the API contract (DESIGN.md) until worker/api/schemas.ts exports the inferred types.

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

export interface TaskListItem {
  id: string;
  title: string;
  description: string;
  status: TaskStatus;
  source: TaskSource;
  agent: string | null;
  agents: string[];
  created_by: Creator;
  parent_id: string | null;
  rerun_of: string | null;
  trigger_id: string | null;
  plan_id?: string | null;
  plan_version?: number | null;
  session_id: string;
  output: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  progress: { done: number; total: number };
  tokens: Tokens;
  searches: number;
  cost: number;
  pending: PendingItem[];
}

export interface Run {
  run_no: number;
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
  item?: unknown;
  index?: number;
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
}

export interface Agent {
  id: string;
  name: string;
  model: string;
  system_prompt: string;
  tools: string[];
  max_turns: number;
  created_at?: string;
  updated_at?: string;
}
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
  name?: string;
  cron?: string | null;
  schedule?: string | null;
  inputs?: Record<string, string>;
  enabled?: boolean;
  created_at?: string;
  next_run_at?: string | null;
  /** Webhook secret, only in the create response. */
  secret?: string;
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
  at?: string;
  created_at?: string;
  action: string;
  actor?: unknown;
  target?: unknown;
  details?: unknown;
}

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown; request_id?: string };
}

/** Org feed events (`/api/v1/events`); anything else is ignored. */
export type OrgEvent =
  | { type: "task.created"; task: TaskListItem }
  | { type: "task.updated"; task: TaskListItem }
  | { type: "reset" };
