import { DurableObject } from "cloudflare:workers";
import { GroupCommit, type StatementRows } from "../db/group-commit";
import type { SqlStatement } from "../db/sql";
import type { Bindings } from "../env";
import { heartbeatMs, sseFrame, sseFrameJson, sseStream } from "../task/events";
import { Subscribers } from "./subscribers";

export const REPLAY_WINDOW = 1000;
/** How long a busy organization's index writes gather before their shared batch (worker/db/group-commit.ts). */
export const INDEX_SETTLE_MS = 50;

export const orgFeed = (env: Pick<Bindings, "ORG_FEED">, orgId: string) => env.ORG_FEED.get(env.ORG_FEED.idFromName(orgId));

/**
 * One per organization: its tasks' writes to the D1 index go through here, group-committed (the
 * writes that arrive together share one batch), and what they change fans out to every open
 * dashboard once written. Keeps a bounded replay window in its SQLite; a client that asks to
 * resume from before the window gets a `reset` event and refetches.
 */
export class OrgFeed extends DurableObject<Bindings> {
  private readonly clients = new Subscribers();
  private lastId = 0;
  private readonly writes = new GroupCommit(() => this.env.DB, INDEX_SETTLE_MS);

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS feed (id INTEGER PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL)");
      this.lastId = (ctx.storage.sql.exec<{ id: number | null }>("SELECT max(id) AS id FROM feed").one().id ?? 0) as number;
    });
  }

  /** Runs the statements in the next group commit, then publishes `event` (if any); returns what each statement read. */
  async commit(statements: SqlStatement[], event?: { type: string; data: unknown }): Promise<StatementRows> {
    const rows = await this.writes.run(statements);
    if (event) await this.publish(event.type, event.data);
    return rows;
  }

  async publish(type: string, data: unknown): Promise<number> {
    const id = ++this.lastId;
    const json = JSON.stringify(data);
    this.ctx.storage.sql.exec("INSERT INTO feed (id, type, data) VALUES (?, ?, ?)", id, type, json);
    if (id % 100 === 0) this.ctx.storage.sql.exec("DELETE FROM feed WHERE id <= ?", id - REPLAY_WINDOW);
    this.clients.broadcast(sseFrameJson(id, type, json));
    return id;
  }

  async openStreams(): Promise<number> {
    return this.clients.size;
  }

  /**
   * `lastEventId` null: live only. Returns null when the organization's stream limit is reached.
   * `heartbeat` overrides the keepalive interval (tests).
   */
  async subscribe(lastEventId: number | null, maxStreams: number, heartbeat?: number): Promise<ReadableStream<Uint8Array> | null> {
    if (this.clients.size >= maxStreams) return null;
    const { readable, writer } = sseStream();
    if (lastEventId == null || lastEventId === this.lastId) {
      void writer.write(sseFrame(null, "ready", { last_event_id: this.lastId })).catch(() => {});
    } else if (!this.replay(writer, lastEventId)) {
      void writer.write(sseFrame(this.lastId, "reset", { reason: "your last event is older than the replay window; refetch" })).catch(() => {});
    }
    this.clients.add(writer, heartbeatMs(this.env, heartbeat));
    return readable;
  }

  /** Writes every event after `lastEventId`; false when that id is outside the window (or from a feed that was reset). */
  private replay(writer: WritableStreamDefaultWriter<Uint8Array>, lastEventId: number): boolean {
    if (lastEventId > this.lastId) return false;
    const oldest = this.ctx.storage.sql.exec<{ id: number | null }>("SELECT min(id) AS id FROM feed WHERE id > ?", this.lastId - REPLAY_WINDOW).one().id;
    if (oldest == null || lastEventId < oldest - 1) return false;
    for (const row of this.ctx.storage.sql.exec<{ id: number; type: string; data: string }>("SELECT id, type, data FROM feed WHERE id > ? ORDER BY id", lastEventId)) {
      void writer.write(sseFrameJson(row.id, row.type, row.data)).catch(() => {});
    }
    return true;
  }
}
