import type { Usage } from "../agents/types";
import type { Plan } from "../task/plan-schema";
import type { PlanChanges } from "../task/plan-diff";
import type { PlanIssue } from "../task/validate";

/** Shapes of a planning conversation, shared by the Durable Object, the API and (with `import type`) the dashboard. */

export interface OrgAgent {
  name: string;
  model: string;
  system_prompt: string;
  tools: string[];
}

export interface PlannerInfo {
  /** the planner agent's name, or null for the built-in offline planner */
  agent: string | null;
  model: string;
}

/** What changed from the draft before (the shape a plan's versions use too). */
export type DraftChanges = PlanChanges;

export interface DraftView {
  version: number;
  plan: Plan;
  changes: DraftChanges;
  created_at: string;
}

export type MessageRole = "user" | "assistant" | "event";

/** Tokens the planner's model calls used, as a task's: `input` uncached, `cache` read from the provider's cache. */
export type ChatTokens = Omit<Usage, "searches">;

/** What a planner's model calls spent, priced as a task's runs are (the price in force when the reply started). */
export interface ReplySpend {
  /** the planner agent and model that answered */
  agent: string;
  model: string;
  usage: Usage;
  cost_nanos: number;
}

export interface ChatMessage {
  seq: number;
  role: MessageRole;
  content: string;
  /** the draft an assistant reply produced */
  draft_version: number | null;
  /** an assistant reply that could not produce a valid draft */
  failed: boolean;
  /** the last validation issues of a failed reply */
  issues?: PlanIssue[];
  /** an assistant reply's model calls: tokens, web searches and cost (USD); zero from the offline planner */
  tokens?: ChatTokens;
  searches?: number;
  cost?: number;
  created_at: string;
}

export interface ConversationView {
  id: string;
  planner: PlannerInfo;
  /** the saved plan this conversation edits, once it came from one or was saved */
  plan_id: string | null;
  plan_version: number | null;
  busy: boolean;
  messages: ChatMessage[];
  draft: DraftView | null;
  /** what every reply's model calls spent, summed */
  tokens: ChatTokens;
  searches: number;
  cost: number;
  created_at: string;
}

/** Server-sent events of one planner reply, in order; the stream ends after `reply.done`. */
export type ChatEvent =
  | { type: "message.created"; message: ChatMessage }
  | { type: "reply.delta"; text: string }
  | { type: "draft.attempt"; attempt: number; max_attempts: number }
  | { type: "draft.invalid"; attempt: number; issues: PlanIssue[] }
  | { type: "draft.created"; draft: DraftView }
  | { type: "reply.done"; message: ChatMessage };

export interface ReplyResult {
  message: ChatMessage;
  draft: DraftView | null;
}

export type { Plan, PlanIssue };
