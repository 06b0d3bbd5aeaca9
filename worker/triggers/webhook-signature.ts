/**
 * Standard Webhooks (standardwebhooks.com): `webhook-signature` carries one or more
 * space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the
 * bytes behind a `whsec_<base64>` secret. WebCrypto only, so it runs in workerd.
 */

export interface WebhookHeaders {
  "webhook-id"?: string | null;
  "webhook-timestamp"?: string | null;
  "webhook-signature"?: string | null;
}

export type WebhookFailure = "missing_headers" | "invalid_timestamp" | "stale_timestamp" | "bad_signature";
export type WebhookCheck = { ok: true; id: string; timestamp: number } | { ok: false; reason: WebhookFailure; message: string };

export const DEFAULT_TOLERANCE_SECONDS = 300;
/** Enough for a rotation overlap; bounds the HMAC work one request can cause. */
const MAX_SIGNATURES = 10;
const PREFIX = "whsec_";
const enc = new TextEncoder();

export function newWebhookSecret(bytes: Uint8Array = crypto.getRandomValues(new Uint8Array(32))): string {
  return PREFIX + toBase64(bytes);
}

export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string | Uint8Array): Promise<string> {
  const key = await importKey(secret, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, signedContent(id, timestampSeconds, body));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/**
 * `headers` may be a Headers object (names are case-insensitive there) or a plain record. `secret` may list several
 * (the current one first, then one a rotation keeps valid for a while): a signature made with any of them verifies.
 */
export async function verifyWebhook(
  secrets: string | readonly string[],
  headers: Headers | WebhookHeaders,
  body: string | Uint8Array,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<WebhookCheck> {
  const get = (name: keyof WebhookHeaders) => (headers instanceof Headers ? headers.get(name) : headers[name]) ?? "";
  const id = get("webhook-id");
  const ts = get("webhook-timestamp");
  const sigs = get("webhook-signature");
  const missing = (["webhook-id", "webhook-timestamp", "webhook-signature"] as const).filter((h) => !get(h).trim());
  if (missing.length) return fail("missing_headers", `missing ${missing.join(", ")}`);
  if (!/^\d{1,15}$/.test(ts.trim())) return fail("invalid_timestamp", "webhook-timestamp must be whole seconds since the epoch");
  const timestamp = Number(ts.trim());
  if (Math.abs(nowSeconds - Math.floor(timestamp / 1000)) <= toleranceSeconds && Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    return fail("invalid_timestamp", `webhook-timestamp must be whole seconds since the epoch; ${ts.trim()} looks like milliseconds`);
  }
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    return fail("stale_timestamp", `webhook-timestamp is more than ${toleranceSeconds}s away from now`);
  }
  const keys = typeof secrets === "string" ? [secrets] : secrets;
  const secret = keys[0];
  const content = signedContent(id, timestamp, body);
  const macs = sigs
    .trim()
    .split(/\s+/)
    .slice(0, MAX_SIGNATURES)
    .filter((candidate) => candidate.startsWith("v1,"))
    .map((candidate) => fromBase64(candidate.slice(3)))
    .filter((mac) => mac !== null);
  // subtle.verify compares in constant time
  for (const k of keys) {
    const key = await importKey(k, ["verify"]);
    for (const mac of macs) if (await crypto.subtle.verify("HMAC", key, mac, content)) return { ok: true, id, timestamp };
  }
  if (!macs.length) return fail("bad_signature", 'no v1 signature: webhook-signature holds space-separated "v1,<base64>" signatures');
  // the usual slip of a hand-written sender, named so it can be fixed; it takes the secret to make one, so it tells no one else anything
  for (const text of [secret, secret.slice(PREFIX.length)]) {
    const slip = await crypto.subtle.importKey("raw", enc.encode(text), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    // the first signature only, so a refused request costs at most two HMACs more
    if (await crypto.subtle.verify("HMAC", slip, macs[0], content)) {
      return fail("bad_signature", "no v1 signature matches: it was keyed with the secret's text; key the HMAC with the bytes its part after whsec_ decodes to (base64)");
    }
  }
  return fail("bad_signature", "no v1 signature matches");
}

function fail(reason: WebhookFailure, message: string): WebhookCheck {
  return { ok: false, reason, message };
}

function signedContent(id: string, timestampSeconds: number, body: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const head = enc.encode(`${id}.${timestampSeconds}.`);
  const tail = typeof body === "string" ? enc.encode(body) : body;
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

async function importKey(secret: string, usages: KeyUsage[]): Promise<CryptoKey> {
  const raw = secretBytes(secret);
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, usages);
}

/** Throws on a malformed secret: that is a server-side bug, not a bad request. */
export function secretBytes(secret: string): Uint8Array<ArrayBuffer> {
  const bytes = secret.startsWith(PREFIX) ? fromBase64(secret.slice(PREFIX.length)) : null;
  if (!bytes || bytes.length === 0) throw new Error('a webhook secret is "whsec_" followed by base64 bytes');
  return bytes;
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
