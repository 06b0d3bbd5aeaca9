import { z } from "@hono/zod-openapi";

/** Where a stream resumes, for clients that cannot send `Last-Event-ID` (the header wins when both come). */
export const LastEventQuery = z.object({
  last_event_id: z.string().regex(/^\d{1,40}$/, "an event id: digits only").optional().openapi({ description: "the last event id seen, as `Last-Event-ID` would carry it" }),
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
