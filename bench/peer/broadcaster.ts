import { DurableObject } from "cloudflare:workers";

/**
 * A bare SSE broadcaster: log the event in SQLite, then write it to every client. Streams go back as
 * fetched bodies, as the product's do (a stream returned over RPC never learns that its client left).
 */
export class Broadcaster extends DurableObject {
  private readonly clients = new Set<WritableStreamDefaultWriter<Uint8Array>>();
  private lastId = 0;
  private readonly enc = new TextEncoder();

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS feed (id INTEGER PRIMARY KEY, data TEXT NOT NULL)");
  }

  async fetch(): Promise<Response> {
    return new Response(this.subscribe(), { headers: { "content-type": "text/event-stream", "cache-control": "no-store" } });
  }

  private subscribe(): ReadableStream<Uint8Array> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    void writer.write(this.enc.encode(`event: ready\ndata: {}\n\n`));
    this.clients.add(writer);
    writer.closed.catch(() => {}).finally(() => this.clients.delete(writer));
    return readable;
  }

  async publish(count: number): Promise<number> {
    for (let k = 0; k < count; k++) {
      const id = ++this.lastId;
      const data = JSON.stringify({ seq: id, at: Date.now() });
      this.ctx.storage.sql.exec("INSERT INTO feed (id, data) VALUES (?, ?)", id, data);
      const frame = this.enc.encode(`id: ${id}\nevent: bench\ndata: ${data}\n\n`);
      for (const w of this.clients) void w.write(frame).catch(() => this.clients.delete(w));
    }
    return this.lastId;
  }
}
