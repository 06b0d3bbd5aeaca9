import type { Price } from "../agents/cost";
import type { AgentConfig } from "../agents/loop";
import type { TaskSource } from "../db/schema";
import type { OrgReading } from "../spend/guard";
import type { Plan } from "./plan-schema";

export interface CreatedBy {
  type: "token" | "trigger" | "agent";
  id: string;
  name: string;
}

/** The agent as the task started with it: later edits to the agent do not change a running task. */
export interface AgentSnapshot extends AgentConfig {
  max_cost_nanos: number | null;
}

/** Everything a task is started with; kept whole in its object so it runs the exact plan version it was given. */
export interface TaskMeta {
  id: string;
  org_id: string;
  title: string;
  description: string;
  source: TaskSource;
  created_by: CreatedBy;
  parent_id: string | null;
  rerun_of: string | null;
  trigger_id: string | null;
  session_id: string;
  plan: Plan;
  plan_id: string | null;
  plan_version: number | null;
  inputs: Record<string, string>;
  agents: Record<string, AgentSnapshot>;
  max_cost_nanos: number | null;
  /** outputs reused from the task this one reruns, by node key */
  reused: Record<string, string>;
  created_at: number;
}

/**
 * Read in the batch that created the task, so its first run starts without a D1 read of
 * its own: the organization's limits and the prices of its agents' models, by model.
 */
export interface WarmStart {
  org: OrgReading;
  prices: Record<string, Price>;
}
