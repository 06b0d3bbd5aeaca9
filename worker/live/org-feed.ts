import { DurableObject } from "cloudflare:workers";
import { GroupCommit } from "../db/group-commit";
import { type IndexUpdate, indexUpdateStatements } from "../db/index-update";
import { type IndexRow, toListItem } from "../db/task-row";
import type { Bindings } from "../env";
import type { TaskTransition } from "../notify/events";
import { notifierStub } from "../notify/enqueue";
import { KnownSubscriptions } from "../notify/subscriptions";
import { heartbeatMs, sseFrame, sseFrameJson, sseStream } from "../task/events";
import { numberParam, streamOf, streamRequest, streamResponse } from "./stream-fetch";
import { Subscribers } from "./subscribers";
import { givesBackSlot } from "../lib/stream-slots";
import { Leases } from "../lib/leases";

export const REPLAY_WINDOW = 1000;
/** How long a busy organization's index writes gather before their shared batch (worker/db/group-commit.ts). */
export const INDEX_SETTLE_MS = 50;

export const orgFeed = (env: Pick<Bindings, "ORG_FEED">, orgId: string) => env.ORG_FEED.get(env.ORG_FEED.idFromName(orgId));

/** An SSE stream of the feed: `lastEventId` null for live only; null when the organization's `maxStreams` are open. */
export async function subscribeToFeed(
  feed: ReturnType<typeof orgFeed>,
  lastEventId: number | null,
  maxStreams: number,
  heartbeat?: number,
  slot?: { slot: string; slot_token: string },
): Promise<ReadableStream<Uint8Array> | null> {
  return streamOf(await feed.fetch(streamRequest({ last_event_id: lastEventId, max_streams: maxStreams, heartbeat, ...slot })));
}

/** Ids of one instance: its epoch (counted in storage, one write per wake-up) above the event's number. */
const EPOCH_SHIFT = 2 ** 32;
/** Epochs wrap before ids pass 2^53; an id from before the wrap is then ahead of the feed, which answers `reset`. */
const EPOCHS = 2 ** 20;

/**
 * One per organization: its tasks' writes to the D1 index go through here, group-committed (the
 * writes that arrive together share one batch), and what they change fans out to every open
 * dashboard once written. Keeps a bounded replay window in memory: what a feed publishes is already
 * stored where it came from (the index, the task's own log), so a window lost with the instance
 * costs a client one `reset` (it refetches), not an event, and publishing costs no commit. Ids grow
 * across instances (each wake-up's epoch is stored), so a client holding an id from before gets
 * `reset`, never someone else's events.
 */
export class OrgFeed extends DurableObject<Bindings> {
  private readonly clients = new Subscribers();
  /** The organization's task streams, served by their tasks' objects but counted here with the feed's own. */
  private readonly taskStreams = new Leases();
  private lastId = 0;
  private readonly window: { id: number; type: string; json: string }[] = [];
  private readonly writes = new GroupCommit<IndexUpdate>(() => this.env.DB, indexUpdateStatements, INDEX_SETTLE_MS);
  private readonly subscriptions = new KnownSubscriptions();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    const kv = ctx.storage.kv;
    const epoch = ((kv.get<number>("epoch") ?? 0) % EPOCHS) + 1;
    // the window used to be a table: gone with the first wake-up that keeps it in memory
    if (epoch === 1) ctx.storage.sql.exec("DROP TABLE IF EXISTS feed");
    kv.put("epoch", epoch);
    this.lastId = epoch * EPOCH_SHIFT;
  }

  /**
   * Writes a task's index row in the next group commit, then publishes it as `task.updated`. `started`, the
   * row of a start the task had not published yet, goes out at once, before the write; `transitions` go to
   * the organization's Notifier once the row is written, only when one of its subscriptions wants them: a
   * task's write and its notifications share one call, and an organization nobody subscribed for pays no
   * call for them. Resolves once the Notifier has them, so the task can forget them; throws when it does not.
   */
  async writeIndex(update: IndexUpdate, started: IndexRow | null = null, transitions: TaskTransition[] = []): Promise<void> {
    if (started) await this.publish("task.updated", toListItem(started));
    await this.writes.run(update);
    await this.publish("task.updated", toListItem(update.row));
    if (transitions.length) await this.notify(transitions);
  }

  /** A subscription was added, changed or deleted (worker/notify/manage.ts). */
  async subscriptionsChanged(): Promise<void> {
    this.subscriptions.forget();
  }

  /** To the Notifier, in order, the transitions a subscription wants; a failed call is the task's to retry. */
  private async notify(transitions: TaskTransition[]): Promise<void> {
    for (const t of transitions) {
      // a failed read hands the transition over anyway: the Notifier decides again
      const wanted = await this.subscriptions.wanting(this.env.DB, t.org_id, t.type).then((subs) => subs.length > 0, () => true);
      if (wanted) await notifierStub(this.env, t.org_id).enqueue(t);
    }
  }

  /** `type` goes into the data as well as the `event:` line, for clients that read the data alone (`onmessage`). */
  async publish(type: string, data: object): Promise<number> {
    const id = ++this.lastId;
    const json = JSON.stringify({ type, ...data });
    this.window.push({ id, type, json });
    // trimmed in steps, not on every event
    if (this.window.length >= REPLAY_WINDOW + 100) this.window.splice(0, this.window.length - REPLAY_WINDOW);
    this.clients.broadcast(sseFrameJson(id, type, json));
    return id;
  }

  /** The organization's open streams: the feed's and its tasks'. */
  async openStreams(): Promise<number> {
    return this.clients.size + this.taskStreams.size();
  }

  /** Takes a slot for a task's stream about to open (api/tasks.ts), unless the organization has `cap` open. */
  async openTaskStream(slot: string, cap: number, leaseMs: number): Promise<boolean> {
    if ((await this.openStreams()) >= cap) return false;
    this.taskStreams.take(slot, leaseMs);
    return true;
  }

  /** Taken again if this object forgot it: with no stream of its own open, it may have been evicted meanwhile. */
  async renewTaskStream(slot: string, leaseMs: number): Promise<void> {
    this.taskStreams.take(slot, leaseMs);
  }

  async closeTaskStream(slot: string): Promise<void> {
    this.taskStreams.give(slot);
  }

  /**
   * SSE (worker/live/stream-fetch.ts): `last_event_id` absent for live only, `max_streams` the
   * organization's limit (429 when reached), `heartbeat` the keepalive interval (tests), `slot` the token's
   * stream slot it holds (stream-slots.ts).
   */
  async fetch(req: Request): Promise<Response> {
    return streamResponse(
      this.subscribe(numberParam(req, "last_event_id"), numberParam(req, "max_streams") ?? Infinity, numberParam(req, "heartbeat") ?? undefined, (w) => givesBackSlot(this.env, req, w)),
    );
  }

  private subscribe(lastEventId: number | null, maxStreams: number, heartbeat?: number, opened?: (writer: WritableStreamDefaultWriter<Uint8Array>) => void): ReadableStream<Uint8Array> | null {
    if (this.clients.size + this.taskStreams.size() >= maxStreams) return null;
    const { readable, writer } = sseStream();
    opened?.(writer);
    if (lastEventId == null || lastEventId === this.lastId) {
      // with its id: a client that sees nothing more before a drop reconnects from here, not live only
      void writer.write(sseFrame(this.lastId, "ready", { type: "ready", last_event_id: this.lastId })).catch(() => {});
    } else {
      const missed = this.replay(writer, lastEventId);
      if (missed) void writer.write(sseFrame(this.lastId, "reset", { type: "reset", reason: `${missed}; refetch` })).catch(() => {});
    }
    this.clients.add(writer, heartbeatMs(this.env, heartbeat));
    return readable;
  }

  /** Writes every event after `lastEventId`, or says why it cannot: an id this feed never gave, or one outside its window. */
  private replay(writer: WritableStreamDefaultWriter<Uint8Array>, lastEventId: number): string | null {
    if (lastEventId > this.lastId) return "your last event is ahead of this feed: it never gave that id";
    const oldest = this.lastId - Math.min(this.window.length, REPLAY_WINDOW) + 1;
    if (lastEventId < oldest - 1) return "your last event is older than the replay window, or than this feed's last restart";
    for (const e of this.window) if (e.id > lastEventId) void writer.write(sseFrameJson(e.id, e.type, e.json)).catch(() => {});
    return null;
  }
}
