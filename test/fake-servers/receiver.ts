import { createHmac, timingSafeEqual } from "node:crypto";
import { type FakeServer, isObject, listen, sendJson } from "./listen";

interface Inbox {
  secret: string | null;
  /** Answer `status` (500 unless set) to this many deliveries first. */
  fail: number;
  status: number;
  /** Milliseconds to wait before answering. */
  delay: number;
  received: { id: string; timestamp: string; signature: string; body: string; verified: boolean; status: number; at: number }[];
}

/** Standard Webhooks verification, written apart from the Worker's so a signing bug cannot hide in both. */
export function verifies(secret: string, id: string, timestamp: string, body: string, header: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return header.split(" ").some((part) => {
    const [version, sig] = part.split(",");
    const given = Buffer.from(sig ?? "", "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * A webhook receiver with one inbox per key: `PUT /config/<key>` `{secret, fail, status, delay}` sets it up, `POST /in/<key>`
 * takes a delivery (`status`, 500 unless set, while `fail` lasts, else 204, after `delay` ms), `GET /log/<key>` lists what came, each checked against the secret.
 */
export function startReceiver(): Promise<FakeServer> {
  const inboxes = new Map<string, Inbox>();
  const inbox = (key: string) => {
    let b = inboxes.get(key);
    if (!b) inboxes.set(key, (b = { secret: null, fail: 0, status: 500, delay: 0, received: [] }));
    return b;
  };
  return listen((req, body, res) => {
    const m = /^\/(config|in|log)\/([\w-]+)$/.exec(req.url ?? "");
    if (!m) return sendJson(res, 404, { error: "no such path" });
    const [, verb, key] = m;
    const b = inbox(key);
    if (verb === "config" && req.method === "PUT") {
      const cfg: unknown = JSON.parse(body || "{}");
      if (isObject(cfg)) {
        if (typeof cfg.secret === "string") b.secret = cfg.secret;
        if (typeof cfg.fail === "number") b.fail = cfg.fail;
        if (typeof cfg.status === "number") b.status = cfg.status;
        if (typeof cfg.delay === "number") b.delay = cfg.delay;
      }
      return sendJson(res, 200, { ok: true });
    }
    if (verb === "log") return sendJson(res, 200, { received: b.received });
    if (verb === "in" && req.method === "POST") {
      const h = (name: string) => String(req.headers[name] ?? "");
      const [id, timestamp, signature] = [h("webhook-id"), h("webhook-timestamp"), h("webhook-signature")];
      const verified = !!b.secret && verifies(b.secret, id, timestamp, body, signature);
      const status = b.fail > 0 ? b.status : 204;
      if (b.fail > 0) b.fail--;
      b.received.push({ id, timestamp, signature, body, verified, status, at: Date.now() });
      return void setTimeout(() => {
        res.writeHead(status);
        res.end();
      }, b.delay);
    }
    return sendJson(res, 405, { error: "method not allowed" });
  });
}
