import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TaskRunner } from "../../worker/task/runner";
import { api, BASE, createTask, expectError, makeOrg, taskStub, tokenWithRole, waitForStatus, workerFetch } from "../helpers";

const DAY = 86_400_000;

async function storedTables(id: string) {
  return runInDurableObject(taskStub(id), (_t, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'turns'").toArray().length);
}

describe("deleting a finished task", () => {
  it("removes its index row, its storage and its traces, and keeps its spend", async () => {
    const t = await createTask({ agent: "researcher", title: "to purge", description: "@search otters\n@output done" });
    const done = await waitForStatus(t.id, ["completed"]);
    expect(done.cost).toBeGreaterThan(0);
    expect(await storedTables(t.id)).toBe(1);
    const spendBefore = await env.DB.prepare("SELECT sum(cost_nanos) AS n FROM spend WHERE task_id = ?").bind(t.id).first<{ n: number }>();
    expect(spendBefore!.n).toBe(Math.round(done.cost * 1e9));

    const res = await api("DELETE", `/tasks/${t.id}/purge`);
    expect(res.status).toBe(204);
    expectError(await api("GET", `/tasks/${t.id}`), 404);
    expectError(await api("GET", `/tasks/${t.id}/steps/main/runs/1/trace`), 404);
    expect((await api("GET", "/tasks?q=purge")).json.items.map((i: { id: string }) => i.id)).not.toContain(t.id);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE id = ?").bind(t.id).first("n")).toBe(0);
    expect(await runInDurableObject(taskStub(t.id), async (runner, state) => ({ alarm: await state.storage.getAlarm(), meta: (runner as unknown as TaskRunner).meta }))).toEqual({ alarm: null, meta: null });
    expect(await storedTables(t.id)).toBe(0);
    const spendAfter = await env.DB.prepare("SELECT sum(cost_nanos) AS n FROM spend WHERE task_id = ?").bind(t.id).first<{ n: number }>();
    expect(spendAfter!.n).toBe(spendBefore!.n);
    expectError(await api("DELETE", `/tasks/${t.id}/purge`), 404);
    const audit = await api("GET", "/audit?action=task.purge");
    expect(audit.json.items[0]).toMatchObject({ action: "task.purge", target: { type: "task", id: t.id } });
  });

  it("tells open dashboards, so the task leaves their lists without a reload (purge and retention alike)", async () => {
    const orgId = `org_ret_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(orgId);
    const t = (await api("POST", "/tasks", { token, body: { agent: "researcher", title: "leaving", description: "@output x" } })).json;
    await waitForStatus(t.id, ["completed"], 10_000, token);
    const feed = await workerFetch(new Request(`${BASE}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } }));
    const reader = feed.body!.getReader();
    let text = "";
    const seen = (async () => {
      while (!text.includes("event: task.deleted")) {
        const next = await reader.read();
        if (next.done) break;
        text += new TextDecoder().decode(next.value);
      }
    })();
    expect((await api("DELETE", `/tasks/${t.id}/purge`, { token })).status).toBe(204);
    await Promise.race([seen, new Promise((r) => setTimeout(r, 5000))]);
    await reader.cancel().catch(() => {});
    const frame = text.split("\n\n").find((f) => f.includes("event: task.deleted"));
    expect(frame, text).toBeTruthy();
    expect(JSON.parse(frame!.split("data: ")[1])).toMatchObject({ id: t.id, title: "leaving", status: "completed" });
  });

  it("refuses a task that has not finished, and needs the admin role", async () => {
    const t = await createTask({ agent: "researcher", title: "still asking", description: "@ask ok?\n@output x" });
    await waitForStatus(t.id, ["needs_input"]);
    expectError(await api("DELETE", `/tasks/${t.id}/purge`), 409, "conflict");
    const member = await tokenWithRole("member");
    expectError(await api("DELETE", `/tasks/${t.id}/purge`, { token: member }), 403);
    // DELETE without /purge still cancels, as before.
    expect((await api("DELETE", `/tasks/${t.id}`)).json.status).toBe("cancelled");
    expectError(await api("DELETE", `/tasks/${t.id}/purge`, { token: member }), 403);
    expect((await api("DELETE", `/tasks/${t.id}/purge`)).status).toBe(204);
  });

  it("is confined to the caller's organization", async () => {
    const other = await makeOrg(`org_ret_${crypto.randomUUID().slice(0, 8)}`);
    const t = await createTask({ agent: "researcher", title: "mine", description: "@output x" });
    await waitForStatus(t.id, ["completed"]);
    expectError(await api("DELETE", `/tasks/${t.id}/purge`, { token: other }), 404);
    expect((await api("GET", `/tasks/${t.id}`)).status).toBe(200);
  });
});

describe("retention period", () => {
  it("an alarm deletes the organization's finished tasks older than the period, and nothing else", async () => {
    const orgId = `org_ret_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(orgId);
    const mk = async (title: string, description: string) => (await api("POST", "/tasks", { token, body: { agent: "researcher", title, description } })).json.id as string;
    const old = await mk("old", "@output old");
    const recent = await mk("recent", "@output recent");
    const waiting = await mk("waiting", "@delay 60000\n@output never");
    for (const id of [old, recent]) await taskStub(id).settled();
    const deadline = Date.now() + 5000;
    while ((await env.DB.prepare("SELECT status FROM tasks WHERE id = ?").bind(recent).first("status")) !== "completed" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // Pretend `old` (and the running one) finished or started long ago.
    await env.DB.prepare("UPDATE tasks SET finished_at = ? WHERE id = ?").bind(Date.now() - 10 * DAY, old).run();
    await env.DB.prepare("UPDATE tasks SET created_at = ? WHERE id = ?").bind(Date.now() - 10 * DAY, waiting).run();

    expectError(await api("PATCH", "/settings", { token, body: { retention_days: 0 } }), 400);
    const res = await api("PATCH", "/settings", { token, body: { retention_days: 7 } });
    expect(res.json.retention_days).toBe(7);
    const janitor = env.RETENTION_JANITOR.get(env.RETENTION_JANITOR.idFromName(orgId));
    // The first sweep is due at once; it may already have run on its own, or be running (then this rings nothing and
    // returns before that sweep's deletes are done: the poll waits for them).
    await runDurableObjectAlarm(janitor);

    await expect.poll(async () => (await api("GET", `/tasks/${old}`, { token })).status).toBe(404);
    expect((await api("GET", `/tasks/${recent}`, { token })).status).toBe(200);
    expect((await api("GET", `/tasks/${waiting}`, { token })).status).toBe(200);
    // The next sweep is armed about an hour out.
    const next = await janitor.nextSweep();
    expect(next! - Date.now()).toBeGreaterThan(50 * 60_000);

    // Without a period the janitor stops.
    await api("PATCH", "/settings", { token, body: { retention_days: null } });
    expect(await runDurableObjectAlarm(janitor)).toBe(true);
    expect(await janitor.nextSweep()).toBeNull();
    await api("DELETE", `/tasks/${waiting}`, { token });
  });

  it("keeps sweeping after a sweep that failed, rather than stopping for good once the platform gives up on its alarm", async () => {
    const orgId = `org_ret_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(orgId);
    expect((await api("PATCH", "/settings", { token, body: { retention_days: 7 } })).status).toBe(200);
    const janitor = env.RETENTION_JANITOR.get(env.RETENTION_JANITOR.idFromName(orgId));
    await runDurableObjectAlarm(janitor);
    const unreachable = { prepare: () => { throw new Error("D1_ERROR: Network connection lost."); } } as unknown as D1Database;
    const setDb = (db: D1Database) => runInDurableObject(janitor, (instance) => void Object.assign(instance, { env: { ...env, DB: db } }));
    await setDb(unreachable);
    try {
      await runInDurableObject(janitor, (_j, state) => state.storage.setAlarm(Date.now() + 60_000));
      expect(await runDurableObjectAlarm(janitor)).toBe(true);
      const retry = await janitor.nextSweep();
      expect(retry).not.toBeNull();
      expect(retry! - Date.now()).toBeLessThan(10 * 60_000);
    } finally {
      await setDb(env.DB);
    }
    expect(await runDurableObjectAlarm(janitor)).toBe(true);
    expect((await janitor.nextSweep())! - Date.now()).toBeGreaterThan(50 * 60_000);
  });
});
