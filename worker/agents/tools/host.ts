import type { ToolCall, ToolSpec } from "../types";

export interface ToolResult {
  result: string;
  /** the result was cut at the cap */
  truncated?: boolean;
  /** the tool failed; `result` then tells the model why */
  error?: string;
  /** web searches the tool ran (`web_search` through WEB_SEARCH_URL), counted on the turn that asked for it */
  searches?: number;
}

/** Tools the host does not run itself: the task's object asks a person or starts a sub-task, then fills the result. */
export type ToolSuspension = { suspend: "ask"; question: string } | { suspend: "spawn"; args: Record<string, unknown> };

export type ToolOutcome = ToolResult | ToolSuspension;

/** An MCP tool offered under another name than its own provider-safe one, which `taken_by` held first. */
export interface RenamedTool {
  name: string;
  server: string;
  offered_as: string;
  taken_by: string;
}

export interface ToolHost {
  /** the specs offered to the model for the agent's tool names (MCP servers are asked for their list) */
  specs(signal: AbortSignal): Promise<ToolSpec[]>;
  /** once `specs` has answered: the tools it offers under another name, as two mapped to the same one */
  renamed?(): RenamedTool[];
  /** runs one call; failures become an `error: …` result, only an abort of `signal` throws */
  execute(call: ToolCall, signal: AbortSignal): Promise<ToolOutcome>;
}

export const isSuspension = (o: ToolOutcome): o is ToolSuspension => "suspend" in o;
