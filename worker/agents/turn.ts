import type { RenamedTool } from "./tools/host";
import type { Message, ProviderBlock, ToolCall, Usage, WebSearchRecord } from "./types";

export interface ToolResultRecord {
  call_id: string;
  name: string;
  /** null until the call has finished (or, for ask_human and spawn_task, been answered) */
  result: string | null;
  truncated?: boolean;
  error?: string;
  finished_at?: number;
}

/** One model turn as stored: what it added to the conversation, the model's answer, and its tool results. */
export interface TurnRecord {
  turn_no: number;
  started_at: number;
  /** when the model's answer arrived */
  finished_at: number;
  /** messages this turn added besides the earlier turns' answers and tool results: the system prompt and instructions on turn 1 */
  sent: Message[];
  content: string;
  tool_calls: ToolCall[];
  tool_results: ToolResultRecord[];
  /** searches the model ran itself */
  searches: WebSearchRecord[];
  /** the model stopped mid-answer; the next turn continues it */
  paused?: boolean;
  /** the answer as the provider sent it, when it holds more than `content` and `tool_calls` (server-tool blocks): sent back as it came */
  provider_content?: ProviderBlock[];
  /**
   * A retry resumes the conversation of the run that failed: this turn was made by run `carried_from`, whose
   * trace counts its tokens and cost, so here they are zero. Its unfinished tool calls are this run's to finish.
   */
  carried_from?: number;
  /** the answer stopped at the model's output token limit (the provider's reason): not a final answer */
  cut_off?: string;
  /** the provider stopped the answer for its content (the provider's reason): not a final answer */
  refused?: string;
  /**
   * The provider failed the answer after saying what it used (its error): kept for its tokens and cost, which are
   * billed. Never part of the conversation: the run failed with it, and a retry does not carry it.
   */
  failed?: string;
  /**
   * The answer was too large to keep (`2.6 MB, past the 1 MB a model turn may hold`): its text and tool-call arguments
   * are cut to fit (./turn-size.ts), its calls are not run, and the run fails; its tokens and cost count.
   */
  oversize?: string;
  /** MCP tools this turn's model was first offered under another name, as another tool had taken theirs */
  renamed_tools?: RenamedTool[];
  usage: Usage;
  cost_nanos: number;
}

/**
 * The conversation as the next turn sends it, rebuilt from stored turns. Turns are stored masked, so a run resumed
 * from storage (after a person's answer, a retry) is sent `first` — the system prompt and instructions as written —
 * in place of the first turn's masked copy: a key the instructions hand the model must reach it as it did at first.
 */
export function conversationOf(turns: TurnRecord[], first?: Message[]): Message[] {
  const messages: Message[] = [];
  for (const [i, t] of turns.entries()) {
    if (t.failed !== undefined) continue;
    const asWritten = i === 0 && first && first.length === t.sent.length && first.every((m, j) => m.role === t.sent[j].role);
    messages.push(...(asWritten ? first : t.sent));
    messages.push({
      role: "assistant",
      content: t.content,
      ...(t.tool_calls.length ? { tool_calls: t.tool_calls } : {}),
      ...(t.provider_content ? { provider_content: t.provider_content } : {}),
    });
    for (const r of t.tool_results) {
      if (r.result !== null) messages.push({ role: "tool", tool_call_id: r.call_id, name: r.name, content: r.result });
    }
  }
  return messages;
}

/** A turn is final when the model answered without asking for tools and without pausing. */
export const isFinal = (t: TurnRecord): boolean => t.tool_calls.length === 0 && !t.paused;
