import { MAX_CLIENT_BACKLOG, SSE_HEARTBEAT } from "../task/events";

type Writer = WritableStreamDefaultWriter<Uint8Array>;

/** What a stream has been given and taken: a write resolves once the client's side has taken it. */
interface Flow {
  pending: number;
  taken: number;
  /** `taken` at the last heartbeat */
  takenAtBeat: number;
}

/**
 * The open SSE streams of one object (a task, an organization's feed): fan-out,
 * heartbeats while any is open, and letting go of clients that are gone or
 * behind. A client that falls behind is dropped (it resumes from the log with
 * Last-Event-ID instead of holding everyone's memory); writers come from
 * `sseStream()`, whose `desiredSize` counts queued bytes. A client that went
 * away is not always told to the stream: workerd may just stop reading it. So
 * a stream that took nothing over a whole heartbeat interval while writes
 * waited is let go too, or it would hold one of the organization's stream
 * slots for good.
 */
export class Subscribers {
  private readonly writers = new Map<Writer, Flow>();
  private keepalive: ReturnType<typeof setInterval> | null = null;
  private keepaliveMs = 0;

  /** `maxBacklog`: the bytes a client may have waiting before it is dropped at once (a stalled one goes at a heartbeat). */
  constructor(private readonly maxBacklog = MAX_CLIENT_BACKLOG) {}

  get size(): number {
    return this.writers.size;
  }

  add(writer: Writer, heartbeatMs: number): void {
    this.writers.set(writer, { pending: 0, taken: 0, takenAtBeat: 0 });
    writer.closed.catch(() => {}).finally(() => this.writers.delete(writer));
    if (this.keepalive && this.keepaliveMs <= heartbeatMs) return;
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepaliveMs = heartbeatMs;
    this.keepalive = setInterval(() => this.heartbeat(), heartbeatMs);
  }

  broadcast(frame: Uint8Array): void {
    for (const [w, flow] of this.writers) {
      // desiredSize is the stream's high-water mark less what waits in it
      if ((w.desiredSize ?? 0) < MAX_CLIENT_BACKLOG - this.maxBacklog) this.drop(w);
      else this.write(w, flow, frame);
    }
  }

  closeAll(): void {
    for (const w of this.writers.keys()) void w.close().catch(() => {});
    this.writers.clear();
  }

  private write(w: Writer, flow: Flow, frame: Uint8Array): void {
    flow.pending++;
    w.write(frame).then(
      () => {
        flow.pending--;
        flow.taken++;
      },
      () => this.drop(w),
    );
  }

  private drop(w: Writer): void {
    this.writers.delete(w);
    void w.abort().catch(() => {});
  }

  private heartbeat(): void {
    if (this.writers.size === 0 && this.keepalive) {
      clearInterval(this.keepalive);
      this.keepalive = null;
      return;
    }
    for (const [w, flow] of this.writers) {
      if (flow.pending > 0 && flow.taken === flow.takenAtBeat) {
        this.drop(w);
        continue;
      }
      flow.takenAtBeat = flow.taken;
      this.write(w, flow, SSE_HEARTBEAT);
    }
  }
}
