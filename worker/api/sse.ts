import { z } from "@hono/zod-openapi";

const EventId = z.string().regex(/^\d{1,40}$/, "an event id: digits only");

/** Where a stream resumes, for clients that cannot send `Last-Event-ID` (the header wins when both come). */
export const LastEventQuery = z.object({
  last_event_id: EventId.optional().openapi({ description: "the last event id seen, as `Last-Event-ID` would carry it" }),
});

/** What an EventSource sends when it reconnects: the id of the last event it had. */
export const LastEventHeaders = z.object({
  "last-event-id": EventId.optional().openapi({ description: "the last event id seen; the stream resumes after it" }),
});

export function sseResponse(stream: ReadableStream<Uint8Array>): Response {
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    },
  });
}
