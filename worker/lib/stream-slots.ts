import type { Context } from "hono";
import type { Bindings } from "../env";
import type { AppEnv } from "./context";
import { ApiError } from "./errors";
import { TRUST_MS, tokenGate } from "./token-gate";

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

export const orgStreamCap = (env: Bindings): number => Number(env.MAX_STREAMS_PER_ORG ?? 1000);

export const tooManyOrgStreams = (cap: number) =>
  new ApiError("rate_limited", `too many open streams for this organization (MAX_STREAMS_PER_ORG, ${cap})`, { limit: "MAX_STREAMS_PER_ORG", max: cap }, { "retry-after": "5" });

/** Renewed at every authorization check of the stream (while-authorized.ts), which come at least every TRUST_MS. */
const ORG_SLOT_LEASE_MS = 2 * TRUST_MS;

const feedOf = (env: Bindings, orgId: string) => env.ORG_FEED.get(env.ORG_FEED.idFromName(orgId));

/**
 * For a task's stream, `slot` also takes one of the organization's MAX_STREAMS_PER_ORG, or 429: its feed
 * counts them with its own streams, so task streams and the feed share the cap.
 */
export async function takeOrgStreamSlot(c: Context<AppEnv>, slot: string): Promise<void> {
  const cap = orgStreamCap(c.env);
  if (!(await feedOf(c.env, c.get("principal").org_id).openTaskStream(slot, cap, ORG_SLOT_LEASE_MS))) throw tooManyOrgStreams(cap);
}

export async function renewOrgStreamSlot(env: Bindings, orgId: string, slot: string): Promise<void> {
  await feedOf(env, orgId).renewTaskStream(slot, ORG_SLOT_LEASE_MS).catch(() => {});
}

/**
 * The stream request's parameters naming the slot, so that the object serving the stream gives it back
 * (below); `orgId` when it holds one of the organization's slots too (a task's stream).
 */
export const slotParams = (c: Context<AppEnv>, slot: string, orgId?: string) => ({ slot, slot_token: c.get("tokenHash"), slot_org: orgId });

/**
 * In the object serving a stream: gives the slot named by its request back once the object lets the stream
 * go (the client went away or fell behind, the stream ended or was cut). Only the object sees a client
 * that went away: the request that opened the stream ends with the client.
 */
export function givesBackSlot(env: Bindings, req: Request, writer: WritableStreamDefaultWriter<Uint8Array>): void {
  const q = new URL(req.url).searchParams;
  const slot = q.get("slot");
  const hash = q.get("slot_token");
  const org = q.get("slot_org");
  if (!slot || !hash) return;
  void writer.closed.catch(() => {}).finally(() => {
    void tokenGate(env, hash).closeStream(slot).catch(() => {});
    if (org) void feedOf(env, org).closeTaskStream(slot).catch(() => {});
  });
}

/** A slot taken for a stream that did not open after all; `orgSlot` when the organization's was taken too. */
export async function giveBackStreamSlot(c: Context<AppEnv>, slot: string, orgSlot = false): Promise<void> {
  await tokenGate(c.env, c.get("tokenHash")).closeStream(slot).catch(() => {});
  if (orgSlot) await feedOf(c.env, c.get("principal").org_id).closeTaskStream(slot).catch(() => {});
}
