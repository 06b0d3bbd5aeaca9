import { z } from "zod";
import type { Message, ToolSpec, Usage } from "../types";
import { zeroUsage } from "../types";
import { isTransientStatus } from "./http";

/** Chat Completions shapes: what we send, and the parts of the answers we read. */

export const usageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative().nullish(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().int().nonnegative().nullish() }).nullish(),
  /** DeepSeek's name for the cached part of the prompt (it may also send `cached_tokens`, the same tokens) */
  prompt_cache_hit_tokens: z.number().int().nonnegative().nullish(),
});

const toolCallSchema = z.object({
  id: z.string(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

export const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullish(), tool_calls: z.array(toolCallSchema).nullish() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: usageSchema.nullish(),
});

export const chunkSchema = z.object({
  choices: z.array(
    z.object({
      delta: z
        .object({
          content: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                /** absent from some compatible servers' deltas (Gemini's) */
                index: z.number().int().nullish(),
                id: z.string().nullish(),
                function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
              }),
            )
            .nullish(),
        })
        .nullish(),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: usageSchema.nullish(),
});

/** An error object a server sends in place of a chunk once the stream has begun (OpenAI, vLLM, OpenRouter). */
export const streamErrorSchema = z.object({
  error: z.object({ message: z.string(), type: z.string().nullish(), code: z.union([z.string(), z.number()]).nullish() }).loose(),
});

/**
 * Whether a stream's error is worth a retry: a numeric code as its HTTP status would be; otherwise a request the
 * server refused (too long, invalid) is not, and anything else (a server error, an overload) is.
 */
export function isTransientStreamError(e: z.infer<typeof streamErrorSchema>["error"]): boolean {
  if (typeof e.code === "number") return isTransientStatus(e.code);
  return !/invalid|context_length|bad_?request|not_found|permission|auth|content_filter|policy/i.test(`${e.type ?? ""} ${e.code ?? ""}`);
}

export function toUsage(u: z.infer<typeof usageSchema> | null | undefined): Usage {
  if (!u) return zeroUsage();
  // a server that counts more cached tokens than the prompt has must not make input (and the month's spend) negative
  const cached = Math.min(u.prompt_tokens, u.prompt_tokens_details?.cached_tokens ?? u.prompt_cache_hit_tokens ?? 0);
  // Gemini's compatible endpoint bills thinking as output but counts it in total_tokens only
  const output = Math.max(u.completion_tokens, (u.total_tokens ?? 0) - u.prompt_tokens);
  return { ...zeroUsage(), input: u.prompt_tokens - cached, cache: cached, output };
}

export function toWireMessages(messages: Message[]) {
  return messages.map((m) => {
    switch (m.role) {
      case "assistant":
        return {
          role: "assistant",
          content: m.content || null,
          ...(m.tool_calls?.length
            ? { tool_calls: m.tool_calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: JSON.stringify(c.arguments) } })) }
            : {}),
        };
      case "tool":
        return { role: "tool", tool_call_id: m.tool_call_id, content: m.content };
      default:
        return { role: m.role, content: m.content };
    }
  });
}

export const toWireTools = (tools: ToolSpec[]) =>
  tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } }));
