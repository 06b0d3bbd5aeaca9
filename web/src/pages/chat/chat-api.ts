import { createParser } from "eventsource-parser";
import { ApiError, createClient, unwrap } from "../../client";
import type { TaskListItem } from "../../api-types";
import type { ChatEvent, ConversationView, DraftView } from "../../../../worker/chat/types";

export type { ChatEvent, ConversationView, DraftView };
export type { ChatMessage, DraftChanges } from "../../../../worker/chat/types";
export type { Plan as DraftPlan, Step as DraftStep } from "../../../../worker/task/plan-schema";

/** The chat panel's calls: the typed client for JSON, and the planner's reply read as server-sent events from the POST. */

const fd = createClient();
const enc = encodeURIComponent;

export const chatApi = {
  start: (o: { message?: string; plan_id?: string } = {}) => unwrap(fd.chat.$post({ json: o })) as Promise<ConversationView>,
  get: (id: string) => unwrap(fd.chat[":id"].$get({ param: { id } })) as Promise<ConversationView>,
  run: (id: string, version: number, inputs: Record<string, string> = {}, title?: string) =>
    unwrap(fd.chat[":id"].run.$post({ param: { id }, json: { draft_version: version, inputs, title } })) as Promise<TaskListItem>,
  save: (id: string, version: number, o: { pauseTriggers?: boolean; replaces?: number; asNew?: boolean } = {}) =>
    unwrap(fd.chat[":id"].save.$post({ param: { id }, query: o.pauseTriggers ? { triggers: "pause" } : {}, json: { draft_version: version, plan_version: o.replaces, as_new: o.asNew } })),

  /** Sends a message and calls `onEvent` for each event of the reply until it is done. */
  async send(id: string, content: string, onEvent: (e: ChatEvent) => void): Promise<void> {
    const res = await fetch(`/api/v1/chat/${enc(id)}/messages`, {
      method: "POST",
      credentials: "same-origin",
      headers: { accept: "text/event-stream", "content-type": "application/json" },
      body: JSON.stringify({ content }),
    }).catch(() => {
      throw new ApiError(0, "network", "Cannot reach the server. Check your connection and try again.", null);
    });
    if (!res.ok || !res.body) {
      const data = (await res.json().catch(() => null)) as { error?: { code: string; message: string; request_id?: string } } | null;
      throw new ApiError(res.status, data?.error?.code ?? `http_${res.status}`, data?.error?.message ?? `Request failed (${res.status})`, data?.error?.request_id ?? null);
    }
    const parser = createParser({
      onEvent: (ev) => {
        try {
          onEvent(JSON.parse(ev.data) as ChatEvent);
        } catch {
          /* not ours: ignored */
        }
      },
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
  },
};
