import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { taskStub } from "../../worker/task/stub";
import { INTERRUPTED_AFTER_MS, undoInterruptedCreates } from "../../worker/task/interrupted";
import { auditStatement } from "../../worker/lib/audit";
import { api, makeOrg } from "../helpers";

/** What a create leaves when the process stops between its D1 batch and its task's start: the row and its audit entry. */
async function interruptedCreate(org: string, ageMs: number) {
  const id = `tsk_cut_${crypto.randomUUID().slice(0, 8)}`;
  const at = Date.now() - ageMs;
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO tasks (id, org_id, title, description, status, source, agent, created_by, session_id, created_at) VALUES (?, ?, 'cut off', '', 'pending', 'api', 'researcher', '{}', ?, ?)",
    ).bind(id, org, `ses_${id}`, at),
    auditStatement(env.DB, { org_id: org, actor: { type: "token", id: "tok_x", name: "x" }, action: "task.create", target_type: "task", target_id: id }, at),
  ]);
  return id;
}

const row = (id: string) => env.DB.prepare("SELECT status, pending, index_version FROM tasks WHERE id = ?").bind(id).first<{ status: string; pending: string; index_version: number }>();
const auditOf = (id: string) => env.DB.prepare("SELECT action FROM audit_log WHERE target_id = ?").bind(id).all();

describe("creates a restart interrupted", () => {
  it("are undone once a minute old: row and audit entry gone, and a start arriving after all refused", async () => {
    const org = `org_cut_${crypto.randomUUID().slice(0, 8)}`;
    await makeOrg(org);
    const young = await interruptedCreate(org, 1_000);
    const old = await interruptedCreate(org, INTERRUPTED_AFTER_MS + 1_000);
    expect(await undoInterruptedCreates(env, org)).toEqual({ looked: 1, undone: [old] });
    expect(await row(old)).toBeNull();
    expect((await auditOf(old)).results).toEqual([]);
    expect(await row(young)).not.toBeNull();
    const late = await taskStub(env, old)
      .start({ id: old } as never)
      .then(() => null, (e: unknown) => e);
    expect(String(late)).toMatch(/undone/);
    expect((await undoInterruptedCreates(env, org, Date.now() + INTERRUPTED_AFTER_MS)).undone).toEqual([young]);
  });

  it("never give an undone create's audit number to the next entry, which a client may have seen listed", async () => {
    const org = `org_cut_${crypto.randomUUID().slice(0, 8)}`;
    await makeOrg(org);
    const old = await interruptedCreate(org, INTERRUPTED_AFTER_MS + 1_000);
    const numberOf = (id: string) => env.DB.prepare("SELECT org_seq FROM audit_log WHERE org_id = ? AND target_id = ?").bind(org, id).first<number>("org_seq");
    const undoneNumber = await numberOf(old);
    expect(undoneNumber).toBeGreaterThan(0);
    expect((await undoInterruptedCreates(env, org)).undone).toEqual([old]);
    const next = await interruptedCreate(org, 0);
    expect(await numberOf(next)).toBe(undoneNumber! + 1);
  });

  it("leave a task its object holds alone (one queued behind a cap), and have it write its row", async () => {
    const org = `org_cut_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(org);
    expect((await api("PATCH", "/settings", { token, body: { max_concurrent_tasks: 1 } })).status).toBe(200);
    const first = (await api("POST", "/tasks", { token, body: { agent: "researcher", title: "holds the slot", description: "@delay 3000\n@output held" } })).json;
    await expect.poll(async () => (await api("GET", `/tasks/${first.id}`, { token })).json.status).toBe("in_progress");
    const queued = (await api("POST", "/tasks", { token, body: { agent: "researcher", title: "queued", description: "@output q" } })).json;
    expect(await row(queued.id)).toMatchObject({ status: "pending", index_version: 0 });
    expect((await undoInterruptedCreates(env, org, Date.now() + INTERRUPTED_AFTER_MS)).undone).toEqual([]);
    await expect.poll(async () => (await row(queued.id))?.index_version).toBeGreaterThan(0);
    expect((await api("GET", `/tasks/${queued.id}`, { token })).json.status).toBe("pending");
  });

  it("are looked for when the tasks are listed, after the answer", async () => {
    const org = `org_cut_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(org);
    const ghost = await interruptedCreate(org, INTERRUPTED_AFTER_MS + 1_000);
    const listed = await api("GET", "/tasks", { token });
    expect(listed.json.items.map((t: { id: string }) => t.id)).toContain(ghost);
    await expect.poll(() => row(ghost)).toBeNull();
    expect((await api("GET", "/tasks", { token })).json.items).toEqual([]);
  });
});

describe("an index row a restart left behind its task", () => {
  it("is written again when the task is looked at", async () => {
    const org = `org_behind_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(org);
    const task = (await api("POST", "/tasks", { token, body: { agent: "researcher", title: "behind", description: "@output done" } })).json;
    expect(await taskStub(env, task.id).waitForResult(5_000)).toBe("completed");
    await taskStub(env, task.id).settled();
    // the row as its last write but one left it, with no slot left to bring the queue's sweep
    await env.DB.prepare("UPDATE tasks SET status = 'in_progress', index_version = 2, finished_at = NULL WHERE id = ?").bind(task.id).run();
    expect((await api("GET", "/tasks", { token })).json.items[0].status).toBe("in_progress");
    expect((await api("GET", `/tasks/${task.id}`, { token })).json.status).toBe("completed");
    await expect.poll(async () => (await row(task.id))?.status).toBe("completed");
    expect((await api("GET", "/tasks", { token })).json.items[0]).toMatchObject({ status: "completed", output: "done" });
  });

  it("is written again when the task is looked at with the same status but another question than lists show", async () => {
    const tag = `zb${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const task = (await api("POST", "/tasks", { body: { agent: "writer", title: `${tag} asks`, description: "@ask Which one?\n@output done" } })).json;
    expect(await taskStub(env, task.id).waitForResult(5_000)).toBe("needs_input");
    await taskStub(env, task.id).settled();
    // the row as a write before the question left it, the status already needs_input
    await env.DB.prepare("UPDATE tasks SET pending = '[]', index_version = 1 WHERE id = ?").bind(task.id).run();
    expect((await api("GET", `/tasks?q=${tag}`)).json.items[0].pending).toEqual([]);
    expect((await api("GET", `/tasks/${task.id}`)).json.pending).toHaveLength(1);
    await expect.poll(async () => JSON.parse((await row(task.id))?.pending ?? "[]")).toHaveLength(1);
    expect((await api("GET", `/tasks?q=${tag}`)).json.items[0].pending[0]).toMatchObject({ kind: "question", question: "Which one?" });
    await api("DELETE", `/tasks/${task.id}`);
  });
});
