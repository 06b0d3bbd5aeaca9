import type { Bindings } from "../env";
import { TRUST_MS, tokenGate } from "./token-gate";

/**
 * `stream`, ended cleanly once the token it was opened with is revoked: at once when the token's gate
 * is told, within TRUST_MS otherwise. A gate that cannot be asked ends it too; the client reconnects
 * (resuming with Last-Event-ID) and authenticates again.
 */
export function endOnRevoke(env: Bindings, tokenHash: string, stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
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
    const gate = tokenGate(env, tokenHash);
    let revoked = false;
    while (open && !revoked) revoked = await gate.revokedWithin(tokenHash, TRUST_MS).catch(() => true);
    // a pending read then ends as a finished stream would, and the pump closes the client's side
    if (open) await reader.cancel().catch(() => {});
  })();
  return readable;
}
