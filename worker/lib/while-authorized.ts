import type { Context } from "hono";
import { sha256Hex } from "./crypto";
import type { AppEnv } from "./context";
import { renewOrgStreamSlot } from "./stream-slots";
import { TRUST_MS, tokenGate } from "./token-gate";

/**
 * True once the request's token is revoked or, for a dashboard session, the session has ended (signed
 * out, expired): at once when the token's gate is told, within TRUST_MS otherwise. A gate or D1 that
 * cannot be asked counts as ended; the client asks again and authenticates again. False once `open()`
 * is, at the next check, no longer true. Each check renews the leases of the stream's `slot`: the token's,
 * and the organization's when `slotOrg` names it (a task's stream).
 */
export async function lostAuthorization(c: Context<AppEnv>, open: () => boolean, slot?: string, slotOrg?: string): Promise<boolean> {
  const tokenHash = c.get("tokenHash");
  const sessionId = c.get("sessionId");
  const sessionHash = sessionId === undefined ? undefined : await sha256Hex(sessionId);
  const gate = tokenGate(c.env, tokenHash);
  while (open()) {
    if (await gate.revokedWithin(tokenHash, TRUST_MS, slot).catch(() => true)) return true;
    if (open() && slot && slotOrg) await renewOrgStreamSlot(c.env, slotOrg, slot);
    if (open() && sessionHash && !(await gate.sessionHolds(tokenHash, sessionHash).catch(() => false))) return true;
  }
  return false;
}

/**
 * `stream`, cut off once the request loses its authorization (above): an EventSource then reconnects and
 * is refused (401). Each check renews the leases of its `slot` (stream-slots.ts). The chunks go through workerd's own pipe, never through JavaScript: a JS pump, which
 * could end the stream cleanly instead, cost each of 500 streams a read and a write per event on the
 * thread that also fans the events out, and tripled the SSE benchmark's p99 (bench/HISTORY.md, fifteenth
 * session). workerd's pipe ignores `preventAbort`, so a cut is the only way to stop it early.
 */
export function whileAuthorized(c: Context<AppEnv>, stream: ReadableStream<Uint8Array>, slot: string, slotOrg?: string): ReadableStream<Uint8Array> {
  const { readable, writable } = new IdentityTransformStream();
  const lost = new AbortController();
  let open = true;
  void stream
    .pipeTo(writable, { signal: lost.signal })
    .catch(() => {})
    .finally(() => {
      open = false;
    });
  void lostAuthorization(c, () => open, slot, slotOrg).then((gone) => (gone && open ? lost.abort() : undefined));
  return readable;
}
