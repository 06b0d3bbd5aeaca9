import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void | Promise<void>;

export interface FakeServer {
  port: number;
  close(): Promise<void>;
}

/** An HTTP server on a free loopback port; requests that never get an answer are dropped on close. */
export async function listen(handler: Handler): Promise<FakeServer> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      await handler(req, Buffer.concat(chunks).toString("utf8"), res);
    } catch (e) {
      sendJson(res, 500, { error: { message: `fake server failed: ${e instanceof Error ? e.message : String(e)}` } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export function sendSse(res: ServerResponse, events: unknown[], done = false): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (const e of events) res.write(`data: ${JSON.stringify(e)}\n\n`);
  if (done) res.write("data: [DONE]\n\n");
  res.end();
}

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
