import type { Context } from "hono";
import type { Bindings } from "../env";
import type { AppEnv } from "./context";
import { ApiError } from "./errors";
import { tokenGate } from "./token-gate";

/**
 * MAX_STREAMS_PER_TOKEN, else half the organization's cap but never under 500: one token (a viewer's
 * dashboard left open in many tabs, a runaway script) cannot hold every stream of its organization, and
 * `npm run bench`'s 500 streams on one token still fit.
 */
export function streamsPerToken(env: Bindings): number {
  const set = Number(env.MAX_STREAMS_PER_TOKEN || Number.NaN);
  if (Number.isFinite(set) && set >= 1) return Math.floor(set);
  return Math.max(500, Math.floor(Number(env.MAX_STREAMS_PER_ORG ?? 1000) / 2));
}

/** One of the token's stream slots (its gate counts them) for a stream about to open, or 429 naming the cap. */
export async function takeStreamSlot(c: Context<AppEnv>): Promise<string> {
  const cap = streamsPerToken(c.env);
  const slot = crypto.randomUUID();
  if (!(await tokenGate(c.env, c.get("tokenHash")).openStream(slot, cap))) {
    throw new ApiError("rate_limited", `too many open streams for this token (MAX_STREAMS_PER_TOKEN, ${cap}): close one, or use another token`, { limit: "MAX_STREAMS_PER_TOKEN", max: cap }, { "retry-after": "5" });
  }
  return slot;
}

/** The stream request's parameters naming the slot, so that the object serving the stream gives it back (below). */
export const slotParams = (c: Context<AppEnv>, slot: string) => ({ slot, slot_token: c.get("tokenHash") });

/**
 * In the object serving a stream: gives the slot named by its request back once the object lets the stream
 * go (the client went away or fell behind, the stream ended or was cut). Only the object sees a client
 * that went away: the request that opened the stream ends with the client.
 */
export function givesBackSlot(env: Bindings, req: Request, writer: WritableStreamDefaultWriter<Uint8Array>): void {
  const q = new URL(req.url).searchParams;
  const slot = q.get("slot");
  const hash = q.get("slot_token");
  if (!slot || !hash) return;
  void writer.closed.catch(() => {}).finally(() => tokenGate(env, hash).closeStream(slot).catch(() => {}));
}

/** A slot taken for a stream that did not open after all. */
export async function giveBackStreamSlot(c: Context<AppEnv>, slot: string): Promise<void> {
  await tokenGate(c.env, c.get("tokenHash")).closeStream(slot).catch(() => {});
}
