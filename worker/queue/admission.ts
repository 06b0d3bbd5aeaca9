import type { Bindings } from "../env";
import { log } from "../lib/log";
import type { TaskMeta } from "../task/meta";
import type { QueuedTask } from "./org-queue";
import { delay } from "../lib/time";

/**
 * A task's side of the queue, kept in its own storage: "held" until the
 * organization's queue has it, "queued" while it waits there, and absent once
 * admitted (tasks from before caps existed have no key and run as before).
 */
const KEY = "queue";
export type QueueState = "held" | "queued" | undefined;

export const orgQueue = (env: Bindings, orgId: string) => env.ORG_QUEUE.get(env.ORG_QUEUE.idFromName(orgId));

/** The state in storage, mirrored in memory: every scheduling pass asks, and a storage read costs more than the question. */
export class QueueSide {
  private state: QueueState;
  /** What storage holds; `save` writes a change that was not written at once. */
  private stored: QueueState;

  /** `fresh`: a new object, which has stored nothing to read. */
  constructor(
    private readonly storage: DurableObjectStorage,
    fresh: boolean,
  ) {
    this.state = this.stored = fresh ? undefined : storage.kv.get<QueueState>(KEY);
  }

  get(): QueueState {
    return this.state;
  }

  private set(next: QueueState): void {
    this.state = next;
    this.save();
  }

  queued = () => this.set("queued");
  admitted = () => this.set(undefined);

  /** A new task, offered before it stores anything: what the offer decides is stored with the task (`save`). */
  offering(): void {
    this.state = "held";
  }

  /**
   * Admitted in the answer to its own offer (or told to start while that offer was on its way):
   * stored with the task's next write rather than in a commit of its own. Were that write lost,
   * the task would wake held and offer itself again, and the queue answers a repeated offer the
   * same way.
   */
  admittedOnOffer(): void {
    this.state = undefined;
  }

  /** After a rollback: what storage holds now, so the next `save` writes what it undid. */
  reread(): void {
    this.stored = this.storage.kv.get<QueueState>(KEY);
  }

  /** Inside the caller's transaction. */
  save(): void {
    if (this.state === this.stored) return;
    if (this.state === undefined) this.storage.kv.delete(KEY);
    else this.storage.kv.put(KEY, this.state);
    this.stored = this.state;
  }
}

export function queuedTask(meta: TaskMeta): QueuedTask {
  return { org_id: meta.org_id, task_id: meta.id, created_at: meta.created_at, agents: Object.values(meta.agents).map((a) => a.id), bypass: meta.parent_id !== null };
}

/** Hands the task to its organization's queue. True when it may run now; on failure it stays held and is offered again later. */
export async function requestSlot(env: Bindings, side: QueueSide, meta: TaskMeta): Promise<boolean> {
  try {
    const admitted = await orgQueue(env, meta.org_id).enqueue(queuedTask(meta));
    if (side.get() === undefined) return true;
    if (admitted) side.admittedOnOffer();
    else side.queued();
    return admitted;
  } catch (e) {
    log("warn", "task not yet queued", { task_id: meta.id, error: String(e) });
    return false;
  }
}

/** A finished task gives its slot (or its place in line) back; the queue's sweep catches a release that never arrives. */
export async function releaseSlot(env: Bindings, meta: TaskMeta): Promise<void> {
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      await orgQueue(env, meta.org_id).release(meta.id);
      return;
    } catch (e) {
      log("warn", "slot release failed", { task_id: meta.id, attempt, error: String(e) });
      await delay(100 * 2 ** attempt);
    }
  }
}
