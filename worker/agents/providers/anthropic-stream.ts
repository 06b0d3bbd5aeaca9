import { z } from "zod";
import { StepError } from "../types";
import { sseEvents } from "./sse";
import { partialUsageOf } from "./anthropic-wire";

/**
 * Anthropic's streamed Messages events, put back together into the message a plain request answers, so one
 * reader serves both: text, citations, thinking and tool input arrive as deltas of their content block, usage at
 * the start (input, cache) and in `message_delta` (output, server tools).
 */

const eventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("message_start"), message: z.object({ usage: z.record(z.string(), z.unknown()).nullish() }).loose() }),
  z.object({ type: z.literal("content_block_start"), index: z.number().int().nonnegative(), content_block: z.record(z.string(), z.unknown()) }),
  z.object({
    type: z.literal("content_block_delta"),
    index: z.number().int().nonnegative(),
    delta: z
      .object({
        type: z.string(),
        text: z.string().optional(),
        partial_json: z.string().optional(),
        citation: z.record(z.string(), z.unknown()).optional(),
        thinking: z.string().optional(),
        signature: z.string().optional(),
      })
      .loose(),
  }),
  z.object({ type: z.literal("content_block_stop"), index: z.number().int().nonnegative() }),
  z.object({
    type: z.literal("message_delta"),
    delta: z.object({ stop_reason: z.string().nullish() }).loose(),
    usage: z.record(z.string(), z.unknown()).nullish(),
  }),
  z.object({ type: z.literal("message_stop") }),
  z.object({ type: z.literal("ping") }),
  z.object({ type: z.literal("error"), error: z.object({ type: z.string(), message: z.string() }).loose() }),
]);

/** Errors the API may send mid-stream that are worth a retry, as their HTTP statuses would be. */
const TRANSIENT = new Set(["overloaded_error", "api_error", "rate_limit_error", "timeout_error"]);

export async function readMessageStream(provider: string, body: ReadableStream<Uint8Array>, onText?: (delta: string) => void, alive?: () => void): Promise<unknown> {
  const blocks: Record<string, unknown>[] = [];
  const partialJson = new Map<number, string>();
  let usage: Record<string, unknown> = {};
  let stop_reason: string | null = null;
  let stopped = false;
  for await (const event of sseEvents(body, alive)) {
    const parsed = eventSchema.safeParse(JSON.parse(event.data));
    // event types added later are skipped, as the API asks of clients
    if (!parsed.success) continue;
    const e = parsed.data;
    switch (e.type) {
      case "message_start":
        usage = { ...e.message.usage };
        break;
      case "content_block_start":
        blocks[e.index] = { ...e.content_block };
        break;
      case "content_block_delta": {
        const block = blocks[e.index];
        if (!block) throw new StepError(`${provider}: a stream delta for a block that never started`, true);
        if (e.delta.type === "text_delta" && e.delta.text) {
          block.text = `${typeof block.text === "string" ? block.text : ""}${e.delta.text}`;
          onText?.(e.delta.text);
        } else if (e.delta.type === "citations_delta" && e.delta.citation) {
          block.citations = [...(Array.isArray(block.citations) ? block.citations : []), e.delta.citation];
        } else if (e.delta.type === "thinking_delta" || e.delta.type === "signature_delta") {
          // kept whole: a thinking block goes back to the API with its text and signature as they came
          const key = e.delta.type === "thinking_delta" ? "thinking" : "signature";
          block[key] = `${typeof block[key] === "string" ? block[key] : ""}${e.delta[key] ?? ""}`;
        } else if (e.delta.type === "input_json_delta") {
          partialJson.set(e.index, (partialJson.get(e.index) ?? "") + (e.delta.partial_json ?? ""));
        }
        break;
      }
      case "content_block_stop": {
        const json = partialJson.get(e.index);
        // a tool's input comes as JSON text in pieces (none at all is an empty input); text that does not parse
        // (cut off at max_tokens) is kept so the call is not run with an input the model never wrote
        if (json !== undefined && blocks[e.index]) Object.assign(blocks[e.index], toolInput(json));
        break;
      }
      case "message_delta":
        stop_reason = e.delta.stop_reason ?? stop_reason;
        // null is "not counted here" (the SDK's MessageDeltaUsage): it must not wipe message_start's input and cache counts
        for (const [k, v] of Object.entries(e.usage ?? {})) if (v !== null && v !== undefined) usage[k] = v;
        break;
      case "message_stop":
        stopped = true;
        break;
      case "error":
        // the input it had read is billed: counted with the error
        throw new StepError(`${provider}: ${e.error.message}`, TRANSIENT.has(e.error.type), undefined, partialUsageOf(usage));
    }
  }
  if (!stopped) throw new StepError(`${provider}: the stream ended before the answer did`, true);
  return { content: blocks.filter(Boolean), stop_reason, usage };
}

function toolInput(json: string): { input: Record<string, unknown>; invalid_input?: string } {
  if (!json.trim()) return { input: {} };
  try {
    const v: unknown = JSON.parse(json);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return { input: v as Record<string, unknown> };
  } catch {
    // kept as invalid_input below
  }
  return { input: {}, invalid_input: json };
}
