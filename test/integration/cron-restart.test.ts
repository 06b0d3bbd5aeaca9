import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { INTERRUPTED_AFTER_MS } from "../../worker/task/interrupted";
import { claimFire, MAX_FAILURES } from "../../worker/triggers/claimed-fires";
import { loadTrigger } from "../../worker/triggers/fire";
import { api } from "../helpers";

/** A cron fire claimed in D1 whose process stopped before (or while) it started its task, and its clock's next wake. */

const plan = {
  name: "Nightly report",
  params: [{ name: "topic", required: true }],
  steps: [{ id: "report", agent: "researcher", instructions: "Report on {{params.topic}}\n@output report done" }],
};

/** Yearly, so no fire of its own falls in a test: every task comes from the fire the test claimed. */
async function makeCron() {
  const p = await api("POST", "/plans", { body: plan });
  const res = await api("POST", "/triggers", { body: { kind: "cron", plan_id: p.json.id, cron: "0 0 1 1 *", title: "Nightly", inputs: { topic: "edge" } } });
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; next_fire_at: string };
}

const clock = (id: string) => env.TRIGGER_CLOCK.get(env.TRIGGER_CLOCK.idFromName(id));
const tasksOf = async (id: string) => (await env.DB.prepare("SELECT id FROM tasks WHERE trigger_id = ? ORDER BY seq").bind(id).all<{ id: string }>()).results.map((r) => r.id);
const claimsOf = async (id: string) => (await env.DB.prepare("SELECT fired_at, task_id FROM cron_fires WHERE trigger_id = ?").bind(id).all()).results;

/** What a process stopped right after the claim leaves: the trigger says it fired `agoMs` ago, and no task exists. */
async function cutOffClaim(id: string, agoMs: number) {
  const t = (await loadTrigger(env.DB, id))!;
  const at = Date.now() - agoMs;
  expect(await claimFire(env.DB, t, at, Date.parse("2099-01-01T00:00:00Z"))).toBe(true);
  expect(await tasksOf(id)).toEqual([]);
  return at;
}

describe("a cron fire cut off by a restart", () => {
  it("between its claim and its task's create starts exactly one task when the clock next wakes", async () => {
    const t = await makeCron();
    const firedAt = await cutOffClaim(t.id, INTERRUPTED_AFTER_MS + 5_000);
    await runDurableObjectAlarm(clock(t.id));
    const tasks = await tasksOf(t.id);
    expect(tasks).toHaveLength(1);
    expect(await claimsOf(t.id)).toEqual([]);
    const after = (await api("GET", `/triggers/${t.id}`)).json;
    expect(after).toMatchObject({ last_task_id: tasks[0], last_error: null, last_fired_at: new Date(firedAt).toISOString() });
    expect((await api("GET", `/tasks/${tasks[0]}`)).json).toMatchObject({ source: "cron", trigger_id: t.id, inputs: { topic: "edge" } });
    const audit = await env.DB.prepare("SELECT action FROM audit_log WHERE target_id = ?").bind(tasks[0]).all();
    expect(audit.results).toEqual([{ action: "task.create" }]);
    // re-armed for its schedule; another wake starts nothing more
    expect(await clock(t.id).nextAlarm()).toBe(Date.parse(t.next_fire_at));
    await runDurableObjectAlarm(clock(t.id));
    expect(await tasksOf(t.id)).toEqual(tasks);
  });

  it("starts its task however long the app stayed down after the claim", async () => {
    const t = await makeCron();
    await cutOffClaim(t.id, 2 * 24 * 3600_000);
    await runDurableObjectAlarm(clock(t.id));
    expect(await tasksOf(t.id)).toHaveLength(1);
    expect(await claimsOf(t.id)).toEqual([]);
  });

  it("whose start failed again and again is dropped after MAX_FAILURES tries, saying so", async () => {
    const t = await makeCron();
    await cutOffClaim(t.id, INTERRUPTED_AFTER_MS + 5_000);
    await env.DB.prepare("UPDATE cron_fires SET failures = ? WHERE trigger_id = ?").bind(MAX_FAILURES, t.id).run();
    await runDurableObjectAlarm(clock(t.id));
    expect(await tasksOf(t.id)).toEqual([]);
    expect(await claimsOf(t.id)).toEqual([]);
    expect((await api("GET", `/triggers/${t.id}`)).json.last_error).toMatch(/failed to start its task 60 times; dropped/);
  });

  it("is left a minute to its own process, and the clock wakes to finish it then", async () => {
    const t = await makeCron();
    const firedAt = await cutOffClaim(t.id, 1_000);
    await runDurableObjectAlarm(clock(t.id));
    expect(await tasksOf(t.id)).toEqual([]);
    expect(await clock(t.id).nextAlarm()).toBe(firedAt + INTERRUPTED_AFTER_MS + 1_000);
  });

  it("leaves, should the process stop inside a fire, a wake at the schedule's next fire when that is sooner than the finish", async () => {
    const t = await makeCron();
    const row = (await loadTrigger(env.DB, t.id))!;
    const now = Date.now();
    for (const next of [now + 10_000, now + 3_600_000]) {
      await runInDurableObject(clock(t.id), async (instance, state) => {
        // the claim never reaches D1: the process stops there, leaving what the fire stored before it
        const stopped = new Error("process stopped");
        const o = instance as unknown as { env: typeof env; fire: (t: unknown, now: number, next: number) => Promise<boolean> };
        const db = o.env.DB;
        o.env = { ...env, DB: { ...db, batch: () => Promise.reject(stopped), prepare: (sql: string) => db.prepare(sql) } as unknown as D1Database };
        try {
          await expect(o.fire(row, now, next)).rejects.toBe(stopped);
        } finally {
          o.env = env;
        }
        expect(await state.storage.getAlarm()).toBe(Math.min(next, now + INTERRUPTED_AFTER_MS + 1_000));
      });
    }
  });

  it("is still finished on time when the trigger is changed or resumed meanwhile", async () => {
    const t = await makeCron();
    const firedAt = await cutOffClaim(t.id, 1_000);
    expect((await api("PATCH", `/triggers/${t.id}`, { body: { cron: "0 0 1 7 *" } })).status).toBe(200);
    expect(await clock(t.id).nextAlarm()).toBe(firedAt + INTERRUPTED_AFTER_MS + 1_000);
    expect((await api("POST", `/triggers/${t.id}/pause`)).status).toBe(200);
    expect((await api("POST", `/triggers/${t.id}/resume`)).status).toBe(200);
    expect(await clock(t.id).nextAlarm()).toBe(firedAt + INTERRUPTED_AFTER_MS + 1_000);
  });

  it("after its task's row was written but before the task started: the row is undone and the fire starts one task", async () => {
    const t = await makeCron();
    const firedAt = await cutOffClaim(t.id, INTERRUPTED_AFTER_MS + 5_000);
    const ghost = `tsk_ghost_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO tasks (id, org_id, title, description, status, source, agent, created_by, trigger_id, session_id, created_at) VALUES (?, 'org_default', 'Nightly', '', 'pending', 'cron', 'researcher', '{}', ?, ?, ?)",
      ).bind(ghost, t.id, `ses_${ghost}`, firedAt),
      env.DB.prepare("UPDATE cron_fires SET task_id = ? WHERE trigger_id = ?").bind(ghost, t.id),
    ]);
    await runDurableObjectAlarm(clock(t.id));
    const tasks = await tasksOf(t.id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).not.toBe(ghost);
    expect((await api("GET", `/tasks/${tasks[0]}`)).status).toBe(200);
    expect(await claimsOf(t.id)).toEqual([]);
  });

  it("after its task started but before the claim was settled: no second task", async () => {
    const t = await makeCron();
    const firedAt = await cutOffClaim(t.id, INTERRUPTED_AFTER_MS + 5_000);
    await runDurableObjectAlarm(clock(t.id));
    const [task] = await tasksOf(t.id);
    await env.DB.prepare("INSERT INTO cron_fires (trigger_id, fired_at, task_id) VALUES (?, ?, ?)").bind(t.id, firedAt, task).run();
    await runDurableObjectAlarm(clock(t.id));
    expect(await tasksOf(t.id)).toEqual([task]);
    expect(await claimsOf(t.id)).toEqual([]);
  });

  it("of a trigger paused since starts nothing, and says why", async () => {
    const t = await makeCron();
    await cutOffClaim(t.id, INTERRUPTED_AFTER_MS + 5_000);
    expect((await api("POST", `/triggers/${t.id}/pause`)).status).toBe(200);
    await runDurableObjectAlarm(clock(t.id));
    expect(await tasksOf(t.id)).toEqual([]);
    expect(await claimsOf(t.id)).toEqual([]);
    expect((await api("GET", `/triggers/${t.id}`)).json.last_error).toMatch(/deleted or paused/);
  });

  it("of a trigger deleted since goes with it", async () => {
    const t = await makeCron();
    await cutOffClaim(t.id, INTERRUPTED_AFTER_MS + 5_000);
    expect((await api("DELETE", `/triggers/${t.id}`)).status).toBe(204);
    expect(await claimsOf(t.id)).toEqual([]);
  });
});
