import type { Context } from "hono";
import { z } from "@hono/zod-openapi";

const EventId = z.string().regex(/^\d{1,40}$/, "an event id: digits only");

/** Where a stream resumes, for clients that cannot send `Last-Event-ID` (the header wins when both come). */
export const LastEventQuery = z.object({
  last_event_id: EventId.optional().openapi({ description: "the last event id seen, as `Last-Event-ID` would carry it" }),
});

/** Where a stream resumes, as EventSource says it on reconnecting: checked as the query's is, so a bad one never replays from the start. */
export const LastEventHeader = z.object({
  // empty is none: the spec's "no last event id"
  "last-event-id": z.union([z.literal(""), EventId]).optional().openapi({ description: "the last event id seen: the stream resumes after it" }),
});

/** The event id a stream resumes after: the header's, else the query's. */
export const lastEventId = (header: string | undefined, query: string | undefined): string | undefined => header || query;

/**
 * A stream's answer; `null` for a HEAD, which gets the headers and opens no stream, so it holds none of the stream slots.
 * Made through the context, so what the middleware set for every answer (`x-request-id`) goes with it.
 */
export function sseResponse(c: Context, stream: ReadableStream<Uint8Array> | null): Response {
  const headers = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" };
  return stream ? c.body(stream, 200, headers) : c.body(null, 200, headers);
}
