import type { Bindings } from "../env";
import { givesBackSlot } from "../lib/stream-slots";
import { numberParam, STREAM_ENDED, streamResponse } from "../live/stream-fetch";
import { Subscribers } from "../live/subscribers";
import { heartbeatMs, sseFrame, sseFrameJson, sseStream, TASK_STREAM_MAX_BACKLOG } from "./events";
import { FINAL } from "./outcome";
import type { TaskRunner } from "./runner";
import { eventsAfter } from "./store";

type StreamedTask = Pick<TaskRunner, "meta" | "status" | "lastEventId" | "sql">;

/** The task's SSE stream: its stored events after the client's last one, then live ones as they commit. */
export class TaskStream {
  // a model's text can come in a burst (a cached or local model's whole answer at once), its pieces sent together:
  // a client is not behind for taking a burst of a few MB a moment to read
  private readonly subscribers = new Subscribers(TASK_STREAM_MAX_BACKLOG);

  constructor(private readonly t: StreamedTask) {}

  /** A request for the stream (worker/live/stream-fetch.ts), resuming after `last_event_id`. */
  respond(req: Request, env: Bindings): Response {
    const lastId = numberParam(req, "last_event_id") ?? 0;
    if (this.ended(lastId)) return new Response(null, { status: STREAM_ENDED });
    return streamResponse(this.events(lastId, env, (w) => givesBackSlot(env, req, w)));
  }

  /** Whether a resume after `lastId` is over before it starts. */
  ended(lastId: number): boolean {
    return this.t.meta !== null && FINAL.has(this.t.status) && lastId > 0 && lastId === this.t.lastEventId;
  }

  /** An event just committed, to every open stream. */
  publish(id: number, type: string, json: string): void {
    if (this.subscribers.size) this.subscribers.broadcast(sseFrameJson(id, type, json));
  }

  closeAll(): void {
    this.subscribers.closeAll();
  }

  private events(lastId: number, env: Bindings, opened: (writer: WritableStreamDefaultWriter<Uint8Array>) => void): ReadableStream<Uint8Array> {
    const t = this.t;
    const { readable, writer } = sseStream();
    opened(writer);
    if (!t.meta) {
      void writer.close().catch(() => {});
      return readable;
    }
    // an id this task never gave (another task's, a typo): the client cannot know what it missed, so it refetches
    if (lastId > t.lastEventId) void writer.write(sseFrame(t.lastEventId, "reset", { type: "reset", reason: "your last event is ahead of this task's stream; refetch" })).catch(() => {});
    let cursor = Math.min(lastId, t.lastEventId);
    for (;;) {
      const batch = eventsAfter(t.sql, cursor);
      for (const e of batch) void writer.write(sseFrameJson(e.id, e.type, e.data)).catch(() => {});
      if (batch.length < 1000) break;
      cursor = batch[batch.length - 1].id;
    }
    if (FINAL.has(t.status)) {
      void writer.close().catch(() => {});
    } else {
      this.subscribers.add(writer, heartbeatMs(env));
    }
    return readable;
  }
}
