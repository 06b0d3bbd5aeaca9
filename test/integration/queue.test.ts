import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { queuedTask } from "../../worker/queue/admission";
import { singleStepPlan } from "../../worker/task/create";
import type { TaskMeta } from "../../worker/task/meta";
import type { TaskRunner } from "../../worker/task/runner";
import { api, expectError, makeOrg, tokenWithRole } from "../helpers";

/** A fresh organization (so caps are its own) with an admin token. */
async function org(name: string, maxConcurrent: number) {
  const id = `org_${name}_${crypto.randomUUID().slice(0, 8)}`;
  const token = await makeOrg(id);
  await api("PUT", "/agents/researcher", { token, body: { name: "researcher", model: "sim", tools: ["ask_human"] } });
  const res = await api("PATCH", "/settings", { token, body: { max_concurrent_tasks: maxConcurrent } });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  // A fresh stub each time: one taken before abortAllDurableObjects() is broken after it.
  return { id, token, get queue() { return env.ORG_QUEUE.get(env.ORG_QUEUE.idFromName(id)); } };
}

async function create(token: string, title: string, agent = "researcher") {
  const res = await api("POST", "/tasks", { token, body: { agent, title, description: "@ask go on?\n@output done" } });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.id as string;
}

async function detail(token: string, id: string) {
  return (await api("GET", `/tasks/${id}`, { token })).json;
}

async function waitFor(token: string, id: string, statuses: string[], timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await detail(token, id);
    if (statuses.includes(d.status)) return d;
    if (Date.now() > deadline) throw new Error(`task ${id} is ${d.status}, wanted ${statuses.join("|")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function answer(token: string, id: string) {
  const d = await waitFor(token, id, ["needs_input"]);
  const res = await api("POST", `/sessions/${d.session_id}/respond`, { token, body: { call_id: d.pending[0].call_id, answers: ["yes"] } });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
}

/**
 * The feed that writes the task's index row stops answering, as for a process that stops before the write
 * lands; the function returned makes it answer again.
 */
async function loseIndexWrites(stub: DurableObjectStub): Promise<() => Promise<void>> {
  await runInDurableObject(stub, (instance) => {
    const sync = (instance as unknown as TaskRunner).sync as unknown as { env: object };
    const lost = () => Promise.reject(new Error("feed unreachable"));
    Object.defineProperty(sync, "env", { value: { ...sync.env, ORG_FEED: { get: () => ({ writeIndex: lost, publish: lost }), idFromName: (n: string) => n } }, configurable: true });
  });
  return () => runInDurableObject(stub, (instance) => void Object.defineProperty((instance as unknown as TaskRunner).sync, "env", { value: env, configurable: true }));
}

const indexRow = (id: string) => env.DB.prepare("SELECT status, cost_nanos, pending FROM tasks WHERE id = ?").bind(id).first<{ status: string; cost_nanos: number; pending: string }>();

const statuses = async (token: string, ids: string[]) => Promise.all(ids.map(async (id) => (await detail(token, id)).status as string));
const active = (s: string[]) => s.filter((x) => x === "in_progress" || x === "needs_input").length;

describe("concurrency caps", () => {
  it("queues tasks past the organization's cap and starts them in arrival order as slots free, across restarts, each once", async () => {
    const o = await org("fifo", 1);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await create(o.token, `fifo ${i}`));
    await waitFor(o.token, ids[0], ["needs_input"]);
    expect(await statuses(o.token, ids)).toEqual(["needs_input", "pending", "pending", "pending"]);
    expect(await o.queue.snapshot()).toEqual({ running: [ids[0]], waiting: ids.slice(1) });

    for (let i = 0; i < ids.length; i++) {
      // Every object restarts from its storage: nothing queued is lost, nothing starts twice.
      await abortAllDurableObjects();
      const now = await statuses(o.token, ids);
      expect(now.slice(0, i)).toEqual(Array(i).fill("completed"));
      expect(now.slice(i + 1)).toEqual(Array(ids.length - i - 1).fill("pending"));
      expect(await o.queue.snapshot()).toEqual({ running: [ids[i]], waiting: ids.slice(i + 1) });
      await answer(o.token, ids[i]);
      await waitFor(o.token, ids[i], ["completed"]);
      if (i + 1 < ids.length) await waitFor(o.token, ids[i + 1], ["needs_input"]);
      expect(active(await statuses(o.token, ids))).toBeLessThanOrEqual(1);
    }

    const done = await Promise.all(ids.map((id) => detail(o.token, id)));
    for (const d of done) {
      expect(d.status).toBe("completed");
      expect(d.steps[0].runs).toHaveLength(1);
    }
    const started = done.map((d) => Date.parse(d.started_at));
    expect([...started].sort((a, b) => a - b)).toEqual(started);
    // the last one's slot is given back just after its finish is stored
    await expect.poll(() => o.queue.snapshot()).toEqual({ running: [], waiting: [] });
  });

  it("an admission written but never delivered (a crash in between) is delivered by the queue's alarm", async () => {
    const o = await org("crash", 1);
    const first = await create(o.token, "first");
    const second = await create(o.token, "second");
    await waitFor(o.token, first, ["needs_input"]);
    await runInDurableObject(o.queue, (_q, state) => {
      state.storage.sql.exec("DELETE FROM slots");
      state.storage.sql.exec("DELETE FROM waiting");
      state.storage.sql.exec("DELETE FROM waiting_agents");
      state.storage.sql.exec("INSERT INTO slots (task_id, agents, admitted_at, acked) VALUES (?, '[\"researcher\"]', 0, 0)", second);
    });
    await abortAllDurableObjects();
    expect((await detail(o.token, second)).status).toBe("pending");
    expect(await runDurableObjectAlarm(o.queue)).toBe(true);
    await waitFor(o.token, second, ["needs_input"]);
    expect((await detail(o.token, second)).steps[0].runs).toHaveLength(1);
  });

  it("a second start or admission of a task does nothing", async () => {
    const o = await org("idem", 5);
    const id = await create(o.token, "idem");
    await waitFor(o.token, id, ["needs_input"]);
    const stub = env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(id));
    expect(await stub.admit()).toBe("started");
    expect(await o.queue.enqueue({ org_id: o.id, task_id: id, created_at: Date.now(), agents: ["researcher"], bypass: false })).toBe(true);
    expect((await o.queue.snapshot()).running).toEqual([id]);
    await answer(o.token, id);
    const d = await waitFor(o.token, id, ["completed"]);
    expect(d.steps[0].runs).toHaveLength(1);
    expect(await stub.admit()).toBe("finished");
  });

  it("holds an agent to its own cap without holding back other agents", async () => {
    const o = await org("agentcap", 10);
    const created = await api("POST", "/agents", { token: o.token, body: { name: "solo", model: "sim", tools: ["ask_human"], max_concurrency: 1 } });
    expect(created.json.max_concurrency).toBe(1);
    const a1 = await create(o.token, "solo 1", "solo");
    const a2 = await create(o.token, "solo 2", "solo");
    // "other" arrives while "solo 2" waits, so it joins the line and the queue tells it to start from there
    // while its own offer is still on its way: its start stores and runs it (TaskRunner.admit during start)
    const r1 = await create(o.token, "other", "researcher");
    await waitFor(o.token, a1, ["needs_input"]);
    await waitFor(o.token, r1, ["needs_input"]);
    expect((await detail(o.token, a2)).status).toBe("pending");
    await answer(o.token, a1);
    await waitFor(o.token, a2, ["needs_input"]);

    // Raising the agent's cap starts what now fits at once.
    const a3 = await create(o.token, "solo 3", "solo");
    expect((await detail(o.token, a3)).status).toBe("pending");
    const put = await api("PUT", "/agents/solo", { token: o.token, body: { name: "solo", model: "sim", tools: ["ask_human"], max_concurrency: 2 } });
    expect(put.status).toBe(200);
    await waitFor(o.token, a3, ["needs_input"]);
  });

  it("a pending task's detail says which cap holds it back and its place in that line", async () => {
    const o = await org("why", 2);
    await api("POST", "/agents", { token: o.token, body: { name: "solo", model: "sim", tools: ["ask_human"], max_concurrency: 1 } });
    const s1 = await create(o.token, "solo 1", "solo");
    const s2 = await create(o.token, "solo 2", "solo");
    const s3 = await create(o.token, "solo 3", "solo");
    await waitFor(o.token, s1, ["needs_input"]);
    expect((await detail(o.token, s1)).waiting).toBeNull();
    expect((await detail(o.token, s2)).waiting).toEqual({ reason: "agent_cap", agent: "solo", cap: 1, position: 1 });
    expect((await detail(o.token, s3)).waiting).toEqual({ reason: "agent_cap", agent: "solo", cap: 1, position: 2 });

    // the organization's second slot goes to another agent's task; the next one waits for the organization
    const r1 = await create(o.token, "other 1");
    const r2 = await create(o.token, "other 2");
    const r3 = await create(o.token, "other 3");
    await waitFor(o.token, r1, ["needs_input"]);
    // the solo tasks ahead of them in line do not count: their own agent holds them back, so a freed slot goes to "other 2"
    expect((await detail(o.token, r2)).waiting).toEqual({ reason: "org_cap", cap: 2, position: 1 });
    expect((await detail(o.token, r3)).waiting).toEqual({ reason: "org_cap", cap: 2, position: 2 });

    // the line moves up as a task ahead leaves it
    expect((await api("DELETE", `/tasks/${s2}`, { token: o.token })).json.waiting).toBeNull();
    expect((await detail(o.token, s3)).waiting).toEqual({ reason: "agent_cap", agent: "solo", cap: 1, position: 1 });
    await api("DELETE", `/tasks/${r2}`, { token: o.token });
    expect((await detail(o.token, r3)).waiting).toEqual({ reason: "org_cap", cap: 2, position: 1 });
  });

  it("renaming an agent keeps its cap: its waiting tasks keep their places, and tasks under the new name count those already queued", async () => {
    const o = await org("rename", 10);
    const solo = { name: "solo", model: "sim", tools: ["ask_human"], max_concurrency: 1 };
    await api("POST", "/agents", { token: o.token, body: solo });
    const ids = [await create(o.token, "solo 1", "solo"), await create(o.token, "solo 2", "solo"), await create(o.token, "solo 3", "solo")];
    await waitFor(o.token, ids[0], ["needs_input"]);
    const put = await api("PUT", "/agents/solo", { token: o.token, body: { ...solo, name: "solo-new" } });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    // the rename has the queue read its caps before it answers: anything it started would be in the line's place
    expect(await o.queue.snapshot()).toEqual({ running: [ids[0]], waiting: ids.slice(1) });
    expect(await statuses(o.token, ids)).toEqual(["needs_input", "pending", "pending"]);
    expect((await detail(o.token, ids[2])).waiting).toEqual({ reason: "agent_cap", agent: "solo-new", cap: 1, position: 2 });

    ids.push(await create(o.token, "solo 4", "solo-new"));
    expect((await detail(o.token, ids[3])).waiting).toEqual({ reason: "agent_cap", agent: "solo-new", cap: 1, position: 3 });
    for (let i = 0; i < ids.length; i++) {
      await answer(o.token, ids[i]);
      await waitFor(o.token, ids[i], ["completed"]);
      if (i + 1 < ids.length) await waitFor(o.token, ids[i + 1], ["needs_input"]);
      const now = await statuses(o.token, ids);
      expect(active(now)).toBeLessThanOrEqual(1);
      expect(now.slice(i + 2)).toEqual(Array(Math.max(0, ids.length - i - 2)).fill("pending"));
    }
    const started = (await Promise.all(ids.map((id) => detail(o.token, id)))).map((d) => Date.parse(d.started_at));
    expect([...started].sort((a, b) => a - b)).toEqual(started);
  });

  it("deleting an agent leaves its cap on its tasks already running or waiting until they finish", async () => {
    const o = await org("gone", 10);
    const created = await api("POST", "/agents", { token: o.token, body: { name: "solo", model: "sim", tools: ["ask_human"], max_concurrency: 1 } });
    const ids = [await create(o.token, "solo 1", "solo"), await create(o.token, "solo 2", "solo"), await create(o.token, "solo 3", "solo")];
    await waitFor(o.token, ids[0], ["needs_input"]);
    expect((await api("DELETE", `/agents/${created.json.id}`, { token: o.token })).status).toBe(204);
    expect(await o.queue.snapshot()).toEqual({ running: [ids[0]], waiting: ids.slice(1) });
    expect((await detail(o.token, ids[2])).waiting).toEqual({ reason: "agent_cap", agent: "solo", cap: 1, position: 2 });

    // a restart keeps the cap too: the queue has it in its storage, as D1 no longer does
    await abortAllDurableObjects();
    await o.queue.refresh();
    expect(await o.queue.snapshot()).toEqual({ running: [ids[0]], waiting: ids.slice(1) });
    for (let i = 0; i < ids.length; i++) {
      await answer(o.token, ids[i]);
      await waitFor(o.token, ids[i], ["completed"]);
      if (i + 1 < ids.length) await waitFor(o.token, ids[i + 1], ["needs_input"]);
      expect(active(await statuses(o.token, ids))).toBeLessThanOrEqual(1);
    }
    // once they are done, the next read of the caps keeps the deleted agent's no longer
    for (let i = 0; (await o.queue.counts()).running > 0; i++) {
      expect(i).toBeLessThan(100);
      await new Promise((r) => setTimeout(r, 20));
    }
    await o.queue.refresh();
    await create(o.token, "other");
    expect(await runInDurableObject(o.queue, (_q, state) => state.storage.kv.get("agent_caps"))).toEqual({});
  });

  it("entries stored when the queue counted agents by name are counted by the agent's id after an update", async () => {
    const o = await org("upgrade", 10);
    const solo = { name: "solo", model: "sim", tools: ["ask_human"], max_concurrency: 1 };
    const agentId = (await api("POST", "/agents", { token: o.token, body: solo })).json.id as string;
    const ids = [await create(o.token, "solo 1", "solo"), await create(o.token, "solo 2", "solo")];
    await waitFor(o.token, ids[0], ["needs_input"]);
    // the storage as the queue's first version left it: agents named by name, no caps remembered
    await runInDurableObject(o.queue, (_q, state) => {
      const sql = state.storage.sql;
      sql.exec("UPDATE slots SET agents = '[\"solo\"]'");
      sql.exec("UPDATE waiting SET agents = '[\"solo\"]'");
      sql.exec("UPDATE waiting_agents SET agent = 'solo'");
      state.storage.kv.put("schema", 1);
      state.storage.kv.delete("agent_caps");
    });
    await abortAllDurableObjects();
    ids.push(await create(o.token, "solo 3", "solo"));
    expect(await o.queue.snapshot()).toEqual({ running: [ids[0]], waiting: ids.slice(1) });
    const stored = await runInDurableObject(o.queue, (_q, state) => ({
      schema: state.storage.kv.get("schema"),
      agents: [
        ...state.storage.sql.exec<{ agents: string }>("SELECT agents FROM slots UNION ALL SELECT agents FROM waiting").toArray().map((r) => r.agents),
        ...state.storage.sql.exec<{ agent: string }>("SELECT agent FROM waiting_agents").toArray().map((r) => r.agent),
      ],
    }));
    expect(stored).toEqual({ schema: 2, agents: [...Array(3).fill(JSON.stringify([agentId])), agentId, agentId] });

    expect((await api("PUT", "/agents/solo", { token: o.token, body: { ...solo, name: "solo-new" } })).status).toBe(200);
    expect(await o.queue.snapshot()).toEqual({ running: [ids[0]], waiting: ids.slice(1) });
    await answer(o.token, ids[0]);
    await waitFor(o.token, ids[1], ["needs_input"]);
    expect((await detail(o.token, ids[2])).waiting).toEqual({ reason: "agent_cap", agent: "solo-new", cap: 1, position: 1 });
  });

  it("a task cancelled while it waits leaves the line and never starts", async () => {
    const o = await org("cancel", 1);
    const first = await create(o.token, "first");
    const second = await create(o.token, "second");
    const third = await create(o.token, "third");
    await waitFor(o.token, first, ["needs_input"]);
    const res = await api("DELETE", `/tasks/${second}`, { token: o.token });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe("cancelled");
    expect((await o.queue.snapshot()).waiting).toEqual([third]);
    expect(await o.queue.counts()).toEqual({ running: 1, waiting: 1 });
    await answer(o.token, first);
    await waitFor(o.token, third, ["needs_input"]);
    const d = await detail(o.token, second);
    expect(d.status).toBe("cancelled");
    expect(d.steps[0].runs).toHaveLength(0);
  });

  it("raising the organization's cap starts waiting tasks at once", async () => {
    const o = await org("raise", 1);
    const ids = [await create(o.token, "r0"), await create(o.token, "r1"), await create(o.token, "r2")];
    await waitFor(o.token, ids[0], ["needs_input"]);
    const settings = await api("GET", "/settings", { token: o.token });
    expect(settings.json).toMatchObject({ max_concurrent_tasks: 1, queue: { running: 1, waiting: 2 } });
    await api("PATCH", "/settings", { token: o.token, body: { max_concurrent_tasks: 3 } });
    await waitFor(o.token, ids[1], ["needs_input"]);
    await waitFor(o.token, ids[2], ["needs_input"]);
  });

  it("sub-tasks never wait behind the cap their parent holds", async () => {
    const o = await org("child", 1);
    await api("POST", "/agents", { token: o.token, body: { name: "planner", model: "sim", tools: ["spawn_task"] } });
    const res = await api("POST", "/tasks", {
      token: o.token,
      body: { agent: "planner", title: "parent", description: '@tool spawn_task {"agent": "researcher", "title": "child", "description": "@output hi", "wait": true}\n@output parent done' },
    });
    const parent = await waitFor(o.token, res.json.id, ["completed"]);
    expect(parent.output).toBe("parent done");
  });

  it("validates caps and needs the admin role to change them", async () => {
    const o = await org("validate", 2);
    expectError(await api("PATCH", "/settings", { token: o.token, body: { max_concurrent_tasks: 0 } }), 400);
    expectError(await api("PATCH", "/settings", { token: o.token, body: { max_concurrent_tasks: 1.5 } }), 400);
    expectError(await api("PATCH", "/settings", { token: o.token, body: { unknown: 1 } }), 400);
    // an empty change is refused as a subscription's is, and leaves no audit entry
    const audited = async () => (await api("GET", "/audit?action=settings.update", { token: o.token })).json.items.length;
    const before = await audited();
    const empty = await api("PATCH", "/settings", { token: o.token, body: {} });
    expectError(empty, 400, "bad_request");
    expect(empty.json.error.message).toContain("change at least one field");
    expect(await audited()).toBe(before);
    expectError(await api("POST", "/agents", { token: o.token, body: { name: "bad", model: "sim", max_concurrency: 0 } }), 400);
    const member = await tokenWithRole("member", o.id);
    expectError(await api("PATCH", "/settings", { token: member, body: { max_concurrent_tasks: 5 } }), 403);
    expect((await api("GET", "/settings", { token: member })).json.max_concurrent_tasks).toBe(2);
    const reset = await api("PATCH", "/settings", { token: o.token, body: { max_concurrent_tasks: null } });
    expect(reset.json).toMatchObject({ max_concurrent_tasks: null, defaults: { max_concurrent_tasks: 100 } });
    expectError(await api("GET", "/settings", { token: null }), 401);
  });

  it("stores a task's admission with the write that starts its first step, and answers a repeated offer the same", async () => {
    const o = await org("admitted", 2);
    const id = await create(o.token, "admitted");
    await waitFor(o.token, id, ["needs_input"]);
    const stub = env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(id));
    const meta = await runInDurableObject(stub, async (instance, state) => {
      expect(state.storage.kv.get("queue")).toBeUndefined();
      return (instance as unknown as TaskRunner).meta!;
    });
    // had that write been lost, the task would wake held and offer itself again
    expect(await o.queue.enqueue(queuedTask(meta))).toBe(true);
    expect(await o.queue.snapshot()).toEqual({ running: [id], waiting: [] });
    await answer(o.token, id);
    await waitFor(o.token, id, ["completed"]);
  });

  it("frees a released slot at once and deletes its row with the queue's next write or within a second; a row a restart kept is swept", async () => {
    const o = await org("release", 3);
    const slotRows = () => runInDurableObject(o.queue, (_q, state) => state.storage.sql.exec<{ task_id: string }>("SELECT task_id FROM slots").toArray().map((r) => r.task_id));
    const first = await create(o.token, "first");
    await answer(o.token, first);
    await waitFor(o.token, first, ["completed"]);
    await o.queue.release(first);
    expect(await o.queue.counts()).toEqual({ running: 0, waiting: 0 });
    // the next write takes the row with it
    const second = await create(o.token, "second");
    await waitFor(o.token, second, ["needs_input"]);
    expect(await slotRows()).toEqual([second]);
    await answer(o.token, second);
    await waitFor(o.token, second, ["completed"]);
    // no write follows: the row goes within a second
    await new Promise((r) => setTimeout(r, 1_300));
    expect(await slotRows()).toEqual([]);

    // a release lost to a restart leaves the finished task's row; it holds a slot until the sweep finds the task finished
    await runInDurableObject(o.queue, (_q, state) => {
      state.storage.sql.exec("INSERT INTO slots (task_id, agents, admitted_at, acked) VALUES (?, '[\"researcher\"]', 0, 1)", second);
    });
    await abortAllDurableObjects();
    expect(await o.queue.counts()).toEqual({ running: 1, waiting: 0 });
    const third = await create(o.token, "third");
    await waitFor(o.token, third, ["needs_input"]);
    expect(await runDurableObjectAlarm(o.queue)).toBe(true);
    expect(await o.queue.snapshot()).toEqual({ running: [third], waiting: [] });
    await answer(o.token, third);
    await waitFor(o.token, third, ["completed"]);
  });

  it("stores the slots of arrivals that come together in shared commits, answering each once its row is stored, within the cap", async () => {
    const o = await org("together", 20);
    const arrivals = Array.from({ length: 30 }, (_, i) => ({ org_id: o.id, task_id: `tsk_together_${i}`, created_at: i, agents: ["researcher"], bypass: false }));
    const answers = await Promise.all(arrivals.map((t) => o.queue.enqueue(t)));
    expect(answers.filter(Boolean)).toHaveLength(20);
    const rows = await runInDurableObject(o.queue, (_q, state) => state.storage.sql.exec<{ task_id: string; acked: number }>("SELECT task_id, acked FROM slots").toArray());
    expect(rows.map((r) => r.task_id).sort()).toEqual(arrivals.filter((_, i) => answers[i]).map((t) => t.task_id).sort());
    expect(rows.every((r) => r.acked === 1)).toBe(true);
    expect((await o.queue.counts()).running).toBe(20);

    // a release that comes with its arrival, in either order, leaves no slot behind
    const p = await org("overtaken", 5);
    const late = { ...arrivals[0], org_id: p.id, task_id: "tsk_overtaken" };
    const first = { ...late, task_id: "tsk_first" };
    const second = { ...late, task_id: "tsk_second" };
    const gone = { ...late, task_id: "tsk_gone" };
    expect(await p.queue.enqueue(first)).toBe(true);
    await Promise.all([p.queue.enqueue(second), p.queue.enqueue(late), p.queue.release(late.task_id)]);
    await p.queue.release(gone.task_id);
    expect(await p.queue.enqueue(gone)).toBe(false);
    await new Promise((r) => setTimeout(r, 1_300));
    const stored = await runInDurableObject(p.queue, (_q, state) => state.storage.sql.exec<{ task_id: string }>("SELECT task_id FROM slots ORDER BY task_id").toArray());
    expect(stored.map((r) => r.task_id)).toEqual([first.task_id, second.task_id]);
    expect(await p.queue.counts()).toEqual({ running: 2, waiting: 0 });
  });

  it("answers the creator once the queue has the task, whose slot and first step are stored with its start, with the run's heartbeat alarm", async () => {
    const o = await org("offered", 5);
    const res = await api("POST", "/tasks", { token: o.token, body: { agent: "researcher", title: "offered", description: "@delay 400\n@output done" } });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    const id = res.json.id as string;
    expect((await o.queue.snapshot()).running).toEqual([id]);
    const stored = await runInDurableObject(env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(id)), async (_o, state) => ({
      queue: state.storage.kv.get("queue") ?? null,
      alarm: await state.storage.getAlarm(),
      steps: state.storage.sql.exec<{ status: string }>("SELECT status FROM nodes").toArray().map((r) => r.status),
    }));
    expect(stored).toEqual({ queue: null, alarm: expect.any(Number), steps: ["running"] });
    await waitFor(o.token, id, ["completed"]);
  });

  it("a slot whose task never stored its start is freed at the sweep; a running task's slot is kept", async () => {
    const o = await org("unstored", 5);
    const lost = await create(o.token, "lost");
    const kept = await create(o.token, "kept");
    await waitFor(o.token, lost, ["needs_input"]);
    await waitFor(o.token, kept, ["needs_input"]);
    // as if the object had restarted before its start was stored: it knows no task, and the index shows it pending
    await runInDurableObject(env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(lost)), (_o, state) => state.storage.deleteAll());
    await env.DB.prepare("UPDATE tasks SET status = 'pending' WHERE id = ?").bind(lost).run();
    await runInDurableObject(o.queue, (_q, state) => void state.storage.sql.exec("UPDATE slots SET admitted_at = 0"));
    await abortAllDurableObjects();
    expect(await runDurableObjectAlarm(o.queue)).toBe(true);
    expect(await o.queue.snapshot()).toEqual({ running: [kept], waiting: [] });
    await answer(o.token, kept);
    await waitFor(o.token, kept, ["completed"]);
  });

  it("keeps a finished task's slot until its index row shows the end, and the sweep has a row a restart lost written again", async () => {
    const o = await org("lostrow", 5);
    const res = await api("POST", "/tasks", { token: o.token, body: { agent: "researcher", title: "lost row", description: "@delay 300\n@output done" } });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    const id = res.json.id as string;
    const stub = env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(id));
    await loseIndexWrites(stub);
    expect(await stub.waitForResult(5_000)).toBe("completed");
    await new Promise((r) => setTimeout(r, 300));
    expect((await indexRow(id))!.status).not.toBe("completed");
    expect((await o.queue.snapshot()).running).toEqual([id]);

    await abortAllDurableObjects();
    await runInDurableObject(o.queue, (_q, state) => void state.storage.sql.exec("UPDATE slots SET admitted_at = 0"));
    expect(await runDurableObjectAlarm(o.queue)).toBe(true);
    const written = await indexRow(id);
    expect(written!.status).toBe("completed");
    expect(written!.cost_nanos).toBeGreaterThan(0);
    expect(await o.queue.snapshot()).toEqual({ running: [], waiting: [] });
  });

  it("keeps the slot of a finished task whose index write was given up on, and the sweep has the row written", async () => {
    const o = await org("givenup", 5);
    const res = await api("POST", "/tasks", { token: o.token, body: { agent: "researcher", title: "given up", description: "@delay 100\n@output done" } });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    const id = res.json.id as string;
    const stub = env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(id));
    const restore = await loseIndexWrites(stub);
    expect(await stub.waitForResult(5_000)).toBe("completed");
    // past the write's retries (6.2 s)
    await new Promise((r) => setTimeout(r, 7_000));
    expect((await indexRow(id))!.status).not.toBe("completed");
    expect((await o.queue.snapshot()).running).toEqual([id]);

    await restore();
    await runInDurableObject(o.queue, (_q, state) => void state.storage.sql.exec("UPDATE slots SET admitted_at = 0"));
    expect(await runDurableObjectAlarm(o.queue)).toBe(true);
    expect((await indexRow(id))!.status).toBe("completed");
    expect(await o.queue.snapshot()).toEqual({ running: [], waiting: [] });
  }, 15_000);

  it("the sweep has a task whose index row a restart left waiting for a person, though it went on, write its row again", async () => {
    const o = await org("lostanswer", 5);
    const kept = await create(o.token, "kept");
    const id = await create(o.token, "answered");
    await waitFor(o.token, kept, ["needs_input"]);
    const d = await waitFor(o.token, id, ["needs_input"]);
    const stub = env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(id));
    // the row says it waits before the writes are lost: the object answers needs_input before its write lands
    await stub.settled();
    await loseIndexWrites(stub);
    const res = await api("POST", `/sessions/${d.session_id}/respond`, { token: o.token, body: { call_id: d.pending[0].call_id, answers: ["yes"] } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(await stub.waitForResult(5_000)).toBe("completed");
    expect((await indexRow(id))!.status).toBe("needs_input");

    await abortAllDurableObjects();
    await runInDurableObject(o.queue, (_q, state) => void state.storage.sql.exec("UPDATE slots SET admitted_at = 0"));
    expect(await runDurableObjectAlarm(o.queue)).toBe(true);
    expect(await indexRow(id)).toMatchObject({ status: "completed", pending: "[]" });
    // one whose row is right waits on, untouched
    expect(await o.queue.snapshot()).toEqual({ running: [kept], waiting: [] });
    expect((await indexRow(kept))!.status).toBe("needs_input");
  });

  it("the sweep resumes a step a restart stopped in a task that also waits for a person", async () => {
    const o = await org("waitsibling", 5);
    const plan = await api("POST", "/plans", { token: o.token, body: { name: "ask and work", steps: [
      { id: "ask", agent: "researcher", instructions: "@ask go on?\n@output asked" },
      { id: "work", agent: "researcher", instructions: "@delay 1000\n@output worked" },
    ] } });
    expect(plan.status, JSON.stringify(plan.json)).toBe(201);
    const run = await api("POST", `/plans/${plan.json.id}/run`, { token: o.token, body: { inputs: {} } });
    expect(run.status, JSON.stringify(run.json)).toBe(201);
    const id = run.json.id as string;
    await waitFor(o.token, id, ["needs_input"]);
    // restarted: the sweep may come before the run's heartbeat
    await abortAllDurableObjects();
    await new Promise((r) => setTimeout(r, 1_200));
    await runInDurableObject(o.queue, (_q, state) => void state.storage.sql.exec("UPDATE slots SET admitted_at = 0"));
    expect(await runDurableObjectAlarm(o.queue)).toBe(true);
    const d = await waitFor(o.token, id, ["needs_input"]);
    const deadline = Date.now() + 5_000;
    let work = d.steps.find((st: { id: string }) => st.id === "work");
    while (work.status !== "completed" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      work = (await detail(o.token, id)).steps.find((st: { id: string }) => st.id === "work");
    }
    expect(work).toMatchObject({ status: "completed", output: "worked" });
    expect(work.runs).toHaveLength(1);
  });

  it("stores a task whose offer fails as held, and offers it again from its alarm", async () => {
    const id = `tsk_held_${crypto.randomUUID()}`;
    const stub = env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(id));
    const meta: TaskMeta = {
      id, org_id: "org_default", title: "held", description: "@output ok", source: "api", created_by: { type: "token", id: "tok_bootstrap", name: "admin" },
      parent_id: null, rerun_of: null, trigger_id: null, session_id: `ses_${crypto.randomUUID()}`, plan: singleStepPlan("writer", "held", "@output ok"),
      plan_id: null, plan_version: null, inputs: {}, max_cost_nanos: null, reused: {}, created_at: Date.now(),
      agents: { writer: { id: "agt_writer", name: "writer", model: "sim", system_prompt: "", tools: [], max_turns: 5, max_cost_nanos: null } },
    };
    await runInDurableObject(stub, async (instance, state) => {
      const o = instance as unknown as TaskRunner;
      const real = (o as unknown as { env: object }).env;
      const unreachable = { get: () => ({ enqueue: () => Promise.reject(new Error("queue unreachable")) }), idFromName: (n: string) => n };
      Object.defineProperty(o, "env", { value: { ...real, ORG_QUEUE: unreachable }, configurable: true });
      await o.start(meta);
      await new Promise((r) => setTimeout(r, 50));
      Object.defineProperty(o, "env", { value: real, configurable: true });
      expect(o.status).toBe("pending");
      expect(state.storage.kv.get("queue")).toBe("held");
      expect(await state.storage.getAlarm()).not.toBeNull();
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.waitForResult(5_000)).toBe("completed");
  });
});

describe("the queue's sweep and dashboard sessions", () => {
  it("deletes the organization's expired sessions, which were refused already; live ones and other organizations' stay", async () => {
    const o = await org("sessions", 5);
    const signIn = async () => (await api("POST", "/auth/session", { token: null, body: { token: o.token } })).headers.get("set-cookie")!.split(";")[0];
    const [old, live] = [await signIn(), await signIn()];
    const hash = async (cookie: string) => {
      const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(cookie.split("=")[1]));
      return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
    };
    await env.DB.prepare("UPDATE auth_sessions SET expires_at = ? WHERE id_hash = ?").bind(Date.now() - 1, await hash(old)).run();
    await env.DB.prepare("INSERT INTO auth_sessions (id_hash, token_id, org_id, created_at, expires_at) VALUES (?, 'tok_elsewhere', 'org_elsewhere', 0, 1)").bind(`elsewhere_${o.id}`).run();
    expectError(await api("GET", "/tasks", { token: null, headers: { cookie: old } }), 401, "unauthorized");
    expect((await api("GET", "/tasks", { token: null, headers: { cookie: live } })).status).toBe(200);

    await create(o.token, "keeps the queue's alarm armed");
    expect(await runDurableObjectAlarm(o.queue)).toBe(true);
    const left = await env.DB.prepare("SELECT id_hash FROM auth_sessions WHERE org_id = ?").bind(o.id).all<{ id_hash: string }>();
    expect(left.results.map((r) => r.id_hash)).toEqual([await hash(live)]);
    expect(await env.DB.prepare("SELECT 1 AS x FROM auth_sessions WHERE id_hash = ?").bind(`elsewhere_${o.id}`).first()).not.toBeNull();
    expect((await api("GET", "/tasks", { token: null, headers: { cookie: live } })).status).toBe(200);
  });
});
