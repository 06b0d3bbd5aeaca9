/**
 * SSE streams leave their object as the body of a `fetch`, not as an RPC return value. A client that
 * goes away cancels a fetched body, so the next write to its stream (an event or a heartbeat) fails
 * and the object lets it go. A stream returned over RPC keeps taking writes after its reader has gone
 * (workerd discards them), so its object could never tell, and it would hold one of the
 * organization's stream slots for good.
 */

type Params = Record<string, string | number | null | undefined>;

/** The request an object's `fetch` reads its stream's parameters from. */
export function streamRequest(params: Params): Request {
  const url = new URL("https://object/stream");
  for (const [k, v] of Object.entries(params)) if (v != null) url.searchParams.set(k, String(v));
  return new Request(url);
}

/** The numeric parameter `name`, or null. */
export function numberParam(req: Request, name: string): number | null {
  const v = new URL(req.url).searchParams.get(name);
  return v != null && v !== "" && Number.isFinite(Number(v)) ? Number(v) : null;
}

/**
 * A finished task's stream resumed after its last event has nothing to send, ever: 204, which tells an EventSource
 * to stop reconnecting (a closed stream would have it reconnect every few seconds for good).
 */
export const STREAM_ENDED = 204;

/** The object's answer: its stream, or null when it refused one (429: the organization's limit). */
export async function streamOf(res: Response): Promise<ReadableStream<Uint8Array> | null> {
  if (res.status === 429) {
    await res.body?.cancel();
    return null;
  }
  if (!res.ok || !res.body) throw new Error(`stream refused: ${res.status}`);
  return res.body;
}

export const streamResponse = (stream: ReadableStream<Uint8Array> | null): Response =>
  stream ? new Response(stream, { headers: { "content-type": "text/event-stream" } }) : new Response(null, { status: 429 });
