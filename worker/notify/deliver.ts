import { signWebhook } from "../triggers/webhook-signature";

export const DELIVERY_TIMEOUT_MS = 10_000;
const USER_AGENT = "Flightdeck-Webhooks/1";

export interface AttemptResult {
  ok: boolean;
  status: number | null;
  error: string | null;
  duration_ms: number;
}

/**
 * POSTs one signed message (Standard Webhooks headers). Any 2xx is delivered; anything else, a
 * redirect included (never followed), a timeout or a network error is a failure worth retrying. The error says
 * which in words a person reads in the delivery log.
 */
export async function sendSigned(url: string, secret: string, messageId: string, body: string, now = Date.now()): Promise<AttemptResult> {
  const timestamp = Math.floor(now / 1000);
  const started = Date.now();
  try {
    const res = await fetch(url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      headers: {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": messageId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signWebhook(secret, messageId, timestamp, body),
      },
      body,
    });
    await res.body?.cancel();
    const ok = res.status >= 200 && res.status < 300;
    return { ok, status: res.status, error: ok ? null : `HTTP ${res.status}`, duration_ms: Date.now() - started };
  } catch (e) {
    const error =
      e instanceof Error && e.name === "TimeoutError" ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` : `could not reach the receiver: ${e instanceof Error ? e.message : String(e)}`;
    return { ok: false, status: null, error: error.slice(0, 500), duration_ms: Date.now() - started };
  }
}
