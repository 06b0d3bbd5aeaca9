import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { fireTrigger, loadTrigger } from "../../worker/triggers/fire";
import { signWebhook } from "../../worker/triggers/webhook-signature";
import { api, BASE, expectError, spendWindow, tokenWithRole, waitForStatus, workerFetch } from "../helpers";

const plan = {
  name: "On push",
  params: [{ name: "repo", required: true }, { name: "ref", default: "main" }],
  steps: [{ id: "review", agent: "reviewer", instructions: "Review {{params.repo}}@{{params.ref}}\n@output reviewed" }],
};

async function makeWebhook(extra: Record<string, unknown> = {}) {
  const p = await api("POST", "/plans", { body: plan });
  const res = await api("POST", "/triggers", { body: { kind: "webhook", plan_id: p.json.id, title: "Push hook", ...extra } });
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; secret: string; webhook_url: string; plan_id: string };
}

async function deliver(triggerId: string, secret: string, payload: unknown, o: { id?: string; ts?: number; sig?: string; headers?: Record<string, string> } = {}) {
  const body = payload instanceof Uint8Array ? (payload as Uint8Array<ArrayBuffer>) : typeof payload === "string" ? payload : JSON.stringify(payload);
  const id = o.id ?? `msg_${crypto.randomUUID()}`;
  const ts = o.ts ?? Math.floor(Date.now() / 1000);
  const sig = o.sig ?? (await signWebhook(secret, id, ts, body));
  const res = await workerFetch(
    new Request(`${BASE}/hooks/${triggerId}`, {
      method: "POST",
      headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": sig, ...o.headers },
      body,
    }),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null, text, id };
}

const tasksOf = async (triggerId: string) =>
  (await env.DB.prepare("SELECT id FROM tasks WHERE trigger_id = ?").bind(triggerId).all<{ id: string }>()).results;

describe("webhook triggers", () => {
  it("returns the whsec_ secret once, on creation", async () => {
    const t = await makeWebhook();
    expect(t.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(t.webhook_url).toBe(`${BASE}/hooks/${t.id}`);
    const got = await api("GET", `/triggers/${t.id}`);
    expect(got.text).not.toContain(t.secret);
    expect((await api("GET", "/triggers")).text).not.toContain(t.secret);
  });

  it("starts a task from a signed delivery: the JSON body is the plan's inputs", async () => {
    const t = await makeWebhook();
    const res = await deliver(t.id, t.secret, { repo: "acme/site", ref: "v2" });
    expect(res.status, res.text).toBe(202);
    expect(res.json).toMatchObject({ duplicate: false, webhook_id: res.id, task: { source: "webhook", trigger_id: t.id, title: "Push hook" } });
    const detail = await api("GET", `/tasks/${res.json.task_id}`);
    expect(detail.json).toMatchObject({ source: "webhook", trigger_id: t.id, inputs: { repo: "acme/site", ref: "v2" }, created_by: { type: "trigger", id: t.id, name: "Push hook" } });
  });

  it("acknowledges a repeated webhook-id and starts nothing, even concurrently", async () => {
    const t = await makeWebhook();
    const first = await deliver(t.id, t.secret, { repo: "a/b" }, { id: "msg_once" });
    expect(first.status).toBe(202);
    const again = await deliver(t.id, t.secret, { repo: "a/b" }, { id: "msg_once" });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ duplicate: true, webhook_id: "msg_once", task_id: first.json.task_id });
    const burst = await Promise.all(Array.from({ length: 8 }, () => deliver(t.id, t.secret, { repo: "c/d" }, { id: "msg_burst" })));
    expect(burst.filter((r) => r.status === 202)).toHaveLength(1);
    // the others are acknowledged as duplicates of its task, or, while it is still being handled, 409 so the sender retries
    for (const r of burst.filter((x) => x.status !== 202)) {
      if (r.status === 200) expect(r.json.task_id).toBe(burst.find((x) => x.status === 202)!.json.task_id);
      else expectError(r, 409, "conflict");
    }
    expect(await tasksOf(t.id)).toHaveLength(2);
  });

  it("acknowledges a repeated webhook-id whose task has since been deleted, and starts nothing", async () => {
    const t = await makeWebhook();
    const first = await deliver(t.id, t.secret, { repo: "a/b" }, { id: "msg_purged" });
    expect(first.status, first.text).toBe(202);
    await waitForStatus(first.json.task_id, ["completed"]);
    expect((await api("DELETE", `/tasks/${first.json.task_id}/purge`)).status).toBe(204);
    // as much later as a redelivery would take over a claim whose create was cut off
    await env.DB.prepare("UPDATE webhook_deliveries SET received_at = received_at - 120000 WHERE trigger_id = ?").bind(t.id).run();
    const again = await deliver(t.id, t.secret, { repo: "a/b" }, { id: "msg_purged" });
    expect(again.status, again.text).toBe(200);
    expect(again.json).toEqual({ duplicate: true, webhook_id: "msg_purged", task_id: first.json.task_id });
    expect(await tasksOf(t.id)).toHaveLength(0);
  });

  it("lets a redelivery take over a claim its process never finished (a restart), and only after a minute", async () => {
    const t = await makeWebhook();
    const claim = (age: number) =>
      env.DB.prepare("INSERT OR REPLACE INTO webhook_deliveries (trigger_id, webhook_id, received_at) VALUES (?, 'msg_cut', ?)").bind(t.id, Date.now() - age).run();
    await claim(5_000);
    expectError(await deliver(t.id, t.secret, { repo: "a/b" }, { id: "msg_cut" }), 409, "conflict");
    expect(await tasksOf(t.id)).toHaveLength(0);
    await claim(61_000);
    const retried = await deliver(t.id, t.secret, { repo: "a/b" }, { id: "msg_cut" });
    expect(retried.status, retried.text).toBe(202);
    expect(await deliver(t.id, t.secret, { repo: "a/b" }, { id: "msg_cut" })).toMatchObject({ status: 200, json: { duplicate: true, task_id: retried.json.task_id } });
  });

  it("refuses a bad signature, a stale or future timestamp and missing headers with 401 JSON errors", async () => {
    const t = await makeWebhook();
    const other = await makeWebhook();
    const now = Math.floor(Date.now() / 1000);
    expectError(await deliver(t.id, other.secret, { repo: "x" }), 401, "unauthorized");
    expectError(await deliver(t.id, t.secret, { repo: "x" }, { sig: "v1,AAAA" }), 401, "unauthorized");
    const signedOther = await signWebhook(t.secret, "msg_1", now, JSON.stringify({ repo: "x" }));
    expectError(await deliver(t.id, t.secret, { repo: "tampered" }, { id: "msg_1", ts: now, sig: signedOther }), 401, "unauthorized");
    const stale = await deliver(t.id, t.secret, { repo: "x" }, { ts: now - 600 });
    expectError(stale, 401, "unauthorized");
    expect(stale.json.error.details).toEqual({ reason: "stale_timestamp" });
    // RFC 9110: a 401 names a scheme, whoever refused
    expect(stale.headers.get("www-authenticate")).toBe('Bearer realm="flightdeck"');
    expectError(await deliver(t.id, t.secret, { repo: "x" }, { ts: now + 600 }), 401, "unauthorized");
    expectError(await deliver(t.id, t.secret, { repo: "x" }, { headers: { "webhook-id": "" } }), 401, "unauthorized");
    expect(await tasksOf(t.id)).toHaveLength(0);
  });

  it("checks the signature over the bytes sent: a body with a UTF-8 BOM starts its task, one not UTF-8 is 400", async () => {
    const t = await makeWebhook();
    const utf8 = new TextEncoder().encode('{"repo":"acme/café"}');
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8]);
    const res = await deliver(t.id, t.secret, withBom);
    expect(res.status, res.text).toBe(202);
    expect((await api("GET", `/tasks/${res.json.task_id}`)).json.inputs).toEqual({ repo: "acme/café", ref: "main" });
    // Latin-1 é: signed right, but no JSON text
    const latin1 = new Uint8Array([...new TextEncoder().encode('{"repo":"caf'), 0xe9, ...new TextEncoder().encode('"}')]);
    const bad = await deliver(t.id, t.secret, latin1);
    expectError(bad, 400, "bad_request");
    expect(bad.json.error.message).toContain("UTF-8");
    expect(await tasksOf(t.id)).toHaveLength(1);
  });

  it("counts only signed deliveries in the trigger's rate limit, so unsigned junk cannot lock its sender out", async () => {
    const t = await makeWebhook();
    const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`hook:${t.id}`));
    await spendWindow(limiter, Number(env.WEBHOOK_RATE_LIMIT_PER_MIN) - 1);
    for (let i = 0; i < 3; i++) expectError(await deliver(t.id, t.secret, { repo: "x" }, { sig: "v1,AAAA" }), 401, "unauthorized");
    expectError(await deliver(t.id, t.secret, { repo: "x" }, { headers: { "webhook-signature": "" } }), 401, "unauthorized");
    expect((await deliver(t.id, t.secret, { repo: "x" })).status).toBe(202);
    expectError(await deliver(t.id, t.secret, { repo: "x" }), 429, "rate_limited");
    expect(await tasksOf(t.id)).toHaveLength(1);
  });

  it("answers 404 for an unknown trigger or a cron trigger's id, 400 for a body that is not a JSON object, 422 for inputs the plan refuses", async () => {
    const t = await makeWebhook();
    expectError(await deliver("trg_nope", t.secret, {}), 404, "not_found");
    const cron = await api("POST", "/triggers", { body: { kind: "cron", plan_id: t.plan_id, cron: "0 0 1 1 *", inputs: { repo: "x" } } });
    expectError(await deliver(cron.json.id, t.secret, {}), 404, "not_found");
    // not the dashboard's page: a sender that GETs its URL (or a person who opens it) reads why
    for (const method of ["GET", "PUT"]) {
      const res = await workerFetch(new Request(`${BASE}/hooks/${t.id}`, { method }));
      expect(res.headers.get("content-type")).toContain("application/json");
      expect((await res.json() as { error: { message: string } }).error.message).toBe(`${method} is not allowed on /hooks/${t.id}: it takes POST`);
      expect([res.status, res.headers.get("allow")]).toEqual([405, "POST"]);
    }
    expectError(await deliver(t.id, t.secret, "{not json"), 400, "bad_request");
    expectError(await deliver(t.id, t.secret, [1, 2]), 400, "bad_request");
    expectError(await deliver(t.id, t.secret, '{"repo":"\\ud800"}'), 400, "bad_request");
    expect(await tasksOf(t.id)).toEqual([]);
    const refused = await deliver(t.id, t.secret, { repo: "x", unknown: 1 }, { id: "msg_retry" });
    expectError(refused, 422, "unprocessable");
    expectError(await deliver(t.id, t.secret, {}), 422, "unprocessable");
    // A refused delivery is not remembered, so the sender may retry it.
    const retry = await deliver(t.id, t.secret, { repo: "x" }, { id: "msg_retry" });
    expect(retry.status).toBe(202);
    expect((await api("GET", `/triggers/${t.id}`)).json.last_error).toBeNull();
  });

  it("with an input_map, fills params from fields of a sender's own body and ignores the rest", async () => {
    const t = await makeWebhook({ inputs: { ref: "main" }, input_map: { repo: "repository.full_name", ref: "commits.1.id" } });
    expect((await api("GET", `/triggers/${t.id}`)).json.input_map).toEqual({ repo: "repository.full_name", ref: "commits.1.id" });
    const push = { ref: "refs/heads/x", repository: { full_name: "acme/api", owner: { login: "acme" } }, commits: [{ id: "c1" }, { id: "c2" }], sender: { id: 7 } };
    const res = await deliver(t.id, t.secret, push);
    expect(res.status, res.text).toBe(202);
    expect((await api("GET", `/tasks/${res.json.task_id}`)).json.inputs).toEqual({ repo: "acme/api", ref: "c2" });
    // a field the body lacks leaves the saved input, or the param's default; a required one missing is 422
    const short = await deliver(t.id, t.secret, { repository: { full_name: "acme/web" }, commits: [] });
    expect(short.status, short.text).toBe(202);
    expect((await api("GET", `/tasks/${short.json.task_id}`)).json.inputs).toEqual({ repo: "acme/web", ref: "main" });
    expectError(await deliver(t.id, t.secret, { commits: [{ id: "a" }, { id: "b" }] }), 422, "unprocessable");
    // what the map does not take is not read: a lone surrogate or deep nesting there refuses nothing, in a mapped field it does
    const deep = JSON.stringify({ repository: { full_name: "acme/deep" }, commits: [], sender: { bio: "\ud83d" } }).replace('"\\ud83d"', `${"[".repeat(150)}"\\ud83d"${"]".repeat(150)}`);
    const ignored = await deliver(t.id, t.secret, deep);
    expect(ignored.status, ignored.text).toBe(202);
    expect((await api("GET", `/tasks/${ignored.json.task_id}`)).json.inputs).toEqual({ repo: "acme/deep", ref: "main" });
    expectError(await deliver(t.id, t.secret, '{"repository":{"full_name":"acme/\\ud83d"}}'), 400, "bad_request");
    // nor does a `__proto__` key there
    const proto = await deliver(t.id, t.secret, '{"repository":{"full_name":"acme/proto"},"commits":[],"sender":{"__proto__":{"admin":true}}}');
    expect(proto.status, proto.text).toBe(202);
    expect((await api("GET", `/tasks/${proto.json.task_id}`)).json.inputs).toEqual({ repo: "acme/proto", ref: "main" });
    // any JSON body may carry the fields, an array too
    const list = await makeWebhook({ input_map: { repo: "0.name" } });
    const fromList = await deliver(list.id, list.secret, [{ name: "acme/list" }]);
    expect(fromList.status, fromList.text).toBe(202);
    expect((await api("GET", `/tasks/${fromList.json.task_id}`)).json.inputs).toMatchObject({ repo: "acme/list" });
  });

  it("refuses an input_map naming params the plan does not have (422) or paths that are not dot paths (400), and one on a cron trigger", async () => {
    const before = (await api("GET", "/triggers")).json.items.length;
    expectError(await api("POST", "/triggers", { body: { kind: "webhook", plan_id: (await api("POST", "/plans", { body: plan })).json.id, input_map: { nope: "a.b" } } }), 422, "unprocessable");
    const p = (await api("POST", "/plans", { body: plan })).json.id;
    for (const path of ["", "a..b", "a b", ".x"]) expectError(await api("POST", "/triggers", { body: { kind: "webhook", plan_id: p, input_map: { repo: path } } }), 400, "bad_request");
    expectError(await api("POST", "/triggers", { body: { kind: "cron", plan_id: p, cron: "0 0 * * *", inputs: { repo: "x" }, input_map: { repo: "a" } } }), 400, "bad_request");
    expect((await api("GET", "/triggers")).json.items.length).toBe(before);
  });

  it("merges the trigger's saved inputs under the body's", async () => {
    const t = await makeWebhook({ inputs: { repo: "saved/repo", ref: "dev" } });
    const res = await deliver(t.id, t.secret, { ref: "hotfix" });
    const detail = await api("GET", `/tasks/${res.json.task_id}`);
    expect(detail.json.inputs).toEqual({ repo: "saved/repo", ref: "hotfix" });
  });

  it("keeps a saved input where the body's value is null, as the body lacked it (plain body, input_map field, run)", async () => {
    const t = await makeWebhook({ inputs: { repo: "saved/repo", ref: "dev" } });
    const plain = await deliver(t.id, t.secret, { repo: null, ref: null });
    expect(plain.status, plain.text).toBe(202);
    expect((await api("GET", `/tasks/${plain.json.task_id}`)).json.inputs).toEqual({ repo: "saved/repo", ref: "dev" });
    const mapped = await makeWebhook({ inputs: { ref: "dev" }, input_map: { repo: "repository.full_name", ref: "head_commit.id" } });
    const deleted = await deliver(mapped.id, mapped.secret, { repository: { full_name: "acme/api" }, head_commit: null });
    expect(deleted.status, deleted.text).toBe(202);
    expect((await api("GET", `/tasks/${deleted.json.task_id}`)).json.inputs).toEqual({ repo: "acme/api", ref: "dev" });
    const run = await api("POST", `/triggers/${t.id}/run`, { body: { inputs: { ref: null } } });
    expect(run.status, run.text).toBe(201);
    expect((await api("GET", `/tasks/${run.json.id}`)).json.inputs).toEqual({ repo: "saved/repo", ref: "dev" });
    // a null still names a param: one the plan lacks is refused
    expectError(await deliver(t.id, t.secret, { nope: null }), 422, "unprocessable");
  });

  it("after a restart, acknowledges a delivery whose task started, and starts again one whose task never did", async () => {
    const t = await makeWebhook();
    const first = await deliver(t.id, t.secret, { repo: "a/b" }, { id: "msg_made" });
    expect(first.status).toBe(202);
    // the claim's task is written in the create's own batch; then the process stopped before the answer
    await env.DB.prepare("UPDATE webhook_deliveries SET received_at = ? WHERE webhook_id = 'msg_made'").bind(Date.now() - 61_000).run();
    expect(await deliver(t.id, t.secret, { repo: "a/b" }, { id: "msg_made" })).toMatchObject({ status: 200, json: { duplicate: true, task_id: first.json.task_id } });

    const second = await deliver(t.id, t.secret, { repo: "c/d" }, { id: "msg_ghost" });
    const ghost = "tsk_ghost_hook";
    await env.DB.batch([
      env.DB.prepare("UPDATE tasks SET id = ?, index_version = 0, status = 'pending' WHERE id = ?").bind(ghost, second.json.task_id),
      env.DB.prepare("UPDATE webhook_deliveries SET task_id = ?, received_at = ? WHERE webhook_id = 'msg_ghost'").bind(ghost, Date.now() - 61_000),
    ]);
    const again = await deliver(t.id, t.secret, { repo: "c/d" }, { id: "msg_ghost" });
    expect(again.status, again.text).toBe(202);
    expect(again.json.task_id).not.toBe(ghost);
    expect(await env.DB.prepare("SELECT id FROM tasks WHERE id = ?").bind(ghost).first()).toBeNull();
  });

  it("names its latest task even when the process stopped right after the task's create, and never a task that is gone", async () => {
    const t = await makeWebhook();
    const first = await deliver(t.id, t.secret, { repo: "a/b" }, { id: "msg_first" });
    expect(first.status, first.text).toBe(202);
    await env.DB.prepare("UPDATE triggers SET last_error = 'an earlier fire failed' WHERE id = ?").bind(t.id).run();
    // D1 as a process stopped right after the create's batch leaves it: nothing more is written
    let stopped = false;
    const db = new Proxy(env.DB, {
      get(target, key) {
        if (stopped) throw new Error("the process stopped");
        const v = Reflect.get(target, key) as unknown;
        if (key === "batch") return async (s: D1PreparedStatement[]) => { const r = await target.batch(s); stopped = s.length > 2; return r; };
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    await fireTrigger({ ...env, DB: db }, (await loadTrigger(env.DB, t.id))!, { inputs: { repo: "c/d" } }).catch(() => undefined);
    const tasks = await tasksOf(t.id);
    expect(tasks).toHaveLength(2);
    const second = tasks.find((x) => x.id !== first.json.task_id)!.id;
    expect((await api("GET", `/triggers/${t.id}`)).json).toMatchObject({ last_task_id: second, last_error: null });
    // a purged task is not named: the one before it is
    await waitForStatus(second, ["completed"]);
    expect((await api("DELETE", `/tasks/${second}/purge`)).status).toBe(204);
    expect((await api("GET", `/triggers/${t.id}`)).json.last_task_id).toBe(first.json.task_id);
  });

  it("checks saved inputs against the plan when the trigger is made: unknown params and bad values 422, missing required ones left to deliveries", async () => {
    const p = await api("POST", "/plans", { body: plan });
    const make = (inputs: Record<string, unknown>) => api("POST", "/triggers", { body: { kind: "webhook", plan_id: p.json.id, inputs } });
    const unknown = await make({ topic: "x" });
    expectError(unknown, 422, "unprocessable");
    expect(unknown.json.error.details).toEqual([{ param: "topic", message: expect.stringContaining("unknown param") }]);
    expectError(await make({ repo: "x".repeat(100_001) }), 422, "unprocessable");
    expect((await make({ ref: "dev" })).status).toBe(201);
  });

  it("rotates its secret: the new one shown once, the old one still verifying for a day by default, audited", async () => {
    const t = await makeWebhook();
    const before = Date.now();
    const rotated = await api("POST", `/triggers/${t.id}/rotate-secret`);
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json).toMatchObject({ id: t.id, kind: "webhook", webhook_url: t.webhook_url });
    expect(rotated.json.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(rotated.json.secret).not.toBe(t.secret);
    const expires = Date.parse(rotated.json.previous_secret_expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 86_400_000);
    const got = await api("GET", `/triggers/${t.id}`);
    expect(got.text).not.toContain(rotated.json.secret);
    expect(got.text).not.toContain(t.secret);
    expect(got.json.previous_secret_expires_at).toBe(rotated.json.previous_secret_expires_at);
    // a sender mid-deploy still signs with the old one
    expect((await deliver(t.id, t.secret, { repo: "x" })).status).toBe(202);
    expect((await deliver(t.id, rotated.json.secret, { repo: "x" })).status).toBe(202);
    const audit = await api("GET", "/audit?action=trigger.rotate_secret&limit=1");
    expect(audit.json.items[0]).toMatchObject({ target: { id: t.id }, details: { grace_seconds: 86_400 } });
    expect(audit.text).not.toContain(rotated.json.secret);
    expectError(await api("POST", `/triggers/${t.id}/rotate-secret`, { token: await tokenWithRole("member") }), 403, "forbidden");
    expectError(await api("POST", "/triggers/trg_missing/rotate-secret"), 404, "not_found");
    // the window's end, reached without waiting a day
    await env.DB.prepare("UPDATE triggers SET previous_secret_expires_at = ? WHERE id = ?").bind(Date.now() - 1, t.id).run();
    expectError(await deliver(t.id, t.secret, { repo: "x" }), 401, "unauthorized");
    expect((await api("GET", `/triggers/${t.id}`)).json.previous_secret_expires_at).toBeNull();
    expect((await deliver(t.id, rotated.json.secret, { repo: "y" })).status).toBe(202);
  });

  it("rotates with the grace asked for: 0 refuses the old secret at once; a second rotation ends the first one's window", async () => {
    const t = await makeWebhook();
    const now = await api("POST", `/triggers/${t.id}/rotate-secret`, { body: { grace_seconds: 0 } });
    expect(now.status, now.text).toBe(200);
    expect(now.json.previous_secret_expires_at).toBeNull();
    const refused = await deliver(t.id, t.secret, { repo: "x" });
    expectError(refused, 401, "unauthorized");
    // told plainly, since only the holder of that secret could have signed it
    expect(refused.json.error.message).toContain("signed with the secret that the trigger's latest rotation replaced");
    const hour = await api("POST", `/triggers/${t.id}/rotate-secret`, { body: { grace_seconds: 3600 } });
    expect(Date.parse(hour.json.previous_secret_expires_at) - Date.now()).toBeGreaterThan(3_590_000);
    expect(Date.parse(hour.json.previous_secret_expires_at) - Date.now()).toBeLessThanOrEqual(3_600_000);
    const again = await api("POST", `/triggers/${t.id}/rotate-secret`, { body: { grace_seconds: 60 } });
    const older = await deliver(t.id, now.json.secret, { repo: "x" });
    expectError(older, 401, "unauthorized");
    expect(older.json.error.message).toBe("webhook signature refused: no v1 signature matches");
    expect((await deliver(t.id, hour.json.secret, { repo: "x" })).status).toBe(202);
    expect((await deliver(t.id, again.json.secret, { repo: "x" })).status).toBe(202);
  });

  it("expires the previous secret now when asked: only the current one verifies from then on", async () => {
    const t = await makeWebhook();
    const rotated = await api("POST", `/triggers/${t.id}/rotate-secret`, { body: { grace_seconds: 3600 } });
    expectError(await api("POST", `/triggers/${t.id}/expire-previous-secret`, { token: await tokenWithRole("member") }), 403, "forbidden");
    expect((await deliver(t.id, t.secret, { repo: "x" })).status).toBe(202);
    const expired = await api("POST", `/triggers/${t.id}/expire-previous-secret`);
    expect(expired.status, expired.text).toBe(200);
    expect(expired.json).toMatchObject({ id: t.id, previous_secret_expires_at: null });
    expect(expired.json.secret).toBeUndefined();
    const refused = await deliver(t.id, t.secret, { repo: "x" });
    expectError(refused, 401, "unauthorized");
    expect(refused.json.error.message).toContain("latest rotation replaced, no longer accepted since");
    expect((await deliver(t.id, rotated.json.secret, { repo: "x" })).status).toBe(202);
    const audit = await api("GET", "/audit?action=trigger.expire_previous_secret&limit=1");
    expect(audit.json.items[0]).toMatchObject({ target: { id: t.id } });
    const none = await api("POST", `/triggers/${t.id}/expire-previous-secret`);
    expectError(none, 409, "conflict");
    expect(none.json.error.message).toContain("no previous secret");
    expectError(await api("POST", `/triggers/${t.id}/expire-previous-secret`, { body: { now: true } }), 400, "bad_request");
    expectError(await api("POST", "/triggers/trg_missing/expire-previous-secret"), 404, "not_found");
  });

  it("refuses a bad grace, 400 naming it, and changes nothing", async () => {
    const t = await makeWebhook();
    const rotated = await api("POST", `/triggers/${t.id}/rotate-secret`, { body: { grace_seconds: 600 } });
    for (const body of [{ grace_seconds: -1 }, { grace_seconds: 1.5 }, { grace_seconds: "60" }, { grace_seconds: null }, { grace_seconds: 7 * 86_400 + 1 }, { grace: 60 }, { secret: "whsec_AAAA" }]) {
      const res = await api("POST", `/triggers/${t.id}/rotate-secret`, { body });
      expectError(res, 400, "bad_request");
      expect(res.json.error.details[0].path, JSON.stringify(body)).toBe(Object.keys(body)[0]);
    }
    const got = await api("GET", `/triggers/${t.id}`);
    expect(got.json.previous_secret_expires_at).toBe(rotated.json.previous_secret_expires_at);
    expect((await deliver(t.id, t.secret, { repo: "x" })).status).toBe(202);
    expect((await deliver(t.id, rotated.json.secret, { repo: "x" })).status).toBe(202);
    expect((await api("POST", `/triggers/${t.id}/rotate-secret`, { body: { grace_seconds: 7 * 86_400 } })).status).toBe(200);
  });

  it("changes a webhook's input_map and inputs as a create checks them; a cron schedule is not a webhook's", async () => {
    const t = await makeWebhook({ input_map: { repo: "repository.full_name" } });
    const res = await api("PATCH", `/triggers/${t.id}`, { body: { input_map: { repo: "repo.name", ref: "ref" }, inputs: { ref: "dev" } } });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ input_map: { repo: "repo.name", ref: "ref" }, inputs: { ref: "dev" }, cron: null, next_fire_at: null });
    const got = await deliver(t.id, t.secret, { repo: { name: "acme/api" } });
    expect((await api("GET", `/tasks/${got.json.task_id}`)).json.inputs).toEqual({ repo: "acme/api", ref: "dev" });
    expectError(await api("PATCH", `/triggers/${t.id}`, { body: { input_map: { nope: "a" } } }), 422, "unprocessable");
    expectError(await api("PATCH", `/triggers/${t.id}`, { body: { inputs: { topic: "x" } } }), 422, "unprocessable");
    expectError(await api("PATCH", `/triggers/${t.id}`, { body: { cron: "* * * * *" } }), 400, "bad_request");
    // null drops the map: the body itself is the inputs again
    expect((await api("PATCH", `/triggers/${t.id}`, { body: { input_map: null } })).json.input_map).toBeNull();
    const plain = await deliver(t.id, t.secret, { repo: "a/b" });
    expect((await api("GET", `/tasks/${plain.json.task_id}`)).json.inputs).toEqual({ repo: "a/b", ref: "dev" });
  });

  it("refuses deliveries while paused and after deletion", async () => {
    const t = await makeWebhook();
    await api("POST", `/triggers/${t.id}/pause`);
    expectError(await deliver(t.id, t.secret, { repo: "x" }), 409, "conflict");
    await api("POST", `/triggers/${t.id}/resume`);
    expect((await deliver(t.id, t.secret, { repo: "x" })).status).toBe(202);
    expect((await api("DELETE", `/triggers/${t.id}`)).status).toBe(204);
    expectError(await deliver(t.id, t.secret, { repo: "x" }), 404, "not_found");
  });

  it("needs no bearer token, and one does not stand in for a signature", async () => {
    const t = await makeWebhook();
    const res = await workerFetch(new Request(`${BASE}/hooks/${t.id}`, { method: "POST", headers: { authorization: "Bearer fd_test_admin_token" }, body: "{}" }));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
  });
});
