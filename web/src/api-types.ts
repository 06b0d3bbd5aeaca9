// Types of the API, all from the worker: its zod schemas (worker/api/*.ts) and the domain types they describe.
// Nothing here is written by hand; the few narrowings say which worker type an untyped JSON field holds.
import type {
  AgentT,
  AuditEntryT,
  CreatedByT,
  ErrorBodyT,
  FeedEventT,
  InputNeededT,
  McpServerInputT,
  McpServerT,
  NewTokenT,
  NewTriggerT,
  PageT,
  PendingItemT,
  PlanDefinitionT,
  PlanParamT,
  PlanStepT,
  PlanT,
  PlanVersionT,
  PriceInputT,
  PriceT,
  RunViewT,
  SessionInfoT,
  StepViewT,
  TaskDetailT,
  TaskEventT,
  TaskListItemT,
  TokensT,
  TokenT,
  TraceT,
  TraceTurnT,
  TriggerT,
  WaitingT,
} from "../../worker/api/schemas";
import type { PlanIssue as PlanIssueT } from "../../worker/task/validate";
export type { PlanSummary } from "../../worker/live/plan-events";

export type TaskListItem = TaskListItemT;
export type TaskStatus = TaskListItemT["status"];
export type TaskSource = TaskListItemT["source"];
export type Step = StepViewT;
/** Badges show task and step states alike. */
export type StepStatus = TaskStatus | StepViewT["status"];
export type Run = RunViewT;
export type Tokens = TokensT;
export type Creator = CreatedByT;
export type PendingItem = PendingItemT;
export type InputNeeded = InputNeededT;
export type Role = SessionInfoT["token"]["role"];
export type SessionInfo = SessionInfoT;

export type PlanDefinition = PlanDefinitionT;
export type PlanStep = PlanStepT;
export type PlanParam = PlanParamT;
/** A plan's validation issue: 422 names the step, 400 (schema) only the path. */
export type PlanIssue = PlanIssueT;
/** `definition` is stored as validated by the worker's plan schema. */
export type Plan = Omit<PlanT, "definition"> & { definition: PlanDefinition };
export type PlanVersion = Omit<PlanVersionT, "definition"> & { definition: PlanDefinition };
/** `plan` is the task's snapshot of the plan version it runs. */
export type TaskDetail = Omit<TaskDetailT, "plan"> & { plan: PlanDefinition | null };
export type Waiting = WaitingT;

export type Agent = AgentT;
export type AgentInput = Pick<Agent, "name" | "model" | "system_prompt" | "tools" | "max_turns" | "max_cost" | "max_concurrency" | "max_tool_calls_per_turn">;

export type Trace = TraceT;
export type Turn = TraceTurnT;
export type Message = Turn["sent"][number];

export type Page<T> = PageT<T>;
export type Price = PriceT;
export type PriceInput = PriceInputT;
export type McpServer = McpServerT;
export type McpServerInput = McpServerInputT;
export type ApiToken = TokenT & Partial<Pick<NewTokenT, "token">>;
export type Trigger = TriggerT & Partial<Pick<NewTriggerT, "secret">>;
export type AuditEntry = AuditEntryT;
export type ApiErrorBody = ErrorBodyT;
export type TaskEvent = TaskEventT;

export interface TaskSummary {
  counts: Partial<Record<TaskStatus, number | string>>;
  groups: Partial<Record<TaskStatus, Page<TaskListItem>>>;
}

/** Org feed events (`/api/v1/events`); anything else is ignored. */
export type OrgEvent = FeedEventT;
