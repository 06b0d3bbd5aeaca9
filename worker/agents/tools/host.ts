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

export interface ToolHost {
  /** the specs offered to the model for the agent's tool names (MCP servers are asked for their list) */
  specs(signal: AbortSignal): Promise<ToolSpec[]>;
  /** runs one call; failures become an `error: …` result, only an abort of `signal` throws */
  execute(call: ToolCall, signal: AbortSignal): Promise<ToolOutcome>;
}

export const isSuspension = (o: ToolOutcome): o is ToolSuspension => "suspend" in o;
