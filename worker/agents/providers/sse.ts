import { type EventSourceMessage, createParser } from "eventsource-parser";

/** The server-sent events of a response body, in order; `onChunk` hears of every piece read. */
export async function* sseEvents(body: ReadableStream<Uint8Array>, onChunk?: () => void): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => pending.push(e) });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      onChunk?.();
      parser.feed(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      yield* pending.splice(0);
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
