import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { claimFire } from "../../worker/triggers/claimed-fires";
import { fireTrigger, loadTrigger } from "../../worker/triggers/fire";
import { api, expectError, makeOrg, tokenWithRole } from "../helpers";

const plan = {
  name: "Daily digest",
  params: [{ name: "topic", required: true }],
  steps: [{ id: "digest", agent: "researcher", instructions: "Digest of {{params.topic}}\n@output digest done" }],
};

async function makePlan() {
  const res = await api("POST", "/plans", { body: plan });
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

async function makeCron(body: Record<string, unknown>) {
  const res = await api("POST", "/triggers", { body: { kind: "cron", plan_id: await makePlan(), inputs: { topic: "edge" }, ...body } });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

const clock = (id: string) => env.TRIGGER_CLOCK.get(env.TRIGGER_CLOCK.idFromName(id));

async function tasksOf(triggerId: string) {
  const { results } = await env.DB.prepare("SELECT id, source, trigger_id, created_by, title FROM tasks WHERE trigger_id = ? ORDER BY seq").bind(triggerId).all<Record<string, string>>();
  return results;
}

/** Pretends the trigger last fired (and was last changed, schedule and all) `agoMs` ago, as after downtime. */
async function rewind(id: string, agoMs: number) {
  const at = Date.now() - agoMs;
  await env.DB.prepare("UPDATE triggers SET last_fired_at = ?, updated_at = ?, schedule_from = ? WHERE id = ?").bind(at, at, at, id).run();
}

describe("a cron schedule's next fires", () => {
  it("lists them soonest first in the schedule's timezone, as a trigger would fire, before any trigger exists", async () => {
    const before = Date.now();
    const res = await api("GET", `/triggers/next-fires?cron=${encodeURIComponent(" 30  9 * *  1-5 ")}&timezone=Asia/Calcutta&count=3`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ cron: "30 9 * * 1-5", timezone: "Asia/Kolkata" });
    const next = (res.json.next as string[]).map((t) => new Date(t));
    expect(next).toHaveLength(3);
    for (const [i, t] of next.entries()) {
      expect(t.getTime()).toBeGreaterThan(i === 0 ? before : next[i - 1].getTime());
      // 09:30 in Kolkata (UTC+5:30, no DST) is 04:00 UTC, on a weekday there
      expect([t.getUTCHours(), t.getUTCMinutes()]).toEqual([4, 0]);
      expect([1, 2, 3, 4, 5]).toContain(t.getUTCDay());
    }
    const one = await api("GET", `/triggers/next-fires?cron=${encodeURIComponent("*/10 * * * *")}`);
    expect(one.json.timezone).toBe("UTC");
    expect(one.json.next).toHaveLength(5);
    expect(new Date(one.json.next[0]).getUTCMinutes() % 10).toBe(0);
  });

  it("refuses what a trigger would refuse: a malformed expression or timezone (400), a schedule that never fires (422)", async () => {
    expectError(await api("GET", `/triggers/next-fires?cron=${encodeURIComponent("61 * * * *")}`), 400, "bad_request");
    expectError(await api("GET", `/triggers/next-fires?cron=${encodeURIComponent("0 9 * *")}`), 400, "bad_request");
    expectError(await api("GET", `/triggers/next-fires?cron=${encodeURIComponent("0 9 * * *")}&timezone=Mars/Olympus`), 400, "bad_request");
    expectError(await api("GET", `/triggers/next-fires?cron=${encodeURIComponent("0 9 * * *")}&timezone=${encodeURIComponent("+02:00")}`), 400, "bad_request");
    expectError(await api("GET", `/triggers/next-fires?cron=${encodeURIComponent("0 0 30 2 *")}`), 422, "unprocessable");
    expectError(await api("GET", `/triggers/next-fires?cron=${encodeURIComponent("0 9 * * *")}&count=21`), 400, "bad_request");
    expectError(await api("GET", "/triggers/next-fires"), 400, "bad_request");
  });
});

describe("cron triggers", () => {
  it("creates a trigger armed for its next fire, and lists it without any secret", async () => {
    const t = await makeCron({ cron: "0 9 * * 1-5", timezone: "Europe/Paris", title: "Weekday digest" });
    expect(t).toMatchObject({ kind: "cron", cron: "0 9 * * 1-5", timezone: "Europe/Paris", title: "Weekday digest", inputs: { topic: "edge" }, paused: false, secret: null, webhook_url: null });
    expect(t.id).toMatch(/^trg_/);
    expect(t.created_by).toMatchObject({ type: "token", name: "bootstrap admin" });
    const next = Date.parse(t.next_fire_at);
    expect(next).toBeGreaterThan(Date.now());
    expect(new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Paris", hour: "2-digit", minute: "2-digit" }).format(next)).toBe("09:00");
    expect(await clock(t.id).nextAlarm()).toBe(next);

    const got = await api("GET", `/triggers/${t.id}`);
    expect(got.json).toMatchObject({ id: t.id, cron: "0 9 * * 1-5" });
    expect(got.json.secret).toBeUndefined();
    const list = await api("GET", "/triggers");
    expect(list.json.items.map((x: { id: string }) => x.id)).toContain(t.id);
    expect(list.json.next_cursor).toBeNull();
  });

  it("accepts 6-field expressions with seconds, and UTC by default", async () => {
    const t = await makeCron({ cron: "30 0 12 * * *" });
    expect(t.timezone).toBe("UTC");
    expect(new Date(t.next_fire_at).toISOString()).toMatch(/T12:00:30\.000Z$/);
  });

  it("keeps and shows a timezone by its canonical IANA name, however it was typed", async () => {
    const t = await makeCron({ cron: "0 9 * * *", timezone: "europe/paris" });
    expect(t.timezone).toBe("Europe/Paris");
    expect((await api("GET", `/triggers/${t.id}`)).json.timezone).toBe("Europe/Paris");
    expect((await api("GET", "/triggers?limit=100")).json.items.find((x: { id: string }) => x.id === t.id).timezone).toBe("Europe/Paris");
    const patched = await api("PATCH", `/triggers/${t.id}`, { body: { timezone: "america/NEW_york" } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.timezone).toBe("America/New_York");
    expect((await loadTrigger(env.DB, t.id))!.timezone).toBe("America/New_York");
    expect((await api("PATCH", `/triggers/${t.id}`, { body: { timezone: "utc" } })).json.timezone).toBe("UTC");
    // the runtime's own names for these are the ones IANA retired (Asia/Calcutta, Europe/Kiev): not what was typed
    for (const [typed, shown] of [["Asia/Kolkata", "Asia/Kolkata"], ["asia/kolkata", "Asia/Kolkata"], ["Asia/Calcutta", "Asia/Kolkata"], ["Europe/Kyiv", "Europe/Kyiv"], ["Asia/Ho_Chi_Minh", "Asia/Ho_Chi_Minh"]]) {
      const z = await makeCron({ cron: "0 9 * * *", timezone: typed });
      expect([typed, z.timezone]).toEqual([typed, shown]);
      expect([typed, (await api("GET", `/triggers/${z.id}`)).json.timezone]).toEqual([typed, shown]);
    }
  });

  it("fires a task from the plan with source cron, the trigger's id and the trigger as creator", async () => {
    const t = await makeCron({ cron: "0 0 1 1 *", title: "New year" });
    await rewind(t.id, 2 * 365 * 24 * 3600 * 1000);
    expect(await runDurableObjectAlarm(clock(t.id))).toBe(true);
    const tasks = await tasksOf(t.id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ source: "cron", trigger_id: t.id, title: "New year" });
    expect(JSON.parse(tasks[0].created_by)).toEqual({ type: "trigger", id: t.id, name: "New year" });
    const detail = await api("GET", `/tasks/${tasks[0].id}`);
    expect(detail.json).toMatchObject({ source: "cron", trigger_id: t.id, inputs: { topic: "edge" }, created_by: { type: "trigger", id: t.id } });
    const after = await api("GET", `/triggers/${t.id}`);
    expect(after.json.last_task_id).toBe(tasks[0].id);
    expect(Date.parse(after.json.last_fired_at)).toBeGreaterThan(Date.now() - 60_000);
    // Re-armed for next year; an early wake-up starts nothing.
    expect(await clock(t.id).nextAlarm()).toBe(Date.parse(after.json.next_fire_at));
    expect(Date.parse(after.json.next_fire_at)).toBeGreaterThan(Date.now());
    await runDurableObjectAlarm(clock(t.id));
    expect(await tasksOf(t.id)).toHaveLength(1);
  });

  it("after downtime runs a missed fire once, not once per miss", async () => {
    const t = await makeCron({ cron: "*/5 * * * *" });
    await rewind(t.id, 5 * 3600 * 1000);
    await runDurableObjectAlarm(clock(t.id));
    expect(await tasksOf(t.id)).toHaveLength(1);
    const alarm = await clock(t.id).nextAlarm();
    expect(alarm).toBeGreaterThan(Date.now());
    expect(alarm! - Date.now()).toBeLessThanOrEqual(5 * 60_000);
  });

  it("keeps a fire that came due before an edit of its title or inputs, when the alarm runs late", async () => {
    const t = await makeCron({ cron: "0 * * * *" });
    await rewind(t.id, 2 * 3600 * 1000);
    const res = await api("PATCH", `/triggers/${t.id}`, { body: { title: "Renamed", inputs: { topic: "pricing" } } });
    expect(res.status, res.text).toBe(200);
    await runDurableObjectAlarm(clock(t.id));
    const tasks = await tasksOf(t.id);
    expect(tasks.map((x) => x.title)).toEqual(["Renamed"]);
    // as does a patch that names the schedule it already has, as a client sending the whole trigger does
    await rewind(t.id, 2 * 3600 * 1000);
    expect((await api("PATCH", `/triggers/${t.id}`, { body: { title: "Again", cron: " 0 *  * * *", timezone: "utc" } })).status).toBe(200);
    await runDurableObjectAlarm(clock(t.id));
    expect((await tasksOf(t.id)).map((x) => x.title)).toEqual(["Renamed", "Again"]);
    // a schedule change still counts from now
    await rewind(t.id, 2 * 3600 * 1000);
    expect((await api("PATCH", `/triggers/${t.id}`, { body: { cron: "30 * * * *" } })).status).toBe(200);
    await runDurableObjectAlarm(clock(t.id));
    expect(await tasksOf(t.id)).toHaveLength(2);
  });

  it("claims no fire of a schedule that a change replaced while the fire was under way", async () => {
    const t = await makeCron({ cron: "0 * * * *" });
    await rewind(t.id, 2 * 3600 * 1000);
    const loaded = (await loadTrigger(env.DB, t.id))!;
    expect((await api("PATCH", `/triggers/${t.id}`, { body: { cron: "0 0 1 1 *" } })).status).toBe(200);
    expect(await claimFire(env.DB, loaded, Date.now(), Date.now() + 3600_000)).toBe(false);
    expect((await api("GET", `/triggers/${t.id}`)).json.last_fired_at).toBe(new Date(loaded.last_fired_at!).toISOString());
  });

  it("fires on its own under the real alarm, and stops once deleted", async () => {
    const t = await makeCron({ cron: "* * * * * *" });
    const deadline = Date.now() + 8000;
    while ((await tasksOf(t.id)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await tasksOf(t.id)).length).toBeGreaterThanOrEqual(1);
    expect((await api("DELETE", `/triggers/${t.id}`)).status).toBe(204);
    const n = (await tasksOf(t.id)).length;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await tasksOf(t.id)).length).toBe(n);
    expect(await clock(t.id).nextAlarm()).toBeNull();
    expectError(await api("GET", `/triggers/${t.id}`), 404, "not_found");
  });

  it("starts no task from a fire that loaded its trigger before a pause or a delete answered", async () => {
    const t = await makeCron({ cron: "0 9 * * *" });
    const loaded = (await loadTrigger(env.DB, t.id))!;
    expect((await api("POST", `/triggers/${t.id}/pause`)).status).toBe(200);
    await expect(fireTrigger(env, loaded)).rejects.toMatchObject({ code: "conflict" });
    expect(await tasksOf(t.id)).toEqual([]);
    expect((await api("GET", `/triggers/${t.id}`)).json.last_error).toMatch(/deleted or paused/);
    // a person may still run a paused trigger by hand
    const manual = await api("POST", `/triggers/${t.id}/run`);
    expect(manual.status, manual.text).toBe(201);

    expect((await api("POST", `/triggers/${t.id}/resume`)).status).toBe(200);
    const started = await fireTrigger(env, (await loadTrigger(env.DB, t.id))!);
    expect((await tasksOf(t.id)).map((x) => x.id)).toEqual([manual.json.id, started.id]);

    expect((await api("DELETE", `/triggers/${t.id}`)).status).toBe(204);
    await expect(fireTrigger(env, loaded)).rejects.toMatchObject({ code: "conflict" });
    expect((await tasksOf(t.id)).map((x) => x.id)).toEqual([manual.json.id, started.id]);
  });

  it("pauses (no fire, no next time) and resumes without catching up", async () => {
    const t = await makeCron({ cron: "0 * * * *" });
    const paused = await api("POST", `/triggers/${t.id}/pause`);
    expect(paused.json).toMatchObject({ paused: true, next_fire_at: null });
    await rewind(t.id, 5 * 3600 * 1000);
    await env.DB.prepare("UPDATE triggers SET paused = 1 WHERE id = ?").bind(t.id).run();
    await runDurableObjectAlarm(clock(t.id));
    expect(await tasksOf(t.id)).toHaveLength(0);
    const resumed = await api("POST", `/triggers/${t.id}/resume`);
    expect(resumed.json.paused).toBe(false);
    expect(Date.parse(resumed.json.next_fire_at)).toBeGreaterThan(Date.now());
    await runDurableObjectAlarm(clock(t.id));
    expect(await tasksOf(t.id)).toHaveLength(0);
    // a repeated pause or resume changes nothing more: not its updated_at, nor the audit log
    const audited = async () => (await api("GET", `/audit?target=${t.id}`)).json.items.length;
    const before = await audited();
    const again = await api("POST", `/triggers/${t.id}/resume`);
    expect(again.json).toMatchObject({ paused: false, updated_at: resumed.json.updated_at });
    const pausedTwice = [await api("POST", `/triggers/${t.id}/pause`), await api("POST", `/triggers/${t.id}/pause`)];
    expect(pausedTwice[1].json).toMatchObject({ paused: true, updated_at: pausedTwice[0].json.updated_at });
    expect(await audited()).toBe(before + 1);
  });

  it("runs now on request, with its saved inputs", async () => {
    const t = await makeCron({ cron: "0 0 1 1 *" });
    const res = await api("POST", `/triggers/${t.id}/run`);
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ source: "cron", trigger_id: t.id });
    // the person who ran it made the task, in its row and in the audit log, which still name the trigger
    const run = (await api("GET", `/audit?action=trigger.run&target=${t.id}&limit=1`)).json.items[0];
    expect(run.actor.type).toBe("token");
    expect(res.json.created_by).toEqual(run.actor);
    expect((await api("GET", `/tasks/${res.json.id}`)).json.created_by).toEqual(run.actor);
    const made = (await api("GET", `/audit?action=task.create&target=${res.json.id}`)).json.items;
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ actor: run.actor, details: { trigger_id: t.id } });
  });

  it("runs now with the body's inputs over the saved ones, as a webhook delivery's are", async () => {
    const t = await makeCron({ cron: "0 0 1 1 *" });
    const res = await api("POST", `/triggers/${t.id}/run`, { body: { inputs: { topic: "by hand" } } });
    expect(res.status, res.text).toBe(201);
    const detail = await api("GET", `/tasks/${res.json.id}`);
    expect(detail.json.inputs).toEqual({ topic: "by hand" });
    const audit = await api("GET", "/audit?action=trigger.run&limit=1");
    expect(audit.json.items[0]).toMatchObject({ target: { id: t.id }, details: { task_id: res.json.id, inputs: { topic: "by hand" } } });
    // {} (or no body) keeps the saved inputs; a webhook trigger that saved none can be run by hand with them
    const plain = await api("POST", `/triggers/${t.id}/run`, { body: {} });
    expect((await api("GET", `/tasks/${plain.json.id}`)).json.inputs).toEqual({ topic: "edge" });
    const hook = (await api("POST", "/triggers", { body: { kind: "webhook", plan_id: t.plan_id } })).json;
    expectError(await api("POST", `/triggers/${hook.id}/run`), 422, "unprocessable");
    expect((await api("POST", `/triggers/${hook.id}/run`, { body: { inputs: { topic: "ok" } } })).status).toBe(201);
    // what the run does not take is refused, and starts nothing
    const before = (await tasksOf(t.id)).length;
    expectError(await api("POST", `/triggers/${t.id}/run`, { body: { inputs: { topic: "x" }, title: "mine" } }), 400, "bad_request");
    expectError(await api("POST", `/triggers/${t.id}/run`, { body: { inputs: { nope: "x" } } }), 422, "unprocessable");
    expect((await tasksOf(t.id)).length).toBe(before);
  });

  it("leaves the trigger's last error to its fires: a run refused by hand answers the person and records nothing", async () => {
    const t = await makeCron({ cron: "0 0 1 1 *" });
    await env.DB.prepare("UPDATE triggers SET last_error = 'what the last fire met' WHERE id = ?").bind(t.id).run();
    expectError(await api("POST", `/triggers/${t.id}/run`, { body: { inputs: { nope: "x" } } }), 422, "unprocessable");
    expect((await api("GET", `/triggers/${t.id}`)).json.last_error).toBe("what the last fire met");
    const hook = (await api("POST", "/triggers", { body: { kind: "webhook", plan_id: t.plan_id } })).json;
    expectError(await api("POST", `/triggers/${hook.id}/run`), 422, "unprocessable");
    expect((await api("GET", `/triggers/${hook.id}`)).json.last_error).toBeNull();
    // a run that starts its task shows the trigger works, as a fire's does
    expect((await api("POST", `/triggers/${t.id}/run`)).status).toBe(201);
    expect((await api("GET", `/triggers/${t.id}`)).json.last_error).toBeNull();
  });

  it("keeps a plan its triggers start: deleting it is 409 naming them, and works once they are gone", async () => {
    const t = await makeCron({ cron: "0 0 1 1 *" });
    const refused = await api("DELETE", `/plans/${t.plan_id}`);
    expectError(refused, 409, "conflict");
    expect(refused.json.error.details).toEqual([{ trigger_id: t.id, kind: "cron" }]);
    expect((await api("GET", `/plans/${t.plan_id}`)).status).toBe(200);
    expect((await api("POST", `/triggers/${t.id}/run`)).status).toBe(201);
    expect((await api("DELETE", `/triggers/${t.id}`)).status).toBe(204);
    expect((await api("DELETE", `/plans/${t.plan_id}`)).status).toBe(204);
  });

  it("never leaves a trigger on a deleted plan when the two race: one of them fails", async () => {
    for (let i = 0; i < 15; i++) {
      const plan_id = await makePlan();
      const [made, deleted] = await Promise.all([
        api("POST", "/triggers", { body: { kind: "cron", plan_id, cron: "0 0 1 1 *", inputs: { topic: "x" } } }),
        api("DELETE", `/plans/${plan_id}`),
      ]);
      expect([made.status, deleted.status], made.text + deleted.text).not.toEqual([201, 204]);
    }
    const orphans = await env.DB.prepare("SELECT id FROM triggers WHERE plan_id NOT IN (SELECT id FROM plans)").all();
    expect(orphans.results).toEqual([]);
  });

  it("records a fire that cannot start (its plan gone, as a direct delete leaves it) as the trigger's last error", async () => {
    const t = await makeCron({ cron: "0 0 1 1 *" });
    await env.DB.batch([env.DB.prepare("DELETE FROM plan_versions WHERE plan_id = ?").bind(t.plan_id), env.DB.prepare("DELETE FROM plans WHERE id = ?").bind(t.plan_id)]);
    await rewind(t.id, 2 * 365 * 24 * 3600 * 1000);
    await runDurableObjectAlarm(clock(t.id));
    expect(await tasksOf(t.id)).toHaveLength(0);
    const after = await api("GET", `/triggers/${t.id}`);
    expect(after.json.last_error).toMatch(/plan not found/);
    expect(await clock(t.id).nextAlarm()).toBeGreaterThan(Date.now());
  });

  it("changes a trigger's title, schedule and inputs, re-arming its clock from the new schedule, and audits it", async () => {
    const t = await makeCron({ cron: "0 0 1 1 *", title: "Yearly" });
    const res = await api("PATCH", `/triggers/${t.id}`, { body: { title: "Weekday digest", cron: " 0  9 * * 1-5 ", timezone: "Europe/Paris", inputs: { topic: "pricing" } } });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ id: t.id, title: "Weekday digest", cron: "0 9 * * 1-5", timezone: "Europe/Paris", inputs: { topic: "pricing" }, paused: false });
    const next = Date.parse(res.json.next_fire_at);
    expect(next - Date.now()).toBeLessThan(4 * 24 * 3600 * 1000);
    expect(new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Paris", hour: "2-digit", minute: "2-digit" }).format(next)).toBe("09:00");
    expect(await clock(t.id).nextAlarm()).toBe(next);
    expect((await api("GET", `/triggers/${t.id}`)).json).toMatchObject({ title: "Weekday digest", cron: "0 9 * * 1-5", next_fire_at: res.json.next_fire_at });
    const fired = await api("POST", `/triggers/${t.id}/run`);
    expect((await api("GET", `/tasks/${fired.json.id}`)).json).toMatchObject({ title: "Weekday digest", inputs: { topic: "pricing" } });
    const audit = await api("GET", "/audit?action=trigger.update&limit=1");
    expect(audit.json.items[0]).toMatchObject({ target: { id: t.id }, details: { title: "Weekday digest", cron: " 0  9 * * 1-5 " } });
    // a title can be cleared; only what the patch names changes
    const cleared = await api("PATCH", `/triggers/${t.id}`, { body: { title: null } });
    expect(cleared.json).toMatchObject({ title: null, cron: "0 9 * * 1-5", inputs: { topic: "pricing" }, next_fire_at: res.json.next_fire_at });
  });

  it("pauses and resumes through a patch, and a paused trigger's new schedule waits for its resume", async () => {
    const t = await makeCron({ cron: "0 0 1 1 *" });
    const paused = await api("PATCH", `/triggers/${t.id}`, { body: { paused: true, cron: "0 * * * *" } });
    expect(paused.json).toMatchObject({ paused: true, next_fire_at: null, cron: "0 * * * *" });
    await rewind(t.id, 5 * 3600 * 1000);
    await runDurableObjectAlarm(clock(t.id));
    expect(await tasksOf(t.id)).toHaveLength(0);
    const resumed = await api("PATCH", `/triggers/${t.id}`, { body: { paused: false } });
    expect(resumed.json.paused).toBe(false);
    expect(Date.parse(resumed.json.next_fire_at) - Date.now()).toBeLessThanOrEqual(3600_000);
    expect(await clock(t.id).nextAlarm()).toBe(Date.parse(resumed.json.next_fire_at));
  });

  it("refuses a patch a create would refuse, and changes nothing", async () => {
    const t = await makeCron({ cron: "0 0 1 1 *", title: "Kept" });
    const alarm = await clock(t.id).nextAlarm();
    const patch = (body: unknown, token?: string) => api("PATCH", `/triggers/${t.id}`, { body, token });
    for (const [body, path] of [[{ cron: "61 * * * *" }, "cron"], [{ cron: "* * *" }, "cron"], [{ cron: "a b c d e" }, "cron"], [{ timezone: "Mars/Olympus" }, "timezone"]] as const) {
      const res = await patch(body);
      expectError(res, 400, "bad_request");
      expect(res.json.error.details, JSON.stringify(body)).toEqual([expect.objectContaining({ path })]);
    }
    expectError(await patch({ cron: "0 0 30 2 *" }), 422, "unprocessable");
    expectError(await patch({ inputs: {} }), 422, "unprocessable");
    expectError(await patch({ inputs: { topic: "x", nope: 1 } }), 422, "unprocessable");
    expectError(await patch({ input_map: { topic: "a.b" } }), 400, "bad_request");
    expectError(await patch({}), 400, "bad_request");
    expectError(await patch({ title: "" }), 400, "bad_request");
    expectError(await patch({ plan_id: "pln_other" }), 400, "bad_request");
    expectError(await patch({ kind: "webhook" }), 400, "bad_request");
    expectError(await patch({ title: "x", secret: "whsec_AAAA" }), 400, "bad_request");
    expectError(await patch({ paused: "yes" }), 400, "bad_request");
    expectError(await patch({ title: "x" }, await tokenWithRole("member")), 403, "forbidden");
    expectError(await api("PATCH", "/triggers/trg_missing", { body: { title: "x" } }), 404, "not_found");
    const other = await makeOrg(`org_trg_${crypto.randomUUID().slice(0, 8)}`);
    expectError(await patch({ title: "theirs" }, other), 404, "not_found");
    expect((await api("GET", `/triggers/${t.id}`)).json).toMatchObject({ title: "Kept", cron: "0 0 1 1 *", timezone: "UTC", inputs: { topic: "edge" }, paused: false });
    expect(await clock(t.id).nextAlarm()).toBe(alarm);
    expectError(await api("POST", `/triggers/${t.id}/rotate-secret`), 422, "unprocessable");
    expectError(await api("POST", `/triggers/${t.id}/expire-previous-secret`), 422, "unprocessable");
    expect((await api("GET", `/triggers/${t.id}`)).json.previous_secret_expires_at).toBeNull();
  });

  it("keeps its clock on the schedule that was saved when two schedule changes race", async () => {
    const t = await makeCron({ cron: "0 0 1 1 *" });
    const [a, b] = await Promise.all([
      api("PATCH", `/triggers/${t.id}`, { body: { cron: "0 0 1 3 *" } }),
      api("PATCH", `/triggers/${t.id}`, { body: { cron: "0 0 1 9 *" } }),
    ]);
    // the one whose write lost reads the trigger again and writes over the other: both land, the later one stays
    expect([a.status, b.status], a.text + b.text).toEqual([200, 200]);
    const saved = (await api("GET", `/triggers/${t.id}`)).json;
    expect(["0 0 1 3 *", "0 0 1 9 *"]).toContain(saved.cron);
    expect(await clock(t.id).nextAlarm()).toBe(Date.parse(saved.next_fire_at));
  });

  it("never moves its alarm past the saved schedule's next fire when a lost save's re-arm lands after a newer save's", async () => {
    // the order that race makes: a save of "every minute" armed and wrote; then a save that had lost to an older
    // row re-arms for that row (yearly), its read older than the saved one
    const t = await makeCron({ cron: "0 0 1 1 *" });
    const saved = Date.now() + 5;
    const minutely = await clock(t.id).arm(t.id, "* * * * *", "UTC", saved);
    expect(await clock(t.id).nextAlarm()).toBe(minutely);
    await clock(t.id).arm(t.id, "0 0 1 1 *", "UTC", Date.now(), Date.parse(t.updated_at));
    expect(await clock(t.id).nextAlarm()).toBe(minutely);
    // a re-arm for the row as saved, or a newer one, sets the alarm exactly, later or not
    const yearly = await clock(t.id).arm(t.id, "0 0 1 1 *", "UTC", Date.now(), saved + 1);
    expect(await clock(t.id).nextAlarm()).toBe(yearly);
  });

  it("leaves its alarm no later than the saved schedule's next fire after many schedule changes race", async () => {
    const t = await makeCron({ cron: "0 0 1 1 *" });
    const crons = ["0 0 1 3 *", "0 0 1 9 *", "0 0 1 6 *", "0 0 1 12 *", "0 0 1 4 *", "0 0 1 10 *"];
    const answers = await Promise.all(crons.map((cron) => api("PATCH", `/triggers/${t.id}`, { body: { cron } })));
    for (const a of answers) expect([200, 409], a.text).toContain(a.status);
    const saved = (await api("GET", `/triggers/${t.id}`)).json;
    expect(await clock(t.id).nextAlarm()).toBeLessThanOrEqual(Date.parse(saved.next_fire_at));
  });

  it("lands concurrent patches of different fields, each over what the others wrote, with no 409 a client could not avoid", async () => {
    const t = await makeCron({ cron: "0 0 1 1 *", title: "Yearly" });
    const patches = [{ title: "renamed" }, { inputs: { topic: "y" } }, { timezone: "Europe/Paris" }];
    const answers = await Promise.all(patches.map((body) => api("PATCH", `/triggers/${t.id}`, { body })));
    for (const a of answers) expect(a.status, a.text).toBe(200);
    // no change was dropped: each patch was laid over the trigger as the others left it
    const saved = (await api("GET", `/triggers/${t.id}`)).json;
    expect(saved).toMatchObject({ title: "renamed", inputs: { topic: "y" }, timezone: "Europe/Paris", cron: "0 0 1 1 *" });
    expect(await clock(t.id).nextAlarm()).toBe(Date.parse(saved.next_fire_at));
    // six of the same field: every one answers 200 and is audited once
    const titles = ["t1", "t2", "t3", "t4", "t5", "t6"];
    const renames = await Promise.all(titles.map((title) => api("PATCH", `/triggers/${t.id}`, { body: { title } })));
    for (const [i, r] of renames.entries()) {
      expect(r.status, r.text).toBe(200);
      expect(r.json.title).toBe(titles[i]);
    }
    expect(titles).toContain((await api("GET", `/triggers/${t.id}`)).json.title);
    const audit = (await api("GET", `/audit?action=trigger.update&target=${t.id}&limit=100`)).json.items;
    expect(audit).toHaveLength(9);
  });

  it("keeps an agent a trigger's plan uses, even in a loop: deleting or renaming it is 409 naming the trigger, and works once it is gone", async () => {
    const name = `nested-${crypto.randomUUID().slice(0, 8)}`;
    const agent = (await api("POST", "/agents", { body: { name, model: "sim" } })).json;
    const nested = {
      name: "Nested",
      steps: [
        { id: "list", agent: "researcher", instructions: '@output ["a"]' },
        { id: "each", kind: "loop", over: "list", body: [{ id: "w", agent: name, instructions: "@output ok" }] },
      ],
    };
    const plan = (await api("POST", "/plans", { body: nested })).json;
    const hook = (await api("POST", "/triggers", { body: { kind: "webhook", plan_id: plan.id } })).json;
    const refused = await api("DELETE", `/agents/${name}`);
    expectError(refused, 409, "conflict");
    expect(refused.json.error.message).toContain(hook.id);
    expect(refused.json.error.details).toEqual([{ trigger_id: hook.id, kind: "webhook", plan_id: plan.id }]);
    const renamed = await api("PUT", `/agents/${agent.id}`, { body: { name: `${name}-2`, model: "sim" } });
    expectError(renamed, 409, "conflict");
    expect(renamed.json.error.details).toEqual([{ trigger_id: hook.id, kind: "webhook", plan_id: plan.id }]);
    expect((await api("GET", `/agents/${agent.id}`)).json.name).toBe(name);
    // other changes go through, and the trigger still starts its plan
    expect((await api("PUT", `/agents/${agent.id}`, { body: { name, model: "sim", system_prompt: "Be brief." } })).status).toBe(200);
    expect((await api("POST", `/triggers/${hook.id}/run`)).status).toBe(201);
    expect((await api("GET", "/audit?action=agent.delete&limit=5")).json.items.filter((a: { target: { id: string } }) => a.target.id === agent.id)).toEqual([]);
    expect((await api("DELETE", `/triggers/${hook.id}`)).status).toBe(204);
    expect((await api("PUT", `/agents/${agent.id}`, { body: { name: `${name}-2`, model: "sim" } })).status).toBe(200);
    expect((await api("DELETE", `/agents/${agent.id}`)).status).toBe(204);
  });

  it("refuses a trigger on a plan that names an agent that is gone (422 naming it), rather than one that could never start", async () => {
    const name = `gone-${crypto.randomUUID().slice(0, 8)}`;
    await api("POST", "/agents", { body: { name, model: "sim" } });
    const plan = (await api("POST", "/plans", { body: { name: "Orphan", steps: [{ id: "a", agent: name, instructions: "@output ok" }] } })).json;
    expect((await api("DELETE", `/agents/${name}`)).status).toBe(204);
    for (const body of [{ kind: "cron", plan_id: plan.id, cron: "0 0 1 1 *" }, { kind: "webhook", plan_id: plan.id }]) {
      const res = await api("POST", "/triggers", { body });
      expectError(res, 422, "unprocessable");
      expect(res.json.error.details).toEqual({ agents: [name] });
    }
    expect((await env.DB.prepare("SELECT id FROM triggers WHERE plan_id = ?").bind(plan.id).all()).results).toEqual([]);
  });

  it("never leaves a trigger on a deleted agent when the two race: one of them fails", async () => {
    for (let i = 0; i < 10; i++) {
      const name = `race-${crypto.randomUUID().slice(0, 8)}`;
      await api("POST", "/agents", { body: { name, model: "sim" } });
      const plan = (await api("POST", "/plans", { body: { name: "Race", steps: [{ id: "a", agent: name, instructions: "@output ok" }] } })).json;
      const [made, deleted] = await Promise.all([api("POST", "/triggers", { body: { kind: "webhook", plan_id: plan.id } }), api("DELETE", `/agents/${name}`)]);
      expect([made.status, deleted.status], made.text + deleted.text).not.toEqual([201, 204]);
      if (made.status === 201) expect((await api("GET", `/agents/${name}`)).status).toBe(200);
    }
  });

  it("refuses invalid triggers", async () => {
    const plan_id = await makePlan();
    const bad = (body: Record<string, unknown>) => api("POST", "/triggers", { body: { kind: "cron", plan_id, inputs: { topic: "x" }, cron: "* * * * *", ...body } });
    // a cron that does not parse, or a field out of its range, is malformed; one that parses but never fires cannot be done
    for (const [body, path] of [[{ cron: "* * *" }, "cron"], [{ cron: "61 * * * *" }, "cron"], [{ cron: "0 0 32 * *" }, "cron"], [{ cron: "*/0 * * * *" }, "cron"], [{ timezone: "Mars/Olympus" }, "timezone"]] as const) {
      const res = await bad(body);
      expectError(res, 400, "bad_request");
      expect(res.json.error.details, JSON.stringify(body)).toEqual([expect.objectContaining({ path })]);
    }
    expectError(await bad({ cron: "0 0 30 2 *" }), 422, "unprocessable");
    expectError(await bad({ plan_id: "pln_missing" }), 422, "unprocessable");
    expectError(await bad({ inputs: {} }), 422, "unprocessable");
    expectError(await bad({ inputs: { topic: "x", nope: 1 } }), 422, "unprocessable");
    expectError(await bad({ cron: undefined }), 400, "bad_request");
    expectError(await bad({ kind: "email" }), 400, "bad_request");
    expectError(await bad({ secret: "whsec_x" }), 400, "bad_request");
    expectError(await api("POST", "/triggers", { body: { kind: "webhook" } }), 400, "bad_request");
    expectError(await api("DELETE", "/triggers/trg_missing"), 404, "not_found");
    expectError(await api("POST", "/triggers/trg_missing/pause"), 404, "not_found");
  });

  it("is managed by admins; members and viewers read", async () => {
    const t = await makeCron({ cron: "0 0 1 1 *" });
    for (const role of ["member", "viewer"] as const) {
      const tok = await tokenWithRole(role);
      expect((await api("GET", "/triggers", { token: tok })).status).toBe(200);
      expectError(await api("POST", "/triggers", { token: tok, body: { kind: "webhook", plan_id: t.plan_id } }), 403, "forbidden");
      expectError(await api("DELETE", `/triggers/${t.id}`, { token: tok }), 403, "forbidden");
      expectError(await api("POST", `/triggers/${t.id}/pause`, { token: tok }), 403, "forbidden");
    }
    expectError(await api("POST", `/triggers/${t.id}/run`, { token: await tokenWithRole("viewer") }), 403, "forbidden");
    expect((await api("POST", `/triggers/${t.id}/run`, { token: await tokenWithRole("member") })).status).toBe(201);
  });

  it("a clock whose trigger row is gone stops itself", async () => {
    const t = await makeCron({ cron: "0 0 1 1 *" });
    await env.DB.prepare("DELETE FROM triggers WHERE id = ?").bind(t.id).run();
    await runDurableObjectAlarm(clock(t.id));
    expect(await clock(t.id).nextAlarm()).toBeNull();
    await runInDurableObject(clock(t.id), async (_o, state) => {
      expect(await state.storage.get("trigger_id")).toBeUndefined();
    });
  });
});
