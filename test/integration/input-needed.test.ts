import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TaskRunner } from "../../worker/task/runner";
import { saveNode } from "../../worker/task/store";
import { ADMIN, api, BASE, createTask, taskStub, waitForStatus, workerFetch } from "../helpers";

type Task = { id: string; title: string; status: string; parent_id: string | null; session_id: string; pending: { call_id: string }[]; input_needed_in: { step: string; task_id: string; title: string }[] };

const spawn = (title: string, description: string, agent = "planner") => `@tool spawn_task ${JSON.stringify({ title, description, agent, wait: true })}`;

async function poll<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const detail = async (id: string) => (await api("GET", `/tasks/${id}`)).json as Task;

/** The task's stream from its start until it ends (the task finished) or `timeoutMs` passes. */
async function streamText(id: string, timeoutMs = 10_000): Promise<string> {
  const res = await workerFetch(new Request(`${BASE}/api/v1/tasks/${id}/events`, { headers: { authorization: `Bearer ${ADMIN}` } }));
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const left = deadline - Date.now();
      const next = left > 0 ? await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), left))]) : null;
      if (next === null || next.done) return text;
      text += decoder.decode(next.value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

const taskUpdates = (text: string) =>
  [...text.matchAll(/^event: task\.updated\ndata: (.*)$/gm)].map((m) => JSON.parse(m[1]) as { status: string; input_needed_in?: Task["input_needed_in"] });

describe("a task waiting on a sub-task that asks a person", () => {
  it("stays in_progress and names the task asking, through nested sub-tasks, in its detail, lists and stream, until the answer", async () => {
    const tag = `zi${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const leaf = spawn(`${tag} leaf`, "@ask Which segment?\n@output leaf done");
    // the middle task goes on a while after its sub-task finishes, so its parent is seen no longer waiting on a person first
    const middle = spawn(`${tag} middle`, `${leaf}\n@delay 400\n@output middle done`);
    const top = await createTask({ agent: "planner", title: `${tag} top`, description: `${middle}\n@output top done` });
    const stream = streamText(top.id);

    const byTitle = async (suffix: string) => ((await api("GET", `/tasks?q=${tag}&source=agent`)).json.items as Task[]).find((t) => t.title === `${tag} ${suffix}`);
    const leafTask = await poll(() => byTitle("leaf"), (t) => t?.status === "needs_input", "the leaf to ask");
    const mid = (await byTitle("middle"))!;
    const asking = { task_id: leafTask!.id, title: `${tag} leaf` };

    const topSeen = await poll(() => detail(top.id), (t) => t.input_needed_in.length > 0, "the top task to say a sub-task asks");
    expect(topSeen).toMatchObject({ status: "in_progress", pending: [], input_needed_in: [{ step: "main", ...asking }] });
    expect((await detail(mid.id)).input_needed_in).toEqual([{ step: "main", ...asking }]);
    expect((await detail(leafTask!.id)).input_needed_in).toEqual([]);
    // the index row (lists, the board's feed) says it too
    const listed = await poll(async () => ((await api("GET", `/tasks?q=${tag}`)).json.items as Task[]).find((t) => t.id === top.id)!, (t) => t.input_needed_in.length > 0, "the list to say so");
    expect(listed).toMatchObject({ status: "in_progress", input_needed_in: [{ step: "main", ...asking }] });
    const summary = (await api("GET", `/tasks/summary?q=${tag}`)).json;
    expect(summary.groups.in_progress.items.find((t: Task) => t.id === top.id).input_needed_in).toEqual([{ step: "main", ...asking }]);

    const waiting = await detail(leafTask!.id);
    expect((await api("POST", `/sessions/${waiting.session_id}/respond`, { body: { call_id: waiting.pending[0].call_id, answers: ["enterprise"] } })).status).toBe(200);
    // answered: the top task no longer says so while its sub-task still works
    const after = await poll(() => detail(top.id), (t) => t.input_needed_in.length === 0, "the top task to stop saying so");
    expect(after.status).toBe("in_progress");
    const done = await waitForStatus(top.id, ["completed"]);
    expect(done.input_needed_in).toEqual([]);
    expect(((await api("GET", `/tasks?q=${tag}`)).json.items as Task[]).find((t) => t.id === top.id)!.input_needed_in).toEqual([]);

    // its stream said when the person was asked and when no longer, before the end, its status in_progress throughout
    const updates = taskUpdates(await stream);
    const asked = updates.findIndex((u) => u.input_needed_in?.length);
    expect(asked).toBeGreaterThanOrEqual(0);
    expect(updates[asked]).toMatchObject({ status: "in_progress", input_needed_in: [{ step: "main", ...asking }] });
    const cleared = updates.findIndex((u, i) => i > asked && u.input_needed_in?.length === 0);
    expect(cleared).toBeGreaterThan(asked);
    expect(updates[cleared].status).toBe("in_progress");
    expect(updates.at(-1)!.status).toBe("completed");
  });

  it("names nothing for a sub-task not waited on, and stops naming one when the task is cancelled", async () => {
    const tag = `zj${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const loose = `@tool spawn_task ${JSON.stringify({ title: `${tag} loose`, description: "@ask Anyone?\n@output x", agent: "writer" })}`;
    const top = await createTask({ agent: "planner", title: `${tag} top`, description: `${loose}\n${spawn(`${tag} held`, "@ask Which?\n@output y", "writer")}\n@output top done` });
    const byTitle = async (suffix: string) => ((await api("GET", `/tasks?q=${tag}&source=agent`)).json.items as Task[]).find((t) => t.title === `${tag} ${suffix}`);
    const held = await poll(() => byTitle("held"), (t) => t?.status === "needs_input", "the waited-on sub-task to ask");
    await poll(() => byTitle("loose"), (t) => t?.status === "needs_input", "the other sub-task to ask");
    const seen = await poll(() => detail(top.id), (t) => t.input_needed_in.length > 0, "the top task to say so");
    expect(seen.input_needed_in).toEqual([{ step: "main", task_id: held!.id, title: `${tag} held` }]);
    expect((await api("DELETE", `/tasks/${top.id}`)).status).toBe(200);
    const cancelled = await waitForStatus(top.id, ["cancelled"]);
    expect(cancelled.input_needed_in).toEqual([]);
    expect(((await api("GET", `/tasks?q=${tag}&status=cancelled`)).json.items as Task[]).find((t) => t.id === top.id)!.input_needed_in).toEqual([]);
  });

  it("finds again at its heartbeat what a lost report of its sub-task would have said", async () => {
    const tag = `zk${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const top = await createTask({ agent: "planner", title: `${tag} top`, description: `${spawn(`${tag} held`, "@ask Which?\n@output y", "writer")}\n@output top done` });
    const seen = await poll(() => detail(top.id), (t) => t.input_needed_in.length > 0, "the top task to say so");
    // the heartbeat reads the sub-task's index row, written through its organization's group commit, maybe after its report
    const held = seen.input_needed_in[0].task_id;
    await poll(async () => ((await api("GET", `/tasks?q=${tag}&source=agent`)).json.items as Task[]).find((t) => t.id === held), (t) => t?.status === "needs_input", "the sub-task's row to say it asks");
    await runInDurableObject(taskStub(top.id), (inst: TaskRunner) => {
      const node = inst.node("main");
      if (node.waiting?.kind !== "child") throw new Error("not waiting on its sub-task");
      delete node.waiting.input;
      saveNode(inst.sql, node);
    });
    expect((await detail(top.id)).input_needed_in).toEqual([]);
    await runDurableObjectAlarm(taskStub(top.id));
    expect((await detail(top.id)).input_needed_in).toEqual(seen.input_needed_in);
    await poll(async () => ((await api("GET", `/tasks?q=${tag}`)).json.items as Task[]).find((t) => t.id === top.id)!, (t) => t.input_needed_in.length > 0, "the list to say so again");
    await api("DELETE", `/tasks/${top.id}`);
  });
});
