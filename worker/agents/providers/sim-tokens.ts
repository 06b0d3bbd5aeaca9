import { tokensOfBytes, utf8Bytes } from "../tokens";
import type { Message, ToolCall, ToolSpec } from "../types";

/**
 * What a sim turn sends: the JSON of the tool list (when there are tools) followed by the JSON of each message,
 * `JSON.stringify` of each, counted in UTF-8 bytes. The previous turn's prompt is the same list cut before the
 * last assistant message (that turn's answer), so `cache` is exactly the previous turn's input + cache.
 */
export function simPromptTokens(messages: Message[], tools: ToolSpec[]): { input: number; cache: number } {
  const sizes = messages.map((m) => utf8Bytes(JSON.stringify(m)));
  const toolBytes = tools.length ? utf8Bytes(JSON.stringify(tools)) : 0;
  const total = tokensOfBytes(toolBytes + sum(sizes));
  const lastAnswer = messages.map((m) => m.role).lastIndexOf("assistant");
  const cache = lastAnswer < 0 ? 0 : tokensOfBytes(toolBytes + sum(sizes.slice(0, lastAnswer)));
  return { input: total - cache, cache };
}

/** What a sim turn returns: its text, plus the JSON of its tool calls and of its search request, if any. */
export function simOutputTokens(content: string, toolCalls: ToolCall[], searchQuery?: string): number {
  let bytes = utf8Bytes(content);
  if (toolCalls.length) bytes += utf8Bytes(JSON.stringify(toolCalls));
  if (searchQuery !== undefined) bytes += utf8Bytes(JSON.stringify({ query: searchQuery }));
  return tokensOfBytes(bytes);
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
