import type { Context } from "hono";
import { principalForSession } from "./auth-lookup";
import type { AppEnv } from "./context";
import { TRUST_MS, tokenGate } from "./token-gate";

/**
 * True once the request's token is revoked or, for a dashboard session, the session has ended (signed
 * out, expired): at once when the token's gate is told, within TRUST_MS otherwise. A gate or D1 that
 * cannot be asked counts as ended; the client asks again and authenticates again. False once `open()`
 * is, at the next check, no longer true.
 */
export async function lostAuthorization(c: Context<AppEnv>, open: () => boolean): Promise<boolean> {
  const { DB } = c.env;
  const tokenHash = c.get("tokenHash");
  const sessionId = c.get("sessionId");
  const gate = tokenGate(c.env, tokenHash);
  while (open()) {
    if (await gate.revokedWithin(tokenHash, TRUST_MS).catch(() => true)) return true;
    if (open() && sessionId && !(await principalForSession(DB, sessionId).catch(() => null))) return true;
  }
  return false;
}

/** `stream`, ended cleanly once the request loses its authorization (above). */
export function whileAuthorized(c: Context<AppEnv>, stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
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
  // a pending read then ends as a finished stream would, and the pump closes the client's side
  void lostAuthorization(c, () => open).then((lost) => (lost && open ? reader.cancel().catch(() => {}) : undefined));
  return readable;
}
