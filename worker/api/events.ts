import { createRoute, z } from "@hono/zod-openapi";
import { giveBackStreamSlot, orgStreamCap, slotParams, takeStreamSlot, tooManyOrgStreams } from "../lib/stream-slots";
import { whileAuthorized } from "../lib/while-authorized";
import { orgFeed, subscribeToFeed } from "../live/org-feed";
import { newApp } from "./app";
import { errors } from "./schemas";
import { LastEventHeader, LastEventQuery, lastEventId, sseResponse } from "./sse";

export const eventsApi = newApp().openapi(
  createRoute({
    method: "get", path: "/", tags: ["events"], summary: "SSE: task summaries of the whole organization; `Last-Event-ID` resumes within the replay window",
    request: { query: LastEventQuery, headers: LastEventHeader },
    responses: { 200: { description: "text/event-stream", content: { "text/event-stream": { schema: z.string() } } }, ...errors(400, 401, 429) },
  }),
  async (c) => {
    const p = c.get("principal");
    const raw = lastEventId(c.req.valid("header")["last-event-id"], c.req.valid("query").last_event_id);
    const last = raw === undefined ? null : Number(raw);
    if (c.req.method === "HEAD") return sseResponse(c, null);
    const cap = orgStreamCap(c.env);
    const slot = await takeStreamSlot(c);
    const stream = await subscribeToFeed(orgFeed(c.env, p.org_id), last, cap, undefined, slotParams(c, slot)).catch(async (e) => {
      await giveBackStreamSlot(c, slot);
      throw e;
    });
    if (!stream) {
      await giveBackStreamSlot(c, slot);
      throw tooManyOrgStreams(cap);
    }
    return sseResponse(c, whileAuthorized(c, stream, slot));
  },
);
