import type { TriggerRow } from "./fire";
import { verifyWebhook, type WebhookCheck } from "./webhook-signature";

/**
 * A rotation keeps the secret it replaces valid for a grace window (as Stripe's "roll secret" and Svix do), so a
 * sender still signing with it while its deploy rolls out loses no delivery. One previous secret is kept: a second
 * rotation ends the first one's window.
 */
export const DEFAULT_GRACE_SECONDS = 24 * 3600;
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

type Secrets = Pick<TriggerRow, "secret" | "previous_secret" | "previous_secret_expires_at">;

/** When the previous secret stops verifying, or null when none does any more. */
export function previousSecretExpiry(t: Secrets, nowMs: number): number | null {
  return t.previous_secret !== null && t.previous_secret_expires_at !== null && t.previous_secret_expires_at > nowMs ? t.previous_secret_expires_at : null;
}

/**
 * Why a delivery was refused, told more plainly when it was signed with the secret a rotation replaced, once that is
 * no longer accepted: it takes that secret to make such a signature, so this tells no one else anything.
 */
export async function refusal(t: Secrets, check: WebhookCheck & { ok: false }, headers: Headers, body: Uint8Array, nowMs: number): Promise<string> {
  if (check.reason !== "bad_signature" || t.previous_secret === null || t.previous_secret_expires_at === null || previousSecretExpiry(t, nowMs) !== null) return check.message;
  if (!(await verifyWebhook(t.previous_secret, headers, body, Math.floor(nowMs / 1000))).ok) return check.message;
  return `it was signed with the secret that the trigger's latest rotation replaced, no longer accepted since ${new Date(t.previous_secret_expires_at).toISOString()}: sign with the current one`;
}

/** The secrets a delivery may be signed with at `nowMs`, the current one first. */
export function acceptedSecrets(t: Secrets, nowMs: number): string[] {
  if (t.secret === null) return [];
  return previousSecretExpiry(t, nowMs) === null ? [t.secret] : [t.secret, t.previous_secret!];
}

/**
 * What a replayed create or rotation shows of the secret it first answered: the secret while it is still the current one, else
 * null and why, so a client retrying after a rotation is not handed a secret that is (or soon will be) refused.
 */
export function replayedSecret(shown: string, t: Secrets | null, nowMs: number): { secret: string | null; secret_note?: string } {
  if (t?.secret === shown) return { secret: shown };
  if (!t) return { secret: null, secret_note: "the trigger was deleted since: its secret verifies nothing" };
  const until = t.previous_secret === shown ? previousSecretExpiry(t, nowMs) : null;
  return {
    secret: null,
    secret_note:
      until === null
        ? "this secret has been rotated since and is no longer accepted; the rotation answered the current one (rotate-secret makes another)"
        : `this secret has been rotated since; it is accepted until ${new Date(until).toISOString()}, then refused: sign with the one the rotation answered`,
  };
}
