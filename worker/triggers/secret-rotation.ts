import type { TriggerRow } from "./fire";

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

/** The secrets a delivery may be signed with at `nowMs`, the current one first. */
export function acceptedSecrets(t: Secrets, nowMs: number): string[] {
  if (t.secret === null) return [];
  return previousSecretExpiry(t, nowMs) === null ? [t.secret] : [t.secret, t.previous_secret!];
}
