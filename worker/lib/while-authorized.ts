import type { Context } from "hono";
import { principalForSession } from "./auth-lookup";
import type { AppEnv } from "./context";
import { TRUST_MS, tokenGate } from "./token-gate";

/**
 * `stream`, ended cleanly once the request's token is revoked or, for a dashboard session, once the
 * session ends (signed out, expired): at once when the token's gate is told, within TRUST_MS otherwise.
 * A gate or D1 that cannot be asked ends it too; the client reconnects (resuming with Last-Event-ID)
 * and authenticates again.
 */
export function whileAuthorized(c: Context<AppEnv>, stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const { DB } = c.env;
  const tokenHash = c.get("tokenHash");
  const sessionId = c.get("sessionId");
  const gate = tokenGate(c.env, tokenHash);
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const reader = stream.getReader();
  const writer = writable.getWriter();
  let open = true;
  void (async () => {
    try {
      for (let next = await reader.read(); !next.done; next = await reader.read()) await writer.write(next.value);
    } catch {
      // the client is gone (the write failed) or the source failed: either way, let go of both ends
    } finally {
      open = false;
      await reader.cancel().catch(() => {});
      await writer.close().catch(() => {});
    }
  })();
  void (async () => {
    let ended = false;
    while (open && !ended) {
      ended = await gate.revokedWithin(tokenHash, TRUST_MS).catch(() => true);
      if (!ended && open && sessionId) ended = !(await principalForSession(DB, sessionId).catch(() => null));
    }
    // a pending read then ends as a finished stream would, and the pump closes the client's side
    if (open) await reader.cancel().catch(() => {});
  })();
  return readable;
}
