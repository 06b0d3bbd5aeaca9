import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./context";
import { ApiError } from "./errors";

/** How much of a chunked body past the limit is read and dropped before the rest is cancelled, as a multiple of the limit. */
const DRAIN_FACTOR = 16;

/**
 * Refuses a body over `MAX_BODY_BYTES` with 413, as hono's bodyLimit does, but reads a chunked
 * one to its end first: one left half-read broke the connection it came on, and under `npm start`
 * the next request there, another client's, failed with wrangler's 503.
 */
export const bodyLimit = createMiddleware<AppEnv>(async (c, next) => {
  const max = Number(c.env.MAX_BODY_BYTES ?? 1_048_576);
  const tooLarge = () => new ApiError("payload_too_large", `the request body is larger than ${max} bytes`);
  const body = c.req.raw.body;
  if (!body) return next();
  const length = c.req.header("content-length");
  if (length !== undefined && !c.req.raw.headers.has("transfer-encoding")) {
    if (Number(length) > max) throw tooLarge();
    return next();
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size <= max) chunks.push(value);
    else if (size > max * DRAIN_FACTOR) {
      await reader.cancel();
      throw tooLarge();
    }
  }
  if (size > max) throw tooLarge();
  const whole = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.length;
  }
  c.req.raw = new Request(c.req.raw, { body: whole });
  await next();
});
