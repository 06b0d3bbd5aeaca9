import { SSE_HEARTBEAT } from "../task/events";

type Writer = WritableStreamDefaultWriter<Uint8Array>;

/**
 * The open SSE streams of one object (a task, an organization's feed): fan-out,
 * heartbeats while any is open, and dropping a client that falls behind — it
 * resumes from the log with Last-Event-ID instead of holding everyone's memory.
 * Writers come from `sseStream()`, whose `desiredSize` counts queued bytes.
 */
export class Subscribers {
  private readonly writers = new Set<Writer>();
  private keepalive: ReturnType<typeof setInterval> | null = null;
  private keepaliveMs = 0;

  get size(): number {
    return this.writers.size;
  }

  add(writer: Writer, heartbeatMs: number): void {
    this.writers.add(writer);
    writer.closed.catch(() => {}).finally(() => this.writers.delete(writer));
    if (this.keepalive && this.keepaliveMs <= heartbeatMs) return;
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepaliveMs = heartbeatMs;
    this.keepalive = setInterval(() => this.heartbeat(), heartbeatMs);
  }

  broadcast(frame: Uint8Array): void {
    for (const w of this.writers) {
      if ((w.desiredSize ?? 0) < 0) {
        this.drop(w);
        continue;
      }
      void w.write(frame).catch(() => this.drop(w));
    }
  }

  closeAll(): void {
    for (const w of this.writers) void w.close().catch(() => {});
    this.writers.clear();
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
    for (const w of this.writers) void w.write(SSE_HEARTBEAT).catch(() => this.drop(w));
  }
}
