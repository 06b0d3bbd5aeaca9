/** Shapes shared by the agent loop, the providers and the tools. */

export interface Usage {
  /** uncached input tokens */
  input: number;
  /** cached input tokens read */
  cache: number;
  /** input tokens written to the provider's cache (priced apart where the provider charges for it) */
  cache_write: number;
  output: number;
  web_search: number;
  /** number of web searches */
  searches: number;
}

export const zeroUsage = (): Usage => ({ input: 0, cache: 0, cache_write: 0, output: 0, web_search: 0, searches: 0 });

export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
  /** what the model wrote when it was not a JSON object (cut off, malformed): `arguments` is then empty and the call is not run */
  invalid_arguments?: string;
}

export type Message =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; tool_calls?: ToolCall[]; provider_content?: ProviderBlock[] }
  | { role: "tool"; tool_call_id: string; name: string; content: string };

/**
 * One content block of an answer as the provider sent it. Kept where `content` and `tool_calls` cannot say all of it
 * (Anthropic's server-tool calls and results, citations), so the answer can be sent back as it came.
 */
export type ProviderBlock = Record<string, unknown> & { type: string };

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments */
  parameters: Record<string, unknown>;
  /** a capability the provider may serve natively (Anthropic's server-side web search) instead of calling the tool */
  native?: "web_search";
}

export interface WebSearchRecord {
  query: string;
  results: { title: string; url: string; snippet: string }[];
}

export interface ModelRequest {
  /** model name without the provider prefix, e.g. `gpt-4o-mini` */
  model: string;
  messages: Message[];
  tools: ToolSpec[];
  /** 1-based run number of the step (the sim model's `@fail transient n` counts runs) */
  runNo: number;
  signal: AbortSignal;
  /** streamed text as it arrives, where the provider streams */
  onText?: (delta: string) => void;
}

export interface ModelResponse {
  content: string;
  tool_calls: ToolCall[];
  usage: Usage;
  /** searches the provider ran itself (native web search) */
  searches: WebSearchRecord[];
  /** the answer's blocks as sent, when they hold more than its text and tool calls */
  provider_content?: ProviderBlock[];
  /**
   * The model stopped mid-answer without asking for a tool (Anthropic's `pause_turn`, the sim after `@search`):
   * the loop sends the conversation back for another turn instead of taking `content` as the final answer.
   */
  paused?: boolean;
  /** The model hit its output token limit (OpenAI's `finish_reason: "length"`, Anthropic's `stop_reason: "max_tokens"`): the provider's words for it. */
  cut_off?: string;
  /** The provider stopped the answer for what it said (OpenAI's `finish_reason: "content_filter"`, Anthropic's `stop_reason: "refusal"`): its words for it. */
  refused?: string;
}

export interface Provider {
  call(req: ModelRequest): Promise<ModelResponse>;
}

/** Thrown by providers and tools. `transient` errors are retried with backoff. */
export class StepError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly retryAfterMs?: number,
    /** what the provider said the answer it then failed used: billed, so counted (a turn marked `failed` holds it) */
    readonly spent?: Usage,
  ) {
    super(message);
  }
}
