import { z } from "zod";
import type { Message, ProviderBlock, ToolSpec, Usage } from "../types";

/** Anthropic Messages shapes: what we send, and the parts of the answers we read. */

type Block =
  | { type: "text"; text: string; cache_control?: Ephemeral }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown>; cache_control?: Ephemeral }
  | { type: "tool_result"; tool_use_id: string; content: string; cache_control?: Ephemeral }
  | (ProviderBlock & { cache_control?: Ephemeral });
type Ephemeral = { type: "ephemeral" };
export interface WireMessage {
  role: "user" | "assistant";
  content: Block[];
}

const EPHEMERAL: Ephemeral = { type: "ephemeral" };
const WEB_SEARCH_MAX_USES = 5;

/**
 * System messages become the `system` parameter; tool results become `tool_result` blocks of a user message, and
 * neighbouring messages of one role merge, since the API wants user and assistant to alternate. Text blocks that are
 * empty or only whitespace are left out: the API refuses them (a model may write "\n\n" before a tool call). An answer
 * kept as the API sent it (server-tool blocks) goes back as it came, so a paused server-tool turn can resume. The last
 * block is marked for prompt caching, so each turn reads the previous turn's prompt from the cache.
 */
export function toWireRequest(messages: Message[]): { system?: Block[]; messages: WireMessage[] } {
  const system = messages.flatMap((m) => (m.role === "system" && m.content.trim() ? [m.content] : [])).join("\n\n");
  const out: WireMessage[] = [];
  for (const m of messages) {
    if (m.role === "system") continue;
    const role = m.role === "assistant" ? "assistant" : "user";
    const blocks = toBlocks(m);
    if (!blocks.length) continue;
    const last = out.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  }
  const lastBlock = out.at(-1)?.content.at(-1);
  // a paused turn is sent back as the last message, and the API refuses final assistant text that ends in whitespace
  if (lastBlock?.type === "text" && typeof lastBlock.text === "string" && out.at(-1)?.role === "assistant") lastBlock.text = lastBlock.text.trimEnd();
  // thinking blocks take no cache mark
  if (lastBlock && !UNCACHEABLE.has(lastBlock.type)) lastBlock.cache_control = EPHEMERAL;
  return { ...(system ? { system: [{ type: "text", text: system, cache_control: EPHEMERAL }] } : {}), messages: out };
}

const UNCACHEABLE = new Set(["thinking", "redacted_thinking"]);

const isBlank = (b: Block) => b.type === "text" && typeof b.text === "string" && !b.text.trim();

function toBlocks(m: Message): Block[] {
  switch (m.role) {
    case "assistant":
      // copies: the last one gets a cache mark, and the stored turn must not
      if (m.provider_content) return m.provider_content.map((b) => ({ ...b })).filter((b) => !isBlank(b));
      return [
        ...(m.content.trim() ? [{ type: "text" as const, text: m.content }] : []),
        ...(m.tool_calls ?? []).map((c) => ({ type: "tool_use" as const, id: c.id, name: c.name, input: c.arguments })),
      ];
    case "tool":
      return [{ type: "tool_result", tool_use_id: m.tool_call_id, content: m.content }];
    default:
      return m.content.trim() ? [{ type: "text", text: m.content }] : [];
  }
}

/** Tools the model may serve natively (web search) are sent as Anthropic's server tool instead of a function. */
export const toWireTools = (tools: ToolSpec[]) =>
  tools.map((t) =>
    t.native === "web_search"
      ? { type: "web_search_20250305", name: t.name, max_uses: WEB_SEARCH_MAX_USES }
      : { name: t.name, description: t.description, input_schema: t.parameters },
  );

const searchResultSchema = z.object({ type: z.string(), title: z.string().nullish(), url: z.string().nullish() });

const usageSchema = z.object({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  cache_read_input_tokens: z.number().int().nonnegative().nullish(),
  cache_creation_input_tokens: z.number().int().nonnegative().nullish(),
  server_tool_use: z.object({ web_search_requests: z.number().int().nonnegative().nullish() }).nullish(),
});

/** A message's usage as counted here; Anthropic bills search results as ordinary input tokens, so `web_search` tokens stay 0. */
export function usageOf(usage: z.infer<typeof usageSchema>): Usage {
  return {
    input: usage.input_tokens,
    cache: usage.cache_read_input_tokens ?? 0,
    cache_write: usage.cache_creation_input_tokens ?? 0,
    output: usage.output_tokens,
    web_search: 0,
    searches: usage.server_tool_use?.web_search_requests ?? 0,
  };
}

/** What a stream counted before it failed (`message_start`'s input, a `message_delta`'s output), or nothing when it counted none. */
export function partialUsageOf(raw: Record<string, unknown>): Usage | undefined {
  const parsed = usageSchema.partial({ output_tokens: true }).safeParse(raw);
  return parsed.success ? usageOf({ ...parsed.data, output_tokens: parsed.data.output_tokens ?? 0 }) : undefined;
}

export const messageResponseSchema = z.object({
  content: z.array(
    z.discriminatedUnion("type", [
      z.object({ type: z.literal("text"), text: z.string() }),
      z.object({
        type: z.literal("tool_use"),
        id: z.string(),
        name: z.string(),
        input: z.record(z.string(), z.unknown()),
        /** set by the stream reader when the streamed input was not a JSON object */
        invalid_input: z.string().optional(),
      }),
      z.object({ type: z.literal("server_tool_use"), id: z.string(), name: z.string(), input: z.record(z.string(), z.unknown()) }),
      z.object({
        type: z.literal("web_search_tool_result"),
        tool_use_id: z.string(),
        // a list of results, or an error object
        content: z.union([z.array(searchResultSchema), z.object({ type: z.string() }).loose()]),
      }),
      z.object({ type: z.literal("thinking") }).loose(),
      z.object({ type: z.literal("redacted_thinking") }).loose(),
    ]),
  ),
  stop_reason: z.string().nullish(),
  usage: usageSchema,
});
