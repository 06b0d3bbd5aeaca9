import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env";
import { SSE_HEARTBEAT, sseFrame } from "../task/events";

const REPLAY_WINDOW = 1000;
const KEEPALIVE_MS = 15_000;
const MAX_CLIENT_BACKLOG = 256 * 1024;

/**
 * One per organization: fans task summaries out to every open dashboard.
 * Keeps a bounded replay window in its SQLite; a client that asks to resume
 * from before the window gets a `reset` event and refetches.
 */
export class OrgFeed extends DurableObject<Bindings> {
  private readonly clients = new Set<WritableStreamDefaultWriter<Uint8Array>>();
  private keepalive: ReturnType<typeof setInterval> | null = null;
  private lastId = 0;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS feed (id INTEGER PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL)");
      this.lastId = (ctx.storage.sql.exec<{ id: number | null }>("SELECT max(id) AS id FROM feed").one().id ?? 0) as number;
    });
  }

  async publish(type: string, data: unknown): Promise<number> {
    const id = ++this.lastId;
    const json = JSON.stringify(data);
    this.ctx.storage.sql.exec("INSERT INTO feed (id, type, data) VALUES (?, ?, ?)", id, type, json);
    if (id % 100 === 0) this.ctx.storage.sql.exec("DELETE FROM feed WHERE id <= ?", id - REPLAY_WINDOW);
    const frame = sseFrame(id, type, data);
    for (const w of this.clients) {
      if ((w.desiredSize ?? 0) < -MAX_CLIENT_BACKLOG) {
        this.drop(w);
        continue;
      }
      void w.write(frame).catch(() => this.drop(w));
    }
    return id;
  }

  async openStreams(): Promise<number> {
    return this.clients.size;
  }

  /** `lastEventId` null: live only. Returns null when the organization's stream limit is reached. */
  async subscribe(lastEventId: number | null, maxStreams: number): Promise<ReadableStream<Uint8Array> | null> {
    if (this.clients.size >= maxStreams) return null;
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    if (lastEventId != null && lastEventId < this.lastId) {
      const oldest = this.ctx.storage.sql.exec<{ id: number | null }>("SELECT min(id) AS id FROM feed WHERE id > ?", this.lastId - REPLAY_WINDOW).one().id;
      if (oldest == null || lastEventId < oldest - 1 || lastEventId > this.lastId) {
        void writer.write(sseFrame(this.lastId, "reset", { reason: "your last event is older than the replay window; refetch" }));
      } else {
        for (const row of this.ctx.storage.sql.exec<{ id: number; type: string; data: string }>(
          "SELECT id, type, data FROM feed WHERE id > ? ORDER BY id",
          lastEventId,
        )) {
          void writer.write(sseFrame(row.id, row.type, JSON.parse(row.data)));
        }
      }
    } else {
      void writer.write(sseFrame(null, "ready", { last_event_id: this.lastId }));
    }
    this.clients.add(writer);
    writer.closed.catch(() => {}).finally(() => this.clients.delete(writer));
    this.keepalive ??= setInterval(() => this.heartbeat(), KEEPALIVE_MS);
    return readable;
  }

  private drop(w: WritableStreamDefaultWriter<Uint8Array>): void {
    this.clients.delete(w);
    void w.abort().catch(() => {});
  }

  private heartbeat(): void {
    if (this.clients.size === 0 && this.keepalive) {
      clearInterval(this.keepalive);
      this.keepalive = null;
      return;
    }
    for (const w of this.clients) void w.write(SSE_HEARTBEAT).catch(() => this.drop(w));
  }
}
