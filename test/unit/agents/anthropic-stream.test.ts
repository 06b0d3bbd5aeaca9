import { describe, expect, it } from "vitest";
import { readMessageStream } from "../../../worker/agents/providers/anthropic-stream";

const sse = (events: Record<string, unknown>[]) =>
  new Response(events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join("")).body!;

describe("Anthropic's message stream", () => {
  it("keeps message_start's input and cache counts when message_delta's usage gives them as null", async () => {
    const message = await readMessageStream("anthropic", sse([
      { type: "message_start", message: { usage: { input_tokens: 120, cache_read_input_tokens: 900, cache_creation_input_tokens: 40, output_tokens: 1 } } },
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hi" } },
      { type: "content_block_stop", index: 0 },
      {
        type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { input_tokens: null, cache_read_input_tokens: null, cache_creation_input_tokens: null, output_tokens: 37, server_tool_use: { web_search_requests: 2 } },
      },
      { type: "message_stop" },
    ]));
    expect(message).toMatchObject({
      stop_reason: "end_turn",
      usage: { input_tokens: 120, cache_read_input_tokens: 900, cache_creation_input_tokens: 40, output_tokens: 37, server_tool_use: { web_search_requests: 2 } },
    });
  });

  it("takes message_delta's cumulative counts when it gives them", async () => {
    const message = await readMessageStream("anthropic", sse([
      { type: "message_start", message: { usage: { input_tokens: 120, output_tokens: 1 } } },
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { input_tokens: 130, output_tokens: 9 } },
      { type: "message_stop" },
    ]));
    expect(message).toMatchObject({ usage: { input_tokens: 130, output_tokens: 9 } });
  });
});
