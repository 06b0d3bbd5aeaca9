import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./context";
import { ApiError } from "./errors";

/** How much of a chunked body past the limit is read and dropped before the rest is cancelled, as a multiple of the limit. */
const DRAIN_FACTOR = 16;

/**
 * Refuses a body over `MAX_BODY_BYTES` with 413, as hono's bodyLimit does, but reads it to its end
 * first: an answer sent while the client still sends breaks the connection it came on. Under `npm
 * start` the front then met a closed socket mid-body and answered 502 or dropped the client (and a
 * chunked body's next request, another client's, once failed with wrangler's 503). A declared
 * length is read whole (the platform bounds it: Cloudflare at 100 MB, `npm start`'s front the
 * same); a chunked body up to `DRAIN_FACTOR` × the limit, then cancelled.
 */
export const bodyLimit = createMiddleware<AppEnv>(async (c, next) => {
  const max = Number(c.env.MAX_BODY_BYTES ?? 1_048_576);
  const tooLarge = () => new ApiError("payload_too_large", `the request body is larger than ${max} bytes`);
  const body = c.req.raw.body;
  if (!body) return next();
  const length = c.req.header("content-length");
  if (length !== undefined && !c.req.raw.headers.has("transfer-encoding")) {
    if (Number(length) <= max) return next();
    await discard(body.getReader(), Infinity);
    throw tooLarge();
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await discard(reader, max * DRAIN_FACTOR - size);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const whole = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.length;
  }
  c.req.raw = new Request(c.req.raw, { body: whole });
  await next();
});

/** Reads a refused body to its end and drops it; one longer than `cap` is cancelled there instead. */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array>, cap: number): Promise<void> {
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    size += value.length;
    if (size > cap) return void (await reader.cancel());
  }
}
