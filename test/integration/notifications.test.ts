import { abortAllDurableObjects, env, listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { RETRY_DELAYS_MS, retryDelay, MAX_ATTEMPTS } from "../../worker/notify/backoff";
import { handOver, transitionOf } from "../../worker/notify/enqueue";
import { refusedSubscriptionUrl } from "../../worker/notify/url";
import { DELIVERY_LOG_KEPT_MS, type DeliveryOutcome, logAttempt, pruneDeliveryLog } from "../../worker/notify/deliveries";
import { TIDY_MS } from "../../worker/notify/notifier";
import type { NotifyEvent } from "../../worker/notify/events";
import type { IndexRow } from "../../worker/db/task-row";
import type { TaskRunner } from "../../worker/task/runner";
import { api, createTask, expectError, makeOrg as makeBareOrg, taskStub, tokenWithRole, until } from "../helpers";

interface Received {
  id: string;
  timestamp: string;
  body: string;
  verified: boolean;
  status: number;
  at: number;
}

const DAY = 86_400_000;
const receiver = () => `http://127.0.0.1:${inject("fakeServers").receiver}`;
const inboxUrl = (key: string) => `${receiver()}/in/${key}`;
const configure = (key: string, cfg: { secret?: string; fail?: number; status?: number; delay?: number }) =>
  fetch(`${receiver()}/config/${key}`, { method: "PUT", body: JSON.stringify(cfg) }).then((r) => r.text());
const received = async (key: string): Promise<Received[]> => ((await (await fetch(`${receiver()}/log/${key}`)).json()) as { received: Received[] }).received;
const notifier = (orgId: string) => env.NOTIFIER.get(env.NOTIFIER.idFromName(orgId));
/** Runs the Notifier's alarm and waits for the sends it started. */
async function runAlarm(orgId: string): Promise<boolean> {
  const ran = await runDurableObjectAlarm(notifier(orgId));
  await notifier(orgId).settled();
  return ran;
}
/** The Notifier's alarm when it is for a send (a retry, or standing by for one in flight), not for its daily tidying. */
const sendAlarm = (orgId: string) =>
  runInDurableObject(notifier(orgId), async (_n, state) => {
    const at = await state.storage.getAlarm();
    return at != null && at < (state.storage.kv.get<number>("tidy_at") ?? Infinity) ? at : null;
  });

/** Polls until `check` passes (deliveries go out from the Notifier's alarm, in real time). */
/** An organization whose `researcher` may ask people questions. */
async function makeOrg(orgId: string) {
  const token = await makeBareOrg(orgId);
  await env.DB.prepare("UPDATE agents SET tools = '[\"ask_human\"]' WHERE org_id = ?").bind(orgId).run();
  return token;
}

/** waitForStatus for a task of another organization than the default one. */
async function waitForStatus(id: string, statuses: string[], token: string) {
  await until("waiting", () => api("GET", `/tasks/${id}`, { token }), (r) => statuses.includes(r.json?.status));
  await taskStub(id).settled();
  return (await api("GET", `/tasks/${id}`, { token })).json;
}

/** An organization of its own (so other tests' tasks notify nobody here), a subscription and a receiver inbox with its secret. */
async function setup(events: string[] = ["task.completed", "task.failed", "task.needs_input"], fail = 0) {
  const orgId = `org_ntf_${crypto.randomUUID().slice(0, 8)}`;
  const token = await makeOrg(orgId);
  const key = crypto.randomUUID();
  const sub = await api("POST", "/notifications/subscriptions", { token, body: { url: inboxUrl(key), events, description: "ops" } });
  expect(sub.status, sub.text).toBe(201);
  await configure(key, { secret: sub.json.secret, fail });
  return { orgId, token, key, sub: sub.json as { id: string; secret: string } };
}

const deliveries = async (token: string, query = "") => (await api("GET", `/notifications/deliveries${query}`, { token })).json.items as Record<string, unknown>[];

describe("subscriptions", () => {
  it("creates with the secret shown once, lists, changes, rotates and deletes (admins only)", async () => {
    const orgId = `org_ntf_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(orgId);
    const created = await api("POST", "/notifications/subscriptions", { token, body: { url: "https://hooks.example.com/fd", events: ["task.failed", "task.completed", "task.failed"] } });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ url: "https://hooks.example.com/fd", events: ["task.completed", "task.failed"], enabled: true, description: "" });
    expect(created.json.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const id = created.json.id as string;

    const list = await api("GET", "/notifications/subscriptions", { token });
    expect(list.json.items.map((s: { id: string }) => s.id)).toEqual([id]);
    expect(list.text).not.toContain(created.json.secret);
    expect((await api("GET", `/notifications/subscriptions/${id}`, { token })).text).not.toContain(created.json.secret);

    const patched = await api("PATCH", `/notifications/subscriptions/${id}`, { token, body: { enabled: false, events: ["task.needs_input"] } });
    expect(patched.json).toMatchObject({ enabled: false, events: ["task.needs_input"], url: "https://hooks.example.com/fd" });
    const rotated = await api("POST", `/notifications/subscriptions/${id}/rotate-secret`, { token });
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(created.json.secret);

    const audit = await api("GET", "/audit", { token });
    expect(audit.json.items.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(["subscription.create", "subscription.update", "subscription.rotate_secret"]));

    expect((await api("DELETE", `/notifications/subscriptions/${id}`, { token })).status).toBe(204);
    expectError(await api("GET", `/notifications/subscriptions/${id}`, { token }), 404, "not_found");
    expectError(await api("DELETE", `/notifications/subscriptions/${id}`, { token }), 404, "not_found");
  });

  it("keeps a URL's path and query out of the audit log, where they would outlive it: they may be its credential", async () => {
    const orgId = `org_ntf_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(orgId);
    const first = "https://hooks.example.com/services/T0/B0/first-secret?token=query-secret";
    const created = await api("POST", "/notifications/subscriptions", { token, body: { url: first, events: ["task.failed"] } });
    expect(created.status, created.text).toBe(201);
    const second = "https://other.example.com/in/second-secret";
    const patched = await api("PATCH", `/notifications/subscriptions/${created.json.id}`, { token, body: { url: second, description: "moved" } });
    expect(patched.status, patched.text).toBe(200);
    expect((await api("PATCH", `/notifications/subscriptions/${created.json.id}`, { token, body: { url: "https://root.example.com/" } })).status).toBe(200);
    const audit = await api("GET", `/audit?target=${created.json.id}`, { token });
    expect(audit.status, audit.text).toBe(200);
    expect(audit.text).not.toMatch(/secret|services/);
    const fingerprint = async (url: string) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(url)))].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);
    expect(audit.json.items.map((a: { action: string; details: unknown }) => [a.action, a.details])).toEqual([
      ["subscription.update", { url: "https://root.example.com", url_sha256: await fingerprint("https://root.example.com/") }],
      ["subscription.update", { url: "https://other.example.com/…", url_sha256: await fingerprint(second), description: "moved" }],
      ["subscription.create", { url: "https://hooks.example.com/…", url_sha256: await fingerprint(first) }],
    ]);
  });

  it("answers 400, 401, 403, 404 and 422 where it should", async () => {
    const { token, sub } = await setup();
    const member = await tokenWithRole("member");
    expectError(await api("POST", "/notifications/subscriptions", { token, body: { url: "https://x.example.com", events: [] } }), 400, "bad_request");
    expectError(await api("POST", "/notifications/subscriptions", { token, body: { url: "https://x.example.com", events: ["task.started"] } }), 400);
    // events sent as one string: told it must be a list, not also that the string is over the list's length
    const asString = await api("POST", "/notifications/subscriptions", { token, body: { url: "https://x.example.com", events: "task.failed,task.completed" } });
    expectError(asString, 400);
    expect(asString.json.error.details).toEqual([{ path: "events", message: "Invalid input: expected array, received string" }]);
    const notUrl = await api("POST", "/notifications/subscriptions", { token, body: { url: "not a url", events: ["task.failed"] } });
    expectError(notUrl, 400);
    expect(notUrl.json.error.details).toEqual([{ path: "url", message: "not a valid URL" }]);
    const notUrlPatch = await api("PATCH", `/notifications/subscriptions/${sub.id}`, { token, body: { url: "https://" } });
    expectError(notUrlPatch, 400);
    expect(notUrlPatch.json.error.details).toEqual([{ path: "url", message: "not a valid URL" }]);
    expectError(await api("POST", "/notifications/subscriptions", { token, body: { url: "https://x.example.com", events: ["task.failed"], extra: 1 } }), 400);
    expectError(await api("PATCH", `/notifications/subscriptions/${sub.id}`, { token, body: {} }), 400);
    expectError(await api("POST", "/notifications/subscriptions", { token, body: { url: "ftp://x.example.com/", events: ["task.failed"] } }), 422, "unprocessable");
    expectError(await api("POST", "/notifications/subscriptions", { token, body: { url: "https://user:pw@x.example.com/", events: ["task.failed"] } }), 422);
    expectError(await api("PATCH", `/notifications/subscriptions/${sub.id}`, { token, body: { url: "file:///etc/passwd" } }), 422);
    expectError(await api("GET", "/notifications/subscriptions", { token: null }), 401);
    expectError(await api("GET", "/notifications/subscriptions", { token: member }), 403, "forbidden");
    expectError(await api("POST", "/notifications/subscriptions", { token: member, body: { url: "https://x.example.com", events: ["task.failed"] } }), 403);
    expectError(await api("GET", "/notifications/deliveries", { token: member }), 403);
    // Another organization's subscription does not exist for this one.
    expectError(await api("GET", `/notifications/subscriptions/${sub.id}`), 404);
    expectError(await api("PATCH", `/notifications/subscriptions/${sub.id}`, { body: { enabled: false } }), 404);
    expectError(await api("GET", "/notifications/deliveries?cursor=zzz", { token }), 400);
  });

  it("applies http_fetch's address rules unless HTTP_FETCH_ALLOW_PRIVATE is true", () => {
    for (const url of ["http://127.0.0.1:8080/x", "http://localhost/x", "http://10.0.0.2/", "http://[::1]/", "http://printer.local/", "http://intranet/"]) {
      expect(refusedSubscriptionUrl(url, undefined), url).toBeTruthy();
      expect(refusedSubscriptionUrl(url, "true"), url).toBeUndefined();
    }
    expect(refusedSubscriptionUrl("https://hooks.example.com/a?b=c", undefined)).toBeUndefined();
    expect(refusedSubscriptionUrl("ftp://hooks.example.com/", "true")).toMatch(/http/);
  });

  it("caps an organization at 25 subscriptions (409)", async () => {
    const token = await makeOrg(`org_ntf_${crypto.randomUUID().slice(0, 8)}`);
    const body = { url: "https://hooks.example.com/x", events: ["task.failed"] };
    const results = await Promise.all(Array.from({ length: 27 }, () => api("POST", "/notifications/subscriptions", { token, body })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(25);
    expect(results.filter((r) => r.status === 409)).toHaveLength(2);
  });
});

describe("backoff", () => {
  it("waits 5 s, 1 min, 5 min, 30 min, 2 h and 6 h (±10 %), then gives up", () => {
    expect(MAX_ATTEMPTS).toBe(7);
    expect(RETRY_DELAYS_MS).toEqual([5_000, 60_000, 300_000, 1_800_000, 7_200_000, 21_600_000]);
    expect(retryDelay(1, () => 0)).toBe(4_500);
    expect(retryDelay(1, () => 1)).toBe(5_500);
    expect(retryDelay(6, () => 0.5)).toBe(21_600_000);
    expect(retryDelay(7)).toBeNull();
    expect(retryDelay(0)).toBeNull();
  });
});

describe("delivery", () => {
  it("sends one signed message per transition, verified by the receiver with the secret", async () => {
    const { token, key, orgId, sub } = await setup();
    const task = await createTask({ agent: "researcher", title: "Notify me", description: "@output all done" }, token);
    await waitForStatus(task.id, ["completed"], token);
    const got = await until("waiting", () => received(key), (r) => r.length >= 1);
    expect(got).toHaveLength(1);
    expect(got[0].verified).toBe(true);
    const body = JSON.parse(got[0].body);
    expect(body).toMatchObject({ type: "task.completed", data: { id: task.id, status: "completed", title: "Notify me", output: "all done" } });
    expect(Date.parse(body.timestamp)).toBeGreaterThan(0);
    expect(Math.abs(Number(got[0].timestamp) - Date.now() / 1000)).toBeLessThan(60);

    const log = await until("waiting", () => deliveries(token), (d) => d.length >= 1);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ subscription_id: sub.id, message_id: got[0].id, event: "task.completed", task_id: task.id, attempt: 1, outcome: "delivered", response_status: 204, error: null, next_attempt_at: null });

    // The same transition handed over again (a retried RPC) queues nothing.
    const row = await env.DB.prepare("SELECT * FROM tasks WHERE id = ?").bind(task.id).first<IndexRow>();
    await handOver(env, transitionOf(row!)!);
    expect(await notifier(orgId).pending()).toEqual([]);
    expect(await sendAlarm(orgId)).toBeNull();
    expect(await received(key)).toHaveLength(1);
  });

  it("costs an organization nobody subscribed for no call to its Notifier, and hears of a new subscription at once", async () => {
    const orgId = `org_ntf_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(orgId);
    const unheard = await createTask({ agent: "researcher", title: "Nobody listens", description: "@output x" }, token);
    await waitForStatus(unheard.id, ["completed"], token);
    // the organization's feed has read that nobody subscribed by now, and keeps it in memory
    await new Promise((r) => setTimeout(r, 100));
    const notifierId = env.NOTIFIER.idFromName(orgId);
    expect((await listDurableObjectIds(env.NOTIFIER)).some((id) => id.equals(notifierId))).toBe(false);

    const key = crypto.randomUUID();
    const sub = await api("POST", "/notifications/subscriptions", { token, body: { url: inboxUrl(key), events: ["task.completed"] } });
    expect(sub.status, sub.text).toBe(201);
    await configure(key, { secret: sub.json.secret });
    const heard = await createTask({ agent: "researcher", title: "Now someone does", description: "@output y" }, token);
    await waitForStatus(heard.id, ["completed"], token);
    const got = await until("waiting", () => received(key), (r) => r.length >= 1);
    expect(got.map((g) => JSON.parse(g.body).data.id)).toEqual([heard.id]);
  });

  it("a task asked twice notifies needs_input twice, and only the events subscribed to", async () => {
    const { token, key } = await setup(["task.needs_input"]);
    const task = await createTask({ agent: "researcher", title: "Two questions", description: "@ask First?\n@ask Second?\n@output ok" }, token);
    for (let i = 0; i < 2; i++) {
      const waiting = await waitForStatus(task.id, ["needs_input"], token);
      await until("waiting", () => received(key), (r) => r.length >= i + 1);
      const res = await api("POST", `/sessions/${waiting.session_id}/respond`, { token, body: { call_id: waiting.pending[0].call_id, answers: [`answer ${i}`] } });
      expect(res.status, res.text).toBe(200);
      await until("waiting", () => api("GET", `/tasks/${task.id}`, { token }), (r) => r.json.pending.every((p: { call_id: string }) => p.call_id !== waiting.pending[0].call_id));
    }
    await waitForStatus(task.id, ["completed"], token);
    await taskStub(task.id).settled();
    const got = await received(key);
    expect(got.map((g) => JSON.parse(g.body).type)).toEqual(["task.needs_input", "task.needs_input"]);
    expect(new Set(got.map((g) => g.id)).size).toBe(2);
    expect(got.every((g) => g.verified)).toBe(true);
    expect(JSON.parse(got[0].body).data.pending[0]).toMatchObject({ kind: "question", question: "First?" });
  });

  it("retries after a 500 with backoff, stepping the alarm, with the same webhook-id, and logs each attempt", async () => {
    const { token, key, orgId } = await setup(["task.failed"], 1);
    const task = await createTask({ agent: "researcher", title: "Breaks", description: "@fail permanent" }, token);
    await waitForStatus(task.id, ["failed"], token);
    await until("waiting", () => received(key), (r) => r.length >= 1);
    const first = await until("waiting", () => deliveries(token), (d) => d.length >= 1);
    expect(first[0]).toMatchObject({ attempt: 1, outcome: "retrying", response_status: 500, error: "HTTP 500", event: "task.failed" });
    const wait = Date.parse(first[0].next_attempt_at as string) - Date.parse(first[0].created_at as string);
    expect(wait).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[0] * 0.9);
    expect(wait).toBeLessThanOrEqual(RETRY_DELAYS_MS[0] * 1.1);
    const queued = await notifier(orgId).pending();
    expect(queued).toEqual([expect.objectContaining({ attempts: 1 })]);

    expect(await runAlarm(orgId)).toBe(true);
    const got = await received(key);
    expect(got.map((g) => g.status)).toEqual([500, 204]);
    expect(got[0].id).toBe(got[1].id);
    expect(got.every((g) => g.verified)).toBe(true);
    const log = await deliveries(token);
    expect(log.map((d) => [d.attempt, d.outcome])).toEqual([[2, "delivered"], [1, "retrying"]]);
    expect(await notifier(orgId).pending()).toEqual([]);
  });

  it("sends a signed webhook.test message on request, enabled or not, answering what the receiver did and changing nothing", async () => {
    const { token, key, sub, orgId } = await setup(["task.completed"]);
    const sent = await api("POST", `/notifications/subscriptions/${sub.id}/test`, { token });
    expect(sent.status, sent.text).toBe(200);
    expect(sent.json).toMatchObject({ message_id: expect.stringMatching(/^msg_/), delivered: true, response_status: 204, error: null });
    const [got] = await received(key);
    expect(got).toMatchObject({ id: sent.json.message_id, verified: true });
    expect(JSON.parse(got.body)).toEqual({ type: "webhook.test", timestamp: expect.any(String), data: { subscription_id: sub.id } });

    // disabled, and a receiver that answers 410: reported, and the subscription stays as it was
    await api("PATCH", `/notifications/subscriptions/${sub.id}`, { token, body: { enabled: false } });
    await configure(key, { fail: 1, status: 410 });
    const gone = await api("POST", `/notifications/subscriptions/${sub.id}/test`, { token });
    expect(gone.json).toMatchObject({ delivered: false, response_status: 410, error: "HTTP 410" });
    expect(await received(key)).toHaveLength(2);
    await api("PATCH", `/notifications/subscriptions/${sub.id}`, { token, body: { enabled: true } });
    expect((await api("GET", `/notifications/subscriptions/${sub.id}`, { token })).json.enabled).toBe(true);
    expect(await deliveries(token)).toEqual([]);
    expect(await notifier(orgId).pending()).toEqual([]);

    expectError(await api("POST", `/notifications/subscriptions/${sub.id}/test`, { token: await tokenWithRole("member", orgId) }), 403);
    expectError(await api("POST", "/notifications/subscriptions/sub_missing/test", { token }), 404, "not_found");
    expectError(await api("POST", `/notifications/subscriptions/${sub.id}/test`), 404);
    expectError(await api("POST", `/notifications/subscriptions/${sub.id}/test`, { token, body: { event: "task.failed" } }), 400);
  });

  it("logs a receiver that cannot be reached as such, and retries it", async () => {
    const orgId = `org_ntf_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(orgId);
    // nothing listens on port 1
    expect((await api("POST", "/notifications/subscriptions", { token, body: { url: "http://127.0.0.1:1/hook", events: ["task.completed"] } })).status).toBe(201);
    const task = await createTask({ agent: "researcher", title: "Unreachable", description: "@output x" }, token);
    await waitForStatus(task.id, ["completed"], token);
    const [d] = await until("waiting", () => deliveries(token), (l) => l.length >= 1);
    expect(d).toMatchObject({ attempt: 1, outcome: "retrying", response_status: null });
    expect(d.error).toMatch(/^could not reach the receiver: \S/);
    expect(d.error).not.toMatch(/Error: /);
  });

  it("gives up after 7 attempts against a receiver that keeps failing", async () => {
    const { token, key, orgId } = await setup(["task.completed"], 1000);
    const task = await createTask({ agent: "researcher", title: "Nobody listens", description: "@output x" }, token);
    await waitForStatus(task.id, ["completed"], token);
    await until("waiting", () => received(key), (r) => r.length >= 1);
    for (let i = 0; i < 10 && (await notifier(orgId).pending()).length; i++) await runAlarm(orgId);
    const got = await received(key);
    expect(got).toHaveLength(MAX_ATTEMPTS);
    expect(new Set(got.map((g) => g.id)).size).toBe(1);
    const log = await deliveries(token);
    expect(log.map((d) => d.attempt)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(log[0]).toMatchObject({ outcome: "failed", next_attempt_at: null });
    expect(log.slice(1).every((d) => d.outcome === "retrying")).toBe(true);
    for (let n = 1; n < MAX_ATTEMPTS; n++) {
      const d = log[MAX_ATTEMPTS - n];
      const wait = Date.parse(d.next_attempt_at as string) - Date.parse(d.created_at as string);
      expect(wait, `after attempt ${n}`).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[n - 1] * 0.9);
      expect(wait, `after attempt ${n}`).toBeLessThanOrEqual(RETRY_DELAYS_MS[n - 1] * 1.1);
    }
    expect(await sendAlarm(orgId)).toBeNull();
  });

  it("stops at once and disables the subscription when the receiver answers 410 Gone", async () => {
    const { token, key, sub, orgId } = await setup(["task.completed"], 1000);
    await configure(key, { status: 410 });
    const task = await createTask({ agent: "researcher", title: "Gone", description: "@output x" }, token);
    await waitForStatus(task.id, ["completed"], token);
    const log = await until("waiting", () => deliveries(token), (d) => d.length >= 1);
    expect(log).toEqual([expect.objectContaining({ attempt: 1, outcome: "failed", response_status: 410, next_attempt_at: null })]);
    expect(log[0].error).toMatch(/410.*disabled/);
    expect(await notifier(orgId).pending()).toEqual([]);
    expect((await api("GET", `/notifications/subscriptions/${sub.id}`, { token })).json.enabled).toBe(false);
    // In the audit log like a person's disable, by the system.
    const audit = await api("GET", "/audit?action=subscription.update", { token });
    expect(audit.status, audit.text).toBe(200);
    expect(audit.json.items).toEqual([
      expect.objectContaining({ actor: { type: "system", id: "notifier", name: "webhook delivery" }, target: { type: "subscription", id: sub.id }, details: { enabled: false, reason: "the receiver answered 410 Gone" } }),
    ]);

    // Disabled: the next transition is not sent, nor queued.
    const after = await createTask({ agent: "researcher", title: "After", description: "@output x" }, token);
    await waitForStatus(after.id, ["completed"], token);
    await taskStub(after.id).settled();
    await runAlarm(orgId);
    expect(await received(key)).toHaveLength(1);
    expect(await deliveries(token)).toHaveLength(1);
  });

  it("drops what else waits for a receiver that answered 410 Gone at once, logging the drop", async () => {
    const { token, key, orgId } = await setup(["task.completed"], 1);
    const first = await createTask({ agent: "researcher", title: "Retrying", description: "@output x" }, token);
    await waitForStatus(first.id, ["completed"], token);
    await until("waiting", () => deliveries(token), (d) => d.length >= 1);
    await configure(key, { status: 410, fail: 1000 });
    const second = await createTask({ agent: "researcher", title: "Gone", description: "@output x" }, token);
    await waitForStatus(second.id, ["completed"], token);
    await until("waiting", () => deliveries(token), (d) => d.some((x) => x.response_status === 410));
    await notifier(orgId).settled();
    // well before the first message's retry (5 s) would have come
    expect(await notifier(orgId).pending()).toEqual([]);
    expect(await received(key)).toHaveLength(2);
    expect((await deliveries(token, `?task_id=${first.id}`)).map((d) => [d.attempt, d.outcome, d.error])).toEqual([
      [2, "failed", "dropped: the subscription is disabled"],
      [1, "retrying", "HTTP 500"],
    ]);
  });

  it("sends nothing to a disabled subscription, and drops what was queued once it is disabled, logging the drop", async () => {
    const { token, key, sub, orgId } = await setup(["task.completed"], 1);
    await api("PATCH", `/notifications/subscriptions/${sub.id}`, { token, body: { enabled: false } });
    const quiet = await createTask({ agent: "researcher", title: "Quiet", description: "@output x" }, token);
    await waitForStatus(quiet.id, ["completed"], token);
    await taskStub(quiet.id).settled();
    await runAlarm(orgId);
    expect(await received(key)).toHaveLength(0);

    await api("PATCH", `/notifications/subscriptions/${sub.id}`, { token, body: { enabled: true } });
    const loud = await createTask({ agent: "researcher", title: "Loud", description: "@output x" }, token);
    await waitForStatus(loud.id, ["completed"], token);
    await until("waiting", () => received(key), (r) => r.length >= 1);
    expect((await notifier(orgId).pending()).length).toBe(1);
    await api("PATCH", `/notifications/subscriptions/${sub.id}`, { token, body: { enabled: false } });
    await runAlarm(orgId);
    expect(await notifier(orgId).pending()).toEqual([]);
    expect(await received(key)).toHaveLength(1);
    const log = await deliveries(token, `?task_id=${loud.id}`);
    expect(log.map((d) => [d.attempt, d.outcome, d.error, d.next_attempt_at])).toEqual([
      [2, "failed", "dropped: the subscription is disabled", null],
      [1, "retrying", "HTTP 500", expect.any(String)],
    ]);
  });

  it("disabled while sends are in flight: what waits behind them is dropped at once, and they end failed, with no retry promised", async () => {
    const { token, key, sub, orgId } = await setup(["task.completed"], 1000);
    await configure(key, { delay: 3000 });
    const tasks = await Promise.all(Array.from({ length: 5 }, (_, i) => createTask({ agent: "researcher", title: `Busy ${i}`, description: "@output x" }, token)));
    for (const t of tasks) await waitForStatus(t.id, ["completed"], token);
    // three sends on their way to the slow receiver, two waiting behind them
    await until("sends in flight", () => received(key), (r) => r.length >= 3);
    expect((await api("PATCH", `/notifications/subscriptions/${sub.id}`, { token, body: { enabled: false } })).status).toBe(200);
    const early = await until("the waiting two dropped", () => deliveries(token), (d) => d.length >= 2, 2_000);
    expect(early.map((d) => [d.attempt, d.outcome, d.error])).toEqual([
      [0, "dropped", "dropped: the subscription is disabled"],
      [0, "dropped", "dropped: the subscription is disabled"],
    ]);
    await notifier(orgId).settled();
    expect(await notifier(orgId).pending()).toEqual([]);
    const all = await deliveries(token);
    expect(all).toHaveLength(5);
    expect(all.filter((d) => d.attempt === 1).map((d) => [d.outcome, d.error, d.next_attempt_at])).toEqual(
      Array(3).fill(["failed", "HTTP 500; dropped: the subscription is disabled", null]),
    );
    expect(await received(key)).toHaveLength(3);
  });

  it("drops a disabled subscription's queued messages at once; enabled again, it gets what happens from then on", async () => {
    const { token, key, sub, orgId } = await setup(["task.completed"], 1);
    const missed = await createTask({ agent: "researcher", title: "Missed", description: "@output x" }, token);
    await waitForStatus(missed.id, ["completed"], token);
    await until("waiting", () => deliveries(token), (d) => d.length >= 1);
    expect(await notifier(orgId).pending()).toHaveLength(1);

    expect((await api("PATCH", `/notifications/subscriptions/${sub.id}`, { token, body: { enabled: false } })).status).toBe(200);
    await notifier(orgId).settled();
    expect(await notifier(orgId).pending()).toEqual([]);
    expect((await deliveries(token)).map((d) => [d.attempt, d.outcome, d.error, d.next_attempt_at])).toEqual([
      [2, "failed", "dropped: the subscription is disabled", null],
      [1, "retrying", "HTTP 500", expect.any(String)],
    ]);

    expect((await api("PATCH", `/notifications/subscriptions/${sub.id}`, { token, body: { enabled: true } })).status).toBe(200);
    const next = await createTask({ agent: "researcher", title: "Next", description: "@output x" }, token);
    await waitForStatus(next.id, ["completed"], token);
    const got = await until("waiting", () => received(key), (r) => r.length >= 2);
    expect(got.map((g) => JSON.parse(g.body).data.id)).toEqual([missed.id, next.id]);
    await runAlarm(orgId);
    expect(await received(key)).toHaveLength(2);
  });

  it("drops at once a queued message for an event its subscription no longer wants, logging the drop", async () => {
    const { token, key, sub, orgId } = await setup(["task.completed", "task.failed"], 1);
    const task = await createTask({ agent: "researcher", title: "Unwanted now", description: "@output x" }, token);
    await waitForStatus(task.id, ["completed"], token);
    await until("waiting", () => deliveries(token), (d) => d.length >= 1);
    expect(await notifier(orgId).pending()).toHaveLength(1);

    expect((await api("PATCH", `/notifications/subscriptions/${sub.id}`, { token, body: { events: ["task.failed"] } })).status).toBe(200);
    await notifier(orgId).settled();
    expect(await notifier(orgId).pending()).toEqual([]);
    await runAlarm(orgId);
    expect(await received(key)).toHaveLength(1);
    expect((await deliveries(token)).map((d) => [d.attempt, d.outcome, d.error, d.next_attempt_at])).toEqual([
      [2, "failed", "dropped: the subscription no longer wants task.completed", null],
      [1, "retrying", "HTTP 500", expect.any(String)],
    ]);
  });

  it("checks the subscription's events at send time, even when the Notifier was not told of the change", async () => {
    const { token, key, sub, orgId } = await setup(["task.completed", "task.failed"], 1);
    const task = await createTask({ agent: "researcher", title: "Untold", description: "@output x" }, token);
    await waitForStatus(task.id, ["completed"], token);
    await until("waiting", () => deliveries(token), (d) => d.length >= 1);
    await env.DB.prepare("UPDATE notification_subscriptions SET events = '[\"task.failed\"]' WHERE id = ?").bind(sub.id).run();
    expect(await runAlarm(orgId)).toBe(true);
    expect(await notifier(orgId).pending()).toEqual([]);
    expect(await received(key)).toHaveLength(1);
    expect((await deliveries(token))[0]).toMatchObject({ attempt: 2, outcome: "failed", error: "dropped: the subscription no longer wants task.completed" });
  });

  it("sends a retry to the subscription's current URL, signed with its current secret", async () => {
    const { token, key, sub, orgId } = await setup(["task.completed"], 1);
    const task = await createTask({ agent: "researcher", title: "Moved", description: "@output x" }, token);
    await waitForStatus(task.id, ["completed"], token);
    await until("waiting", () => deliveries(token), (d) => d.length >= 1);
    const movedKey = crypto.randomUUID();
    expect((await api("PATCH", `/notifications/subscriptions/${sub.id}`, { token, body: { url: inboxUrl(movedKey) } })).status).toBe(200);
    const rotated = await api("POST", `/notifications/subscriptions/${sub.id}/rotate-secret`, { token });
    await configure(movedKey, { secret: rotated.json.secret });
    expect(await runAlarm(orgId)).toBe(true);
    const [first] = await received(key);
    const moved = await received(movedKey);
    expect(moved).toEqual([expect.objectContaining({ id: first.id, verified: true, status: 204 })]);
    expect((await deliveries(token)).map((d) => [d.attempt, d.outcome])).toEqual([[2, "delivered"], [1, "retrying"]]);
  });

  it("logs a retrying message whose subscription was deleted as failed, at once", async () => {
    const { token, key, sub, orgId } = await setup(["task.completed"], 1);
    const task = await createTask({ agent: "researcher", title: "Orphan", description: "@output x" }, token);
    await waitForStatus(task.id, ["completed"], token);
    await until("waiting", () => deliveries(token), (d) => d.length >= 1);
    expect((await api("DELETE", `/notifications/subscriptions/${sub.id}`, { token })).status).toBe(204);
    await runAlarm(orgId);
    expect(await notifier(orgId).pending()).toEqual([]);
    expect(await received(key)).toHaveLength(1);
    expect((await deliveries(token)).map((d) => [d.attempt, d.outcome, d.error])).toEqual([
      [2, "failed", "dropped: the subscription was deleted"],
      [1, "retrying", "HTTP 500"],
    ]);
  });

  it.each([
    ["deleted", "was deleted", (token: string, id: string) => api("DELETE", `/notifications/subscriptions/${id}`, { token })],
    ["disabled", "is disabled", (token: string, id: string) => api("PATCH", `/notifications/subscriptions/${id}`, { token, body: { enabled: false } })],
    ["no longer wanting the event", "no longer wants task.completed", (token: string, id: string) => api("PATCH", `/notifications/subscriptions/${id}`, { token, body: { events: ["task.failed"] } })],
  ])("logs a message dropped before its first attempt, its subscription %s, as dropped (attempt 0)", async (_, why, change) => {
    const { token, key, sub, orgId } = await setup(["task.completed", "task.failed"]);
    // queued behind others (not yet tried), as a message waits while its subscription has three in flight
    const messageId = `msg_${crypto.randomUUID()}`;
    await runInDurableObject(notifier(orgId), (_n, state) => {
      state.storage.sql.exec(
        "INSERT INTO outbox (message_id, org_id, subscription_id, event_type, task_id, payload, attempts, next_at, created_at) VALUES (?, ?, ?, 'task.completed', 'task_waiting', '{}', 0, ?, ?)",
        messageId, orgId, sub.id, Date.now() + DAY, Date.now(),
      );
    });
    expect((await change(token, sub.id)).status).toBeLessThan(300);
    await until("waiting", () => deliveries(token), (d) => d.length >= 1);
    expect(await notifier(orgId).pending()).toEqual([]);
    expect(await received(key)).toHaveLength(0);
    const dropped = { subscription_id: sub.id, message_id: messageId, task_id: "task_waiting", event: "task.completed", attempt: 0, outcome: "dropped", response_status: null, error: `dropped: the subscription ${why}`, next_attempt_at: null };
    expect(await deliveries(token)).toEqual([expect.objectContaining(dropped)]);
    expect(await deliveries(token, "?outcome=dropped")).toEqual([expect.objectContaining(dropped)]);
    expect(await deliveries(token, "?outcome=failed")).toEqual([]);
  });

  it("does not hold one subscription's deliveries behind another's slow receiver", async () => {
    const { token, key, orgId } = await setup(["task.completed"]);
    const slowKey = crypto.randomUUID();
    const slow = await api("POST", "/notifications/subscriptions", { token, body: { url: inboxUrl(slowKey), events: ["task.completed"] } });
    await configure(slowKey, { secret: slow.json.secret, delay: 4_000 });
    const first = await createTask({ agent: "researcher", title: "First", description: "@output x" }, token);
    await waitForStatus(first.id, ["completed"], token);
    await until("waiting", () => received(slowKey), (r) => r.length >= 1);
    await until("waiting", () => received(key), (r) => r.length >= 1);

    // the slow receiver still holds its first message: the next transition reaches the other one at once
    const second = await createTask({ agent: "researcher", title: "Second", description: "@output x" }, token);
    await waitForStatus(second.id, ["completed"], token);
    const finished = Date.now();
    const got = await until("waiting", () => received(key), (r) => r.length >= 2);
    expect(JSON.parse(got[1].body).data.id).toBe(second.id);
    expect(got[1].at - finished).toBeLessThan(2_000);
    const all = await until("waiting", () => received(slowKey), (r) => r.length >= 2, 15_000);
    expect(all.map((g) => JSON.parse(g.body).data.id).sort()).toEqual([first.id, second.id].sort());
    await notifier(orgId).settled();
    expect((await deliveries(token)).filter((d) => d.outcome === "delivered")).toHaveLength(4);
  });

  it("sends a transition whose hand-over a stopped process lost, once, when the queue's sweep finds the task", async () => {
    const { token, key, orgId } = await setup(["task.completed", "task.needs_input"]);
    // The process stops once the task's row is written, before its transitions reach the Notifier.
    const loseHandOver = (id: string) =>
      runInDurableObject(taskStub(id), (instance) => {
        const sync = (instance as unknown as TaskRunner).sync as unknown as { env: typeof env };
        const real = sync.env.ORG_FEED;
        const feed = () => real.get(real.idFromName(orgId));
        const writeIndex = (update: never, started: never, transitions: unknown[] = []) =>
          feed().writeIndex(update, started, []).then(() => (transitions.length ? new Promise(() => {}) : undefined));
        Object.defineProperty(sync, "env", { value: { ...sync.env, ORG_FEED: { get: () => ({ writeIndex, publish: () => Promise.resolve(0) }), idFromName: (n: string) => n } } });
      });
    const done = await createTask({ agent: "researcher", title: "Lost at the end", description: "@delay 300\n@output done" }, token);
    await loseHandOver(done.id);
    const asking = await createTask({ agent: "researcher", title: "Lost while asking", description: "@delay 300\n@ask Go on?\n@output done" }, token);
    await loseHandOver(asking.id);
    expect(await taskStub(done.id).waitForResult(5_000)).toBe("completed");
    await until("waiting", () => env.DB.prepare("SELECT status FROM tasks WHERE id = ?").bind(asking.id).first<{ status: string }>(), (r) => r?.status === "needs_input");
    await until("waiting", () => env.DB.prepare("SELECT status FROM tasks WHERE id = ?").bind(done.id).first<{ status: string }>(), (r) => r?.status === "completed");
    await new Promise((r) => setTimeout(r, 200));
    expect(await received(key)).toEqual([]);

    await abortAllDurableObjects();
    const queue = env.ORG_QUEUE.get(env.ORG_QUEUE.idFromName(orgId));
    await runInDurableObject(queue, (_q, state) => void state.storage.sql.exec("UPDATE slots SET admitted_at = 0"));
    expect(await runDurableObjectAlarm(queue)).toBe(true);
    const got = await until("waiting", () => received(key), (r) => r.length >= 2);
    expect(got.map((g) => [JSON.parse(g.body).type, JSON.parse(g.body).data.id]).sort()).toEqual([["task.completed", done.id], ["task.needs_input", asking.id]].sort());
    expect(got.every((g) => g.verified)).toBe(true);
    expect((await queue.snapshot()).running).toEqual([asking.id]);

    // the next sweep finds nothing owed: nothing is sent twice
    await runInDurableObject(queue, (_q, state) => void state.storage.sql.exec("UPDATE slots SET admitted_at = 0"));
    await runDurableObjectAlarm(queue);
    await notifier(orgId).settled();
    expect(await received(key)).toHaveLength(2);
    for (const id of [done.id, asking.id]) expect(await runInDurableObject(taskStub(id), (_o, state) => state.storage.kv.get("owed_notifications"))).toBeUndefined();
  });

  it("pages the delivery log and filters it by subscription and task", async () => {
    const { token, key, sub } = await setup(["task.completed"]);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const t = await createTask({ agent: "researcher", title: `Logged ${i}`, description: "@output x" }, token);
      await waitForStatus(t.id, ["completed"], token);
      ids.push(t.id);
    }
    await until("waiting", () => received(key), (r) => r.length >= 3);
    await until("waiting", () => deliveries(token), (d) => d.length >= 3);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { json: { items: { task_id: string }[]; next_cursor: string | null } } = await api("GET", `/notifications/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token });
      seen.push(...page.json.items.map((d) => d.task_id));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await deliveries(token, `?task_id=${ids[1]}`)).map((d) => d.task_id)).toEqual([ids[1]]);
    expect(await deliveries(token, `?subscription_id=${sub.id}`)).toHaveLength(3);
    expect(await deliveries(token, "?subscription_id=sub_other")).toHaveLength(0);
  });
  it("filters the delivery log by outcome and event, pages under a filter and refuses unknown values", async () => {
    const orgId = `org_ntf_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(orgId);
    const rows: [NotifyEvent, DeliveryOutcome][] = [
      ["task.completed", "delivered"], ["task.failed", "retrying"], ["task.completed", "failed"], ["task.failed", "delivered"],
      ["task.needs_input", "delivered"], ["task.completed", "delivered"], ["task.failed", "failed"],
    ];
    for (const [i, [event_type, outcome]] of rows.entries()) {
      await logAttempt(env.DB, {
        org_id: orgId, subscription_id: "sub_x", message_id: `msg_${orgId}_${i}`, event_type, task_id: `task_${i}`, attempt: 1, outcome,
        response_status: outcome === "delivered" ? 204 : 500, error: null, duration_ms: 1, next_attempt_at: null, created_at: Date.now(),
      });
    }
    const pages = async (query: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; text: string; json: { items: { task_id: string }[]; next_cursor: string | null } } = await api("GET", `/notifications/deliveries?limit=2&${query}${cursor ? `&cursor=${cursor}` : ""}`, { token });
        expect(page.status, page.text).toBe(200);
        seen.push(...page.json.items.map((d) => d.task_id));
        cursor = page.json.next_cursor;
      } while (cursor);
      return seen;
    };
    expect(await pages("outcome=delivered")).toEqual(["task_5", "task_4", "task_3", "task_0"]);
    expect(await pages("outcome=failed")).toEqual(["task_6", "task_2"]);
    expect(await pages("event=task.failed")).toEqual(["task_6", "task_3", "task_1"]);
    expect(await pages("event=task.completed&outcome=delivered")).toEqual(["task_5", "task_0"]);
    expect(await pages("event=task.needs_input&outcome=retrying")).toEqual([]);

    for (const [query, path] of [["outcome=lost", "outcome"], ["outcome=", "outcome"], ["event=task.started", "event"], ["event=task.failed,task.completed", "event"]]) {
      const res = await api("GET", `/notifications/deliveries?${query}`, { token });
      expectError(res, 400, "bad_request");
      expect(res.json.error.details.map((d: { path: string }) => d.path), query).toEqual([path]);
    }
  });

  it("numbers its attempts per organization, so their ids and cursors say nothing of another organization's activity", async () => {
    const quiet = `org_ntf_${crypto.randomUUID().slice(0, 8)}`;
    const busy = `org_ntf_${crypto.randomUUID().slice(0, 8)}`;
    const quietToken = await makeOrg(quiet);
    const busyToken = await makeOrg(busy);
    const log = (org_id: string, i: number, outcome: DeliveryOutcome = "delivered") =>
      logAttempt(env.DB, {
        org_id, subscription_id: "sub_x", message_id: `msg_${org_id}_${i}`, event_type: "task.completed", task_id: `task_${i}`, attempt: 1, outcome,
        response_status: outcome === "delivered" ? 204 : 500, error: null, duration_ms: 1, next_attempt_at: null, created_at: Date.now(),
      });
    // the two organizations' deliveries interleave, the busy one's many between the quiet one's
    await log(quiet, 0);
    await log(busy, 0);
    for (let i = 1; i < 5; i++) await log(busy, i, i % 2 ? "failed" : "delivered");
    await log(quiet, 1, "failed");
    await log(busy, 5);
    await log(quiet, 2);
    // an attempt logged twice (an alarm that ran twice) is logged once and takes no number
    await log(quiet, 2);
    await log(busy, 6);
    await log(quiet, 3, "failed");
    const ids = async (token: string, query = "") => (await deliveries(token, `?limit=100${query}`)).map((d) => [d.id, d.task_id]);
    expect(await ids(quietToken)).toEqual([["d4", "task_3"], ["d3", "task_2"], ["d2", "task_1"], ["d1", "task_0"]]);
    expect((await ids(busyToken)).map(([id]) => id)).toEqual(["d7", "d6", "d5", "d4", "d3", "d2", "d1"]);
    expect(await ids(quietToken, "&outcome=failed")).toEqual([["d4", "task_3"], ["d2", "task_1"]]);

    // the cursors are the organization's own numbers, and page through its log only
    const pages = async (token: string, query = "") => {
      const seen: [string, string | null][] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; text: string; json: { items: { id: string }[]; next_cursor: string | null } } = await api("GET", `/notifications/deliveries?limit=1${query}${cursor ? `&cursor=${cursor}` : ""}`, { token });
        expect(page.status, page.text).toBe(200);
        cursor = page.json.next_cursor;
        seen.push(...page.json.items.map((d): [string, string | null] => [d.id, cursor]));
      } while (cursor);
      return seen;
    };
    expect(await pages(quietToken)).toEqual([["d4", "d4"], ["d3", "d3"], ["d2", "d2"], ["d1", null]]);
    expect(await pages(busyToken, "&outcome=failed")).toEqual([["d4", "d4"], ["d2", null]]);
    expect((await api("GET", "/notifications/deliveries?cursor=d3", { token: quietToken })).json.items.map((d: { id: string }) => d.id)).toEqual(["d2", "d1"]);
  });
});

describe("what the Notifier keeps", () => {
  it("lists only the attempts of the last 30 days (or of a shorter retention period), before the daily alarm has pruned older ones", async () => {
    const { token, sub, orgId } = await setup(["task.completed"]);
    const now = Date.now();
    const logged = (org: string, message_id: string, age: number) =>
      logAttempt(env.DB, {
        org_id: org, subscription_id: sub.id, message_id, event_type: "task.completed", task_id: "task_aged", attempt: 1, outcome: "delivered",
        response_status: 204, error: null, duration_ms: 1, next_attempt_at: null, created_at: now - age,
      });
    await logged(orgId, `msg_${crypto.randomUUID()}`, DELIVERY_LOG_KEPT_MS + DAY);
    const month = `msg_${crypto.randomUUID()}`;
    await logged(orgId, month, DELIVERY_LOG_KEPT_MS - DAY);
    const week = `msg_${crypto.randomUUID()}`;
    await logged(orgId, week, 6 * DAY);
    expect((await deliveries(token)).map((d) => d.message_id)).toEqual([week, month]);
    expect((await api("PATCH", "/settings", { token, body: { retention_days: 7 } })).status).toBe(200);
    expect((await deliveries(token, "?outcome=delivered")).map((d) => d.message_id)).toEqual([week]);
  });

  it("deletes attempts older than 30 days (or a shorter retention period) from the delivery log and forgets week-old transitions, on its daily alarm", async () => {
    const { token, key, orgId, sub } = await setup(["task.completed"]);
    const task = await createTask({ agent: "researcher", title: "Kept a while", description: "@output x" }, token);
    await waitForStatus(task.id, ["completed"], token);
    await until("waiting", () => received(key), (r) => r.length >= 1);
    await until("waiting", () => deliveries(token), (d) => d.length >= 1);
    await notifier(orgId).settled();
    // nothing left to send: the alarm stays for the tidying, a day on
    const armed = await runInDurableObject(notifier(orgId), async (_n, state) => ({ alarm: await state.storage.getAlarm(), tidy: state.storage.kv.get<number>("tidy_at") }));
    expect(armed.alarm).toBe(armed.tidy);
    expect(armed.tidy! - Date.now()).toBeGreaterThan(TIDY_MS - 60_000);

    const now = Date.now();
    const attempt = (orgId: string, message_id: string, age: number) =>
      logAttempt(env.DB, {
        org_id: orgId, subscription_id: sub.id, message_id, event_type: "task.completed", task_id: task.id, attempt: 1, outcome: "delivered",
        response_status: 204, error: null, duration_ms: 1, next_attempt_at: null, created_at: now - age,
      });
    const other = `org_ntf_${crypto.randomUUID().slice(0, 8)}`;
    await attempt(orgId, "msg_old", DELIVERY_LOG_KEPT_MS + DAY);
    await attempt(orgId, "msg_month", DELIVERY_LOG_KEPT_MS - DAY);
    await attempt(other, "msg_other_old", DELIVERY_LOG_KEPT_MS + DAY);
    await runInDurableObject(notifier(orgId), (_n, state) => void state.storage.sql.exec("INSERT INTO seen (event_key, at) VALUES ('old', ?)", now - 8 * DAY));
    const seenKeys = () => runInDurableObject(notifier(orgId), (_n, state) => state.storage.sql.exec<{ event_key: string }>("SELECT event_key FROM seen").toArray().map((r) => r.event_key));
    expect(await seenKeys()).toContain("old");

    expect(await runAlarm(orgId)).toBe(true);
    expect((await deliveries(token)).map((d) => d.message_id)).toEqual(["msg_month", expect.stringMatching(/^msg_/)]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM notification_deliveries WHERE message_id = 'msg_other_old'").first("n")).toBe(1);
    expect(await seenKeys()).not.toContain("old");
    expect(await seenKeys()).toHaveLength(1);
    // the log still holds attempts to age: it tidies again in a day
    const next = await runInDurableObject(notifier(orgId), (_n, state) => state.storage.getAlarm());
    expect(next! - Date.now()).toBeGreaterThan(TIDY_MS - 60_000);

    // a retention period shorter than 30 days is the log's too
    await attempt(orgId, "msg_week", 8 * DAY);
    expect((await api("PATCH", "/settings", { token, body: { retention_days: 7 } })).status).toBe(200);
    expect(await runAlarm(orgId)).toBe(true);
    expect((await deliveries(token)).map((d) => d.message_id)).toEqual([expect.stringMatching(/^msg_/)]);

    // with nothing left to age, the alarm goes
    await env.DB.prepare("DELETE FROM notification_deliveries WHERE org_id = ?").bind(orgId).run();
    await runInDurableObject(notifier(orgId), (_n, state) => void state.storage.sql.exec("DELETE FROM seen"));
    expect(await runAlarm(orgId)).toBe(true);
    expect(await runInDurableObject(notifier(orgId), (_n, state) => state.storage.getAlarm())).toBeNull();
  });
});

describe("delivery log numbers", () => {
  it("go on from the highest ever given once every attempt of the organization is pruned, so no id or cursor comes back", async () => {
    const orgId = `org_ntf_${crypto.randomUUID().slice(0, 8)}`;
    const now = Date.now();
    const attempt = (message_id: string, created_at: number) =>
      logAttempt(env.DB, {
        org_id: orgId, subscription_id: "sub_x", message_id, event_type: "task.completed", task_id: "tsk_x", attempt: 1, outcome: "delivered",
        response_status: 204, error: null, duration_ms: 1, next_attempt_at: null, created_at,
      });
    for (const m of ["msg_a", "msg_b", "msg_c"]) await attempt(m, now - DELIVERY_LOG_KEPT_MS - DAY);
    const numbers = async () => (await env.DB.prepare("SELECT org_seq FROM notification_deliveries WHERE org_id = ? ORDER BY org_seq").bind(orgId).all<{ org_seq: number }>()).results.map((r) => r.org_seq);
    expect(await numbers()).toEqual([1, 2, 3]);
    expect(await pruneDeliveryLog(env.DB, orgId, now - DELIVERY_LOG_KEPT_MS, 500)).toEqual({ pruned: 3, more: false, left: false });
    await attempt("msg_d", now);
    expect(await numbers()).toEqual([4]);
    // pruned again, part of the log: numbers still go on from the highest
    await attempt("msg_e", now);
    expect((await pruneDeliveryLog(env.DB, orgId, now + 1, 1)).pruned).toBe(1);
    await attempt("msg_f", now);
    expect(await numbers()).toEqual([5, 6]);
  });
});

describe("inbox", () => {
  it("lists the organization's needs_input tasks, the asking token's own first, for every role", async () => {
    const orgId = `org_inbox_${crypto.randomUUID().slice(0, 8)}`;
    const admin = await makeOrg(orgId);
    const member = await tokenWithRole("member", orgId);
    const viewer = await tokenWithRole("viewer", orgId);
    const mine = await createTask({ agent: "researcher", title: "Mine", description: "@ask Which?\n@output ok" }, member);
    const theirs = await createTask({ agent: "researcher", title: "Theirs", description: "@ask Which?\n@output ok" }, admin);
    const done = await createTask({ agent: "researcher", title: "Done", description: "@output ok" }, member);
    await Promise.all([waitForStatus(mine.id, ["needs_input"], admin), waitForStatus(theirs.id, ["needs_input"], admin), waitForStatus(done.id, ["completed"], admin)]);

    const forMember = await api("GET", "/notifications/inbox", { token: member });
    expect(forMember.status).toBe(200);
    expect(forMember.json.count).toBe(2);
    expect(forMember.json.items.map((t: { id: string; mine: boolean }) => [t.id, t.mine])).toEqual([[mine.id, true], [theirs.id, false]]);
    const forAdmin = await api("GET", "/notifications/inbox", { token: admin });
    expect(forAdmin.json.items.map((t: { id: string }) => t.id)).toEqual([theirs.id, mine.id]);
    expect((await api("GET", "/notifications/inbox", { token: viewer })).json.count).toBe(2);
    expectError(await api("GET", "/notifications/inbox", { token: null }), 401);
  });

  it("counts a sub-task that asks as the token's own when a task it created made it, however deep", async () => {
    const orgId = `org_inbox_${crypto.randomUUID().slice(0, 8)}`;
    const admin = await makeOrg(orgId);
    const member = await tokenWithRole("member", orgId);
    await env.DB.prepare("INSERT INTO agents (id, org_id, name, model, system_prompt, tools, max_turns, created_at, updated_at) VALUES (?, ?, 'delegator', 'sim', '', '[\"spawn_task\"]', 20, 0, 0)")
      .bind(`agt_${orgId}_delegator`, orgId)
      .run();
    const leaf = JSON.stringify({ title: "Deep question", description: "@ask Which?\n@output ok", agent: "researcher", wait: true });
    const middle = JSON.stringify({ title: "Middle", description: `@tool spawn_task ${leaf}\n@output ok`, agent: "delegator", wait: true });
    const top = await createTask({ agent: "delegator", title: "Top", description: `@tool spawn_task ${middle}\n@output ok` }, member);
    const theirs = await createTask({ agent: "researcher", title: "Theirs", description: "@ask Which?\n@output ok" }, admin);
    const inbox = async (token: string) => (await api("GET", "/notifications/inbox", { token })).json as { count: number; items: { id: string; title: string; mine: boolean }[] };
    await expect.poll(async () => (await inbox(member)).count, { timeout: 10_000 }).toBe(2);

    const deep = (await inbox(member)).items.find((t) => t.title === "Deep question")!;
    expect((await inbox(member)).items.map((t) => [t.id, t.mine])).toEqual([[deep.id, true], [theirs.id, false]]);
    expect((await inbox(admin)).items.map((t) => [t.id, t.mine])).toEqual([[theirs.id, true], [deep.id, false]]);
    await api("DELETE", `/tasks/${top.id}`, { token: member });
  });
});
