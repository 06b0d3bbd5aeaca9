import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/context";
import { canonicalJson } from "../lib/canonical-json";
import { sha256Hex } from "../lib/crypto";
import { jsonPath } from "../lib/json-path";
import { ApiError, badRequest, conflict } from "../lib/errors";
import { delay } from "../lib/time";
import { INTERRUPTED_AFTER_MS, requestTask } from "../task/interrupted";
import { findTask } from "../db/task-queries";
import { toListItem } from "../db/task-row";
import { tieToTask } from "../task/create";
import { resourcePath } from "./created";
import type { Role } from "../db/schema";
import { requireRole } from "../lib/roles";

const TTL_MS = 24 * 3600 * 1000;
/**
 * A request whose twin holds the key reads it again after 25 ms, then at doubling gaps up to 400 ms: a twin answered
 * at once is seen at once, and one that takes seconds is not read from D1 forty times a second.
 */
const WAIT_STEP_MS = 25;
const WAIT_STEP_MAX_MS = 400;
const WAIT_MAX_MS = 10_000;
const KEY = /^[\x21-\x7e]{1,255}$/;

/** The POSTs a client may retry after a network error without doing twice what it asked once: each makes something or acts on it. */
export const IDEMPOTENT_ROUTES: readonly string[] = [
  "POST /tasks",
  "POST /tasks/{id}/rerun",
  "POST /tasks/{id}/steps/{step}/approve",
  "POST /tasks/{id}/steps/{step}/reject",
  "POST /sessions/{session_id}/respond",
  "POST /agents",
  "POST /plans",
  "POST /plans/{id}/run",
  "POST /triggers",
  "POST /triggers/{id}/run",
  "POST /triggers/{id}/rotate-secret",
  "POST /notifications/subscriptions",
  "POST /notifications/subscriptions/{id}/rotate-secret",
  "POST /chat",
  "POST /chat/{id}/messages",
  "POST /chat/{id}/run",
  "POST /chat/{id}/save",
];

/** Creates whose answer holds a secret kept only hashed, so there is no answer to replay: a key is refused rather than ignored. */
export const UNREPLAYABLE_ROUTES: readonly string[] = ["POST /tokens", "POST /orgs"];

/** `POST /tasks/{id}/rerun` as the path a Hono app mounts middleware on. */
export const honoPath = (route: string) => route.slice(route.indexOf(" ") + 1).replace(/\{(\w+)\}/g, ":$1");

interface KeyRow {
  fingerprint: string;
  owner: string;
  status: number | null;
  response: string | null;
  content_type: string | null;
  location: string | null;
  etag: string | null;
  role: Role | null;
  created_at: number;
  task_id: string | null;
}

/** What a replay answers in place of a kept body: a secret it holds may have been replaced since. */
export type Replayed = (c: Context<AppEnv>, body: string) => Promise<string>;

/** What a kept secret shows on a replay now: itself while it still signs, else null and why. */
export type SecretShown = { secret: string | null; secret_note?: string };

/**
 * A replayed create or rotation whose answer holds a signing `secret` shows it only while `shown` says it still signs:
 * a client retrying after a rotation must not set its receiver to verify with a secret that signs nothing any more.
 */
export const replayingSecret = (shown: (c: Context<AppEnv>, id: string, kept: string) => Promise<SecretShown>): Replayed => async (c, body) => {
  const kept = JSON.parse(body) as { id: string; secret: string | null };
  if (kept.secret === null) return body;
  const now = await shown(c, kept.id, kept.secret);
  return now.secret === kept.secret ? body : JSON.stringify({ ...kept, ...now });
};

/**
 * `Idempotency-Key` on a POST: the first request reserves the key with a
 * conditional insert (so concurrent duplicates cannot both run), later ones with
 * the same body (whatever its spacing or key order) get its status and body back, with another body a 422. Keys are
 * scoped to the organization and token and expire after a day. Only successes are
 * kept: a failed request releases the key so it can be retried. The create's own D1 batch ties the key to its
 * task (`tieToTask`), so after a restart a retry answers with the task that started, undoes and remakes one that
 * never did (task/interrupted.ts), and takes over a reservation a minute old with no task.
 * `replayed` reworks a kept success before it is answered again.
 */
export const idempotency = (replayed?: Replayed) => createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (c.req.method !== "POST" || key === undefined) return next();
  if (!KEY.test(key)) throw badRequest("invalid request: Idempotency-Key must be 1–255 visible ASCII characters", [{ path: jsonPath(["idempotency-key"]), message: "1–255 visible ASCII characters" }]);
  const p = c.get("principal");
  const d1 = c.env.DB;
  // the same request written with other spacing or key order is the same request; `raw` matches keys stored before that
  const sent = await c.req.text();
  // no body and `{}` are the same request on a route that takes none or an optional one
  const fingerprint = await sha256Hex(`${c.req.method} ${c.req.path}\n${canonicalJson(sent.trim() === "" ? "{}" : sent)}`);
  const raw = await sha256Hex(`${c.req.method} ${c.req.path}\n${sent}`);
  const same = (f: string) => f === fingerprint || f === raw;
  const owner = crypto.randomUUID();
  const pk = [p.org_id, p.token_id, key] as const;
  const select = d1.prepare("SELECT fingerprint, owner, status, response, content_type, location, etag, role, created_at, task_id FROM idempotency_keys WHERE org_id = ? AND token_id = ? AND key = ?").bind(...pk);

  const deadline = Date.now() + WAIT_MAX_MS;
  for (let attempt = 0; ; attempt++) {
    const now = Date.now();
    const [, read] = await d1.batch<KeyRow>([
      d1.prepare(
        `INSERT INTO idempotency_keys (org_id, token_id, key, fingerprint, owner, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (org_id, token_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, owner = excluded.owner,
           status = NULL, response = NULL, content_type = NULL, location = NULL, etag = NULL, role = NULL, created_at = excluded.created_at
         WHERE idempotency_keys.created_at < ? OR (idempotency_keys.status IS NULL AND idempotency_keys.task_id IS NULL AND idempotency_keys.created_at < ?)`,
      ).bind(...pk, fingerprint, owner, now, now - TTL_MS, now - INTERRUPTED_AFTER_MS),
      select,
    ]);
    let row: KeyRow | undefined = read.results[0];
    if (row?.owner === owner) break;
    // Someone else holds the key: wait for its result, or for it to be released.
    const abandoned = (r: KeyRow) => r.task_id !== null && r.created_at < Date.now() - INTERRUPTED_AFTER_MS;
    const waiting = (r: KeyRow | undefined): boolean => !!r && r.status == null && same(r.fingerprint) && !abandoned(r) && Date.now() < deadline;
    for (let step = WAIT_STEP_MS; waiting(row); step = Math.min(step * 2, WAIT_STEP_MAX_MS)) {
      await delay(Math.min(step, Math.max(0, deadline - Date.now())));
      row = (await select.first<KeyRow>()) ?? undefined;
    }
    if (!row) continue;
    if (!same(row.fingerprint)) {
      throw new ApiError("unprocessable", "this Idempotency-Key was already used with a different request", { idempotency_key: key });
    }
    // what the request was checked for is asked again: the token may have been demoted since
    if (row.role) requireRole(p, row.role);
    if (row.status == null && row.task_id && attempt < 2) {
      // unanswered, but its create wrote a task (in the same batch as this tie): answered with that task once its
      // object holds it; a create cut off before its start is undone, and this request makes the task
      const fate = await requestTask(c.env, p.org_id, row.task_id, row.created_at);
      if (fate === "undone") continue;
      const task = fate === "stored" ? await findTask(d1, p.org_id, row.task_id) : null;
      if (task) {
        const response = JSON.stringify(toListItem(task));
        const location = resourcePath("tasks", task.id);
        await d1.prepare("UPDATE idempotency_keys SET status = 201, response = ?, location = ? WHERE org_id = ? AND token_id = ? AND key = ? AND owner = ?").bind(response, location, ...pk, row.owner).run();
        return c.body(response, 201, { "content-type": "application/json", location, "idempotent-replayed": "true" });
      }
    }
    if (row.status == null) throw conflict("a request with this Idempotency-Key is still in progress; retry later");
    const response = replayed && row.response ? await replayed(c, row.response) : (row.response ?? "");
    return c.body(response, row.status as 200, {
      "content-type": row.content_type ?? "application/json", ...(row.location && { location: row.location }), ...(row.etag && { etag: row.etag }), "idempotent-replayed": "true",
    });
  }

  // a failure frees the key, unless its create wrote a task (then it failed starting it): a retry settles that one (requestTask)
  const release = d1.prepare("DELETE FROM idempotency_keys WHERE org_id = ? AND token_id = ? AND key = ? AND owner = ? AND task_id IS NULL").bind(...pk, owner);
  c.set("idempotentTask", tieToTask(d1, "idempotency_keys", "org_id = ?2 AND token_id = ?3 AND key = ?4 AND owner = ?5", ...pk, owner));
  try {
    await next();
  } catch (e) {
    await release.run();
    throw e;
  }
  if (c.res.status < 200 || c.res.status >= 300) {
    await release.run();
    return;
  }
  const status = c.res.status;
  const type = c.res.headers.get("content-type") ?? "application/json";
  const location = c.res.headers.get("location");
  const etag = c.res.headers.get("etag");
  const keep = (text: string) =>
    d1.batch([
      d1.prepare("UPDATE idempotency_keys SET status = ?, response = ?, content_type = ?, location = ?, etag = ?, role = ? WHERE org_id = ? AND token_id = ? AND key = ? AND owner = ?")
        .bind(status, text, type, location, etag, p.roleNeeded ?? null, ...pk, owner),
      d1.prepare("DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE created_at < ? LIMIT 20)").bind(Date.now() - TTL_MS),
    ]);
  if (type.startsWith("text/event-stream") && c.res.body) {
    // the client reads a streamed answer as it is made; the key keeps it whole once it ends, and replays it
    const [client, kept] = c.res.body.tee();
    c.res = new Response(client, c.res);
    c.executionCtx.waitUntil(new Response(kept).text().then(keep, () => release.run()));
    return;
  }
  await keep(await c.res.clone().text());
});

/** On the routes of UNREPLAYABLE_ROUTES. */
export const refuseIdempotencyKey = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method === "POST" && c.req.header("idempotency-key") !== undefined) {
    throw badRequest("Idempotency-Key is not honoured here: the answer holds a secret that is shown once and never kept, so it cannot be replayed; send the request without it");
  }
  return next();
});
