import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acceptedSecrets, previousSecretExpiry } from "../../../worker/triggers/secret-rotation";
import { newWebhookSecret, secretBytes, signWebhook, verifyWebhook } from "../../../worker/triggers/webhook-signature";

// Test vector from the Standard Webhooks reference libraries.
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const headers = (signature: string, id = VECTOR.id, ts = String(VECTOR.timestamp)) => ({
  "webhook-id": id,
  "webhook-timestamp": ts,
  "webhook-signature": signature,
});

describe("signWebhook", () => {
  it("matches the Standard Webhooks test vector", async () => {
    expect(await signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it("signs bytes the same as the equivalent string", async () => {
    const bytes = new TextEncoder().encode(VECTOR.body);
    expect(await signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, bytes)).toBe(VECTOR.signature);
  });

  it("refuses a malformed secret", async () => {
    await expect(signWebhook("nope", "id", 1, "")).rejects.toThrow(/whsec_/);
    await expect(signWebhook("whsec_", "id", 1, "")).rejects.toThrow(/whsec_/);
    await expect(signWebhook("whsec_***", "id", 1, "")).rejects.toThrow(/whsec_/);
  });
});

describe("verifyWebhook", () => {
  const now = VECTOR.timestamp + 10;

  it("accepts the test vector", async () => {
    expect(await verifyWebhook(VECTOR.secret, headers(VECTOR.signature), VECTOR.body, now)).toEqual({ ok: true, id: VECTOR.id, timestamp: VECTOR.timestamp });
  });

  it("reads a Headers object case-insensitively", async () => {
    const h = new Headers({ "Webhook-Id": VECTOR.id, "WEBHOOK-TIMESTAMP": String(VECTOR.timestamp), "webhook-signature": VECTOR.signature });
    expect((await verifyWebhook(VECTOR.secret, h, VECTOR.body, now)).ok).toBe(true);
  });

  it("accepts when any of several signatures matches, ignoring other versions", async () => {
    const sig = `v1a,abcd v1,${btoa("x".repeat(32))} junk ${VECTOR.signature}`;
    expect((await verifyWebhook(VECTOR.secret, headers(sig), VECTOR.body, now)).ok).toBe(true);
  });

  it("rejects a tampered body, id or timestamp", async () => {
    const bad = async (h: ReturnType<typeof headers>, body = VECTOR.body) => verifyWebhook(VECTOR.secret, h, body, now);
    expect(await bad(headers(VECTOR.signature), VECTOR.body + " ")).toMatchObject({ ok: false, reason: "bad_signature" });
    expect(await bad(headers(VECTOR.signature, "msg_other"))).toMatchObject({ ok: false, reason: "bad_signature" });
    expect(await bad(headers(VECTOR.signature, VECTOR.id, String(VECTOR.timestamp + 1)))).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  it("rejects a signature made with another secret", async () => {
    const other = newWebhookSecret(new Uint8Array(24).fill(7));
    const sig = await signWebhook(other, VECTOR.id, VECTOR.timestamp, VECTOR.body);
    expect(await verifyWebhook(VECTOR.secret, headers(sig), VECTOR.body, now)).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  it("says how a signature went wrong when a sender's usual slip explains it: the secret's text as the key, no v1, prefix", async () => {
    const hmac = async (key: Uint8Array<ArrayBuffer>) => {
      const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const mac = await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(`${VECTOR.id}.${VECTOR.timestamp}.${VECTOR.body}`));
      return btoa(String.fromCharCode(...new Uint8Array(mac)));
    };
    const enc = new TextEncoder();
    for (const key of [VECTOR.secret, VECTOR.secret.slice("whsec_".length)]) {
      const r = await verifyWebhook(VECTOR.secret, headers(`v1,${await hmac(enc.encode(key))}`), VECTOR.body, now);
      expect(r, key).toEqual({ ok: false, reason: "bad_signature", message: "no v1 signature matches: it was keyed with the secret's text; key the HMAC with the bytes its part after whsec_ decodes to (base64)" });
    }
    const bare = await verifyWebhook(VECTOR.secret, headers(VECTOR.signature.slice(3)), VECTOR.body, now);
    expect(bare).toEqual({ ok: false, reason: "bad_signature", message: 'no v1 signature: webhook-signature holds space-separated "v1,<base64>" signatures' });
    // a signature that is simply wrong says only that
    expect(await verifyWebhook(VECTOR.secret, headers(`v1,${await hmac(enc.encode("another key"))}`), VECTOR.body, now)).toEqual({ ok: false, reason: "bad_signature", message: "no v1 signature matches" });
  });

  it("rejects malformed signatures without throwing", async () => {
    for (const sig of ["v1,", "v1,!!!", "v1", "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="]) {
      expect(await verifyWebhook(VECTOR.secret, headers(sig), VECTOR.body, now), sig).toMatchObject({ ok: false, reason: "bad_signature" });
    }
  });

  it("reports missing headers by name", async () => {
    const r = await verifyWebhook(VECTOR.secret, { "webhook-id": VECTOR.id }, VECTOR.body, now);
    expect(r).toEqual({ ok: false, reason: "missing_headers", message: "missing webhook-timestamp, webhook-signature" });
    expect(await verifyWebhook(VECTOR.secret, headers(" "), VECTOR.body, now)).toMatchObject({ reason: "missing_headers" });
  });

  it("rejects a timestamp that is not whole seconds", async () => {
    for (const ts of ["1614265330.5", "-1", "abc", "1e9"]) {
      expect(await verifyWebhook(VECTOR.secret, headers(VECTOR.signature, VECTOR.id, ts), VECTOR.body, now), ts).toMatchObject({ reason: "invalid_timestamp" });
    }
  });

  it("rejects stale and future timestamps beyond the tolerance, checked before the signature", async () => {
    const at = (t: number, tol?: number) => verifyWebhook(VECTOR.secret, headers(VECTOR.signature), VECTOR.body, t, tol);
    expect((await at(VECTOR.timestamp + 300)).ok).toBe(true);
    expect((await at(VECTOR.timestamp - 300)).ok).toBe(true);
    expect(await at(VECTOR.timestamp + 301)).toMatchObject({ ok: false, reason: "stale_timestamp" });
    expect(await at(VECTOR.timestamp - 301)).toMatchObject({ ok: false, reason: "stale_timestamp" });
    expect(await at(VECTOR.timestamp + 60, 30)).toMatchObject({ ok: false, reason: "stale_timestamp" });
  });

  it("says so when the timestamp is in milliseconds, a sender's usual slip, rather than calling it stale", async () => {
    const ms = String(VECTOR.timestamp * 1000 + 123);
    const check = await verifyWebhook(VECTOR.secret, headers(VECTOR.signature, VECTOR.id, ms), VECTOR.body, VECTOR.timestamp);
    expect(check).toMatchObject({ ok: false, reason: "invalid_timestamp" });
    expect(check.ok ? "" : check.message).toBe(`webhook-timestamp must be whole seconds since the epoch; ${ms} looks like milliseconds`);
    // far off in seconds is stale, whatever its size
    expect(await verifyWebhook(VECTOR.secret, headers(VECTOR.signature, VECTOR.id, String(VECTOR.timestamp * 10)), VECTOR.body, VECTOR.timestamp)).toMatchObject({ reason: "stale_timestamp" });
  });

  it("verifies what it signs, for any id, body and fresh timestamp (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.string({ minLength: 1 }).filter((s) => s.trim() === s && !/\s/.test(s)),
        fc.string(),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.integer({ min: -300, max: 300 }),
        async (key, id, body, ts, skew) => {
          const secret = newWebhookSecret(key);
          const sig = await signWebhook(secret, id, ts, body);
          expect(sig).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
          expect((await verifyWebhook(secret, headers(sig, id, String(ts)), body, ts + skew)).ok).toBe(true);
          expect((await verifyWebhook(secret, headers(sig, id, String(ts)), `${body}x`, ts + skew)).ok).toBe(false);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("newWebhookSecret", () => {
  it("is whsec_ and base64 of 32 random bytes", () => {
    const s = newWebhookSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretBytes(s)).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(s);
  });

  it("encodes injected bytes", () => {
    expect(newWebhookSecret(new Uint8Array([0, 1, 2]))).toBe("whsec_AAEC");
  });
});

describe("verifyWebhook with a rotation's previous secret", () => {
  const now = VECTOR.timestamp + 10;
  const current = newWebhookSecret();

  it("accepts a signature made with any secret it is given, and refuses one made with none of them", async () => {
    expect((await verifyWebhook([current, VECTOR.secret], headers(VECTOR.signature), VECTOR.body, now)).ok).toBe(true);
    const signed = await signWebhook(current, VECTOR.id, VECTOR.timestamp, VECTOR.body);
    expect((await verifyWebhook([current, VECTOR.secret], headers(signed), VECTOR.body, now)).ok).toBe(true);
    expect(await verifyWebhook([current], headers(VECTOR.signature), VECTOR.body, now)).toMatchObject({ ok: false, reason: "bad_signature" });
  });
});

describe("acceptedSecrets", () => {
  const row = { secret: "whsec_new", previous_secret: "whsec_old", previous_secret_expires_at: 1_000 };

  it("takes the previous secret until its expiry, and only the current one from then on", () => {
    expect(acceptedSecrets(row, 999)).toEqual(["whsec_new", "whsec_old"]);
    expect(previousSecretExpiry(row, 999)).toBe(1_000);
    expect(acceptedSecrets(row, 1_000)).toEqual(["whsec_new"]);
    expect(previousSecretExpiry(row, 1_000)).toBeNull();
    expect(acceptedSecrets({ ...row, previous_secret: null }, 0)).toEqual(["whsec_new"]);
    expect(acceptedSecrets({ ...row, previous_secret_expires_at: null }, 0)).toEqual(["whsec_new"]);
    expect(acceptedSecrets({ ...row, secret: null }, 0)).toEqual([]);
  });
});
