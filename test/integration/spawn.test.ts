import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SPAWN_LIMITS } from "../../worker/task/create";
import type { TaskRunner } from "../../worker/task/runner";
import { saveNode } from "../../worker/task/store";
import { api, createTask, taskStub, until, waitForStatus } from "../helpers";

describe("spawn_task", () => {
  it("starts a child task with source agent; the parent waits for its result and shows its cost apart", async () => {
    const parent = await createTask({
      agent: "planner",
      title: "delegate",
      description: '@tool spawn_task {"title": "sub job", "description": "@output child result", "agent": "writer", "wait": true}\n@output parent done',
    });
    const done = await waitForStatus(parent.id, ["completed"]);
    expect(done.output).toBe("parent done");
    const kids = (await api("GET", `/tasks?source=agent&q=sub`)).json.items.filter((t: { parent_id: string }) => t.parent_id === parent.id);
    expect(kids).toHaveLength(1);
    const child = await waitForStatus(kids[0].id, ["completed"]);
    expect(child).toMatchObject({ source: "agent", parent_id: parent.id, output: "child result", created_by: { type: "agent", id: parent.id } });
    expect(done.children.count).toBe(1);
    expect(done.children.cost).toBeCloseTo(child.cost, 12);
    expect(done.cost).toBeGreaterThan(0);
    const trace = (await api("GET", `/tasks/${parent.id}/steps/main/runs/1/trace`)).json;
    const result = trace.turns[0].tool_results[0].result;
    expect(JSON.parse(result)).toMatchObject({ task_id: child.id, status: "completed", output: "child result" });
  });

  it("lists a task's sub-tasks with ?parent_id=, with the other filters, any sort, and in the summary", async () => {
    const tag = `zp${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const spawn = (title: string, description: string) => `@tool spawn_task ${JSON.stringify({ title, description, agent: "writer", wait: true })}`;
    const parent = await createTask({
      agent: "planner",
      title: `${tag} parent`,
      description: `${spawn(`${tag} alpha`, "@output a")}\n${spawn(`${tag} beta`, "@fail permanent")}\n@output parent done`,
    });
    const done = await waitForStatus(parent.id, ["completed"]);
    expect(done.children.count).toBe(2);
    const ids = async (query: string) => ((await api("GET", `/tasks?parent_id=${parent.id}${query}`)).json.items as { id: string; title: string; parent_id: string }[]);
    const all = await ids("");
    expect(all.map((t) => t.title).sort()).toEqual([`${tag} alpha`, `${tag} beta`]);
    expect(all.every((t) => t.parent_id === parent.id)).toBe(true);
    await waitForStatus(all.find((t) => t.title.endsWith("beta"))!.id, ["failed"]);
    expect((await ids("&status=failed")).map((t) => t.title)).toEqual([`${tag} beta`]);
    expect((await ids("&q=alpha")).map((t) => t.title)).toEqual([`${tag} alpha`]);
    expect((await ids("&sort=oldest")).map((t) => t.title)).toEqual([`${tag} alpha`, `${tag} beta`]);
    const summary = (await api("GET", `/tasks/summary?parent_id=${parent.id}`)).json;
    expect(summary.counts).toMatchObject({ completed: 1, failed: 1 });
    expect((await api("GET", `/tasks?parent_id=tsk_none_${tag}`)).json.items).toEqual([]);
    expect((await api("GET", `/tasks?parent_id=`)).status).toBe(400);
  });

  it("tells the waiting parent why its sub-task failed, so its model can act on it", async () => {
    const parent = await createTask({
      agent: "planner",
      title: "delegate a failure",
      description: '@tool spawn_task {"title": "doomed sub", "description": "@fail permanent", "agent": "writer", "wait": true}\n@output parent done',
    });
    await waitForStatus(parent.id, ["completed"]);
    const trace = (await api("GET", `/tasks/${parent.id}/steps/main/runs/1/trace`)).json;
    const result = JSON.parse(trace.turns[0].tool_results[0].result);
    expect(result).toMatchObject({ status: "failed", output: null, error: expect.stringMatching(/^main: .+/) });
    const child = (await api("GET", `/tasks/${result.task_id}`)).json;
    expect(result.error).toBe(`main: ${child.steps[0].error}`);
  });

  it("a call resumed after its object stopped between making the sub-task and storing its id finds that sub-task", async () => {
    const tag = `zs${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const args = JSON.stringify({ title: `${tag} child`, description: "@delay 1500\n@output child result", agent: "writer", wait: true });
    const parent = await createTask({ agent: "planner", title: `${tag} parent`, description: `@tool spawn_task ${args}\n@output parent done` });
    const kids = async () => ((await api("GET", `/tasks?q=${tag}&source=agent`)).json.items as { id: string }[]);
    for (let i = 0; i < 200 && (await kids()).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    // what storage holds when the object stops right after the child's create: the call has no child and no result
    await runInDurableObject(taskStub(parent.id), async (inst: TaskRunner) => {
      for (let i = 0; i < 200 && inst.node("main").waiting?.kind !== "child"; i++) await new Promise((r) => setTimeout(r, 10));
      const node = inst.node("main");
      node.waiting = null;
      saveNode(inst.sql, node);
      inst.inflight.delete("main");
      inst.pump();
    });
    const done = await waitForStatus(parent.id, ["completed"]);
    expect(await kids()).toHaveLength(1);
    expect(done.children.count).toBe(1);
    const trace = (await api("GET", `/tasks/${parent.id}/steps/main/runs/1/trace`)).json;
    expect(JSON.parse(trace.turns[0].tool_results[0].result)).toMatchObject({ task_id: (await kids())[0].id, status: "completed", output: "child result" });
  });

  it("refuses a sub-task whose title or description the API would refuse, telling the model why", async () => {
    const calls = [
      JSON.stringify({ title: "too long", description: "x".repeat(20_001), agent: "writer" }),
      JSON.stringify({ title: "t".repeat(201), description: "@output y", agent: "writer" }),
      // a model's JSON may hold an escape that is no text: the list would show another title than the task's page
      '{"title": "report\\ud800x", "description": "@output y", "agent": "writer"}',
    ];
    const instructions = `${calls.map((c) => `@tool spawn_task ${c}`).join("\n")}\n@output parent done`;
    const plan = await api("POST", "/plans", { body: { name: "Spawns big", steps: [{ id: "a", agent: "planner", instructions }] } });
    expect(plan.status, plan.text).toBe(201);
    const parent = (await api("POST", `/plans/${plan.json.id}/run`, { body: { inputs: {} } })).json;
    const done = await waitForStatus(parent.id, ["completed"]);
    expect(done.children.count).toBe(0);
    const trace = (await api("GET", `/tasks/${parent.id}/steps/a/runs/1/trace`)).json;
    expect(trace.turns.flatMap((t: { tool_results: { result: string }[] }) => t.tool_results.map((r) => r.result))).toEqual([
      "error: spawn_task's description is at most 20000 characters; this one has 20001",
      "error: spawn_task's title is at most 200 characters; this one has 201",
      "error: spawn_task's title holds a lone UTF-16 surrogate, which is not text",
    ]);
  });

  it(`sub-tasks nest at most ${SPAWN_LIMITS.depth} levels deep: the deepest one's spawn_task is an error the model reads`, async () => {
    const tag = `zn${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    // level n's description makes level n + 1, down to one past the limit
    let description = "@output bottom";
    for (let level = SPAWN_LIMITS.depth + 1; level > 0; level--) {
      const args = JSON.stringify({ title: `${tag} level ${level}`, description, agent: "planner" });
      description = `@tool spawn_task ${args}\n@output level ${level - 1} done`;
    }
    await createTask({ agent: "planner", title: `${tag} level 0`, description });
    const titles = async () => ((await api("GET", `/tasks?q=${tag}&limit=100`)).json.items as { id: string; title: string }[]);
    let deepest: { id: string } | undefined;
    for (let i = 0; i < 500 && !deepest; i++) {
      deepest = (await titles()).find((t) => t.title === `${tag} level ${SPAWN_LIMITS.depth}`);
      if (!deepest) await new Promise((r) => setTimeout(r, 20));
    }
    expect(deepest).toBeTruthy();
    expect((await waitForStatus(deepest!.id, ["completed"])).output).toBe(`level ${SPAWN_LIMITS.depth} done`);
    expect((await titles()).map((t) => t.title).sort()).toEqual(Array.from({ length: SPAWN_LIMITS.depth + 1 }, (_, i) => `${tag} level ${i}`).sort());
    const trace = (await api("GET", `/tasks/${deepest!.id}/steps/main/runs/1/trace`)).json;
    expect(trace.turns[0].tool_results[0].result).toBe(`error: sub-tasks nest at most ${SPAWN_LIMITS.depth} levels deep; do this part yourself`);
  });

  it(`a task makes at most ${SPAWN_LIMITS.children} sub-tasks`, async () => {
    const parent = await createTask({
      agent: "planner",
      title: "delegate once too often",
      description: '@delay 400\n@tool spawn_task {"title": "one more", "description": "@output x", "agent": "writer"}\n@output parent done',
    });
    // the children it already made, written while its first turn waits
    const now = Date.now();
    await env.DB.batch(Array.from({ length: SPAWN_LIMITS.children }, (_, i) =>
      env.DB.prepare(
        "INSERT INTO tasks (id, org_id, title, description, status, source, agent, created_by, parent_id, session_id, created_at) VALUES (?, 'org_default', 'made', '', 'completed', 'agent', 'writer', '{}', ?, ?, ?)",
      ).bind(`${parent.id}_c${i}`, parent.id, `ses_${parent.id}_c${i}`, now),
    ));
    const done = await waitForStatus(parent.id, ["completed"]);
    expect(done.output).toBe("parent done");
    const trace = (await api("GET", `/tasks/${parent.id}/steps/main/runs/1/trace`)).json;
    expect(trace.turns[0].tool_results[0].result).toBe(`error: a task makes at most ${SPAWN_LIMITS.children} sub-tasks; this one has made ${SPAWN_LIMITS.children}`);
    await env.DB.prepare("DELETE FROM tasks WHERE parent_id = ?").bind(parent.id).run();
  });

  it("cancelling the parent cancels its children", async () => {
    const parent = await createTask({
      agent: "planner",
      title: "delegate slow",
      description: '@tool spawn_task {"title": "slow sub", "description": "@delay 5000\\n@output late", "agent": "writer", "wait": true}\n@output never',
    });
    let childId: string | undefined;
    for (let i = 0; i < 300 && !childId; i++) {
      childId = (await api("GET", "/tasks?source=agent")).json.items.find((t: { parent_id: string }) => t.parent_id === parent.id)?.id;
      if (!childId) await new Promise((r) => setTimeout(r, 10));
    }
    expect(childId).toBeTruthy();
    await waitForStatus(childId!, ["in_progress"]);
    expect((await waitForStatus(parent.id, ["in_progress"])).pending).toEqual([]);
    expect((await api("DELETE", `/tasks/${parent.id}`)).status).toBe(200);
    expect((await waitForStatus(childId!, ["cancelled"])).status).toBe("cancelled");
    // the audit log tells who made the sub-task and why it was cancelled: its parent's agent, then the system
    const audited = await until("the child's cancel is audited", async () => (await api("GET", `/audit?target=${childId}`)).json.items, (items) => items.length === 2);
    expect(audited.map((e: { action: string; actor: { type: string; id: string } }) => [e.action, e.actor.type, e.actor.id])).toEqual([
      ["task.cancel", "system", "sub-tasks"],
      ["task.create", "agent", parent.id],
    ]);
    expect(audited[0].details).toEqual({ parent_id: parent.id, reason: "parent task cancelled" });
  });

  it("a parent that fails cancels the sub-tasks it left running, waited for or not; one that completes leaves them to finish", async () => {
    const spawn = (title: string) => `@tool spawn_task {"title": "${title}", "description": "@delay 5000\\n@output late", "agent": "writer", "wait": false}`;
    const childOf = async (parentId: string) => {
      for (let i = 0; i < 300; i++) {
        const id = (await api("GET", "/tasks?source=agent")).json.items.find((t: { parent_id: string }) => t.parent_id === parentId)?.id;
        if (id) return id as string;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error("no sub-task");
    };
    const failing = await createTask({ agent: "planner", title: "detach then fail", description: `${spawn("detached sub")}\n@fail permanent` });
    expect((await waitForStatus(failing.id, ["failed", "completed"])).status).toBe("failed");
    const orphan = await waitForStatus(await childOf(failing.id), ["cancelled", "completed"]);
    expect(orphan).toMatchObject({ status: "cancelled", steps: [expect.objectContaining({ error: "parent task failed" })] });

    const finishing = await createTask({ agent: "planner", title: "detach then finish", description: `${spawn("handed-off sub")}\n@output handed off` });
    expect((await waitForStatus(finishing.id, ["failed", "completed"])).status).toBe("completed");
    const handedOff = await childOf(finishing.id);
    expect((await api("GET", `/tasks/${handedOff}`)).json.status).toBe("in_progress");
    expect((await api("DELETE", `/tasks/${handedOff}`)).status).toBe(200);
  });

  it("a parent that fails cancels the sub-task its stopped step waited for, made or still being made", async () => {
    // the sibling fails at once, while the sub-task is still being made; then later, once the step waits for it
    for (const failAfterMs of [0, 2500]) {
      const boom = { id: "boom", agent: "writer", instructions: "@fail permanent" };
      const plan = await api("POST", "/plans", {
        body: {
          name: "delegate then fail",
          steps: [
            { id: "delegate", agent: "planner", instructions: '@tool spawn_task {"title": "orphan sub", "description": "@delay 6000\\n@output late", "agent": "writer", "wait": true}\n@output never' },
            ...(failAfterMs ? [{ id: "wait", agent: "writer", instructions: `@delay ${failAfterMs}\n@output go` }, { ...boom, depends_on: ["wait"] }] : [boom]),
          ],
        },
      });
      const parent = (await api("POST", `/plans/${plan.json.id}/run`, { body: {} })).json;
      expect((await waitForStatus(parent.id, ["failed"])).steps[0].status).toBe("cancelled");
      let childId: string | undefined;
      for (let i = 0; i < 300 && !childId; i++) {
        childId = (await api("GET", "/tasks?source=agent")).json.items.find((t: { parent_id: string }) => t.parent_id === parent.id)?.id;
        if (!childId) await new Promise((r) => setTimeout(r, 10));
      }
      expect(childId, `failing after ${failAfterMs} ms`).toBeTruthy();
      const child = await waitForStatus(childId!, ["cancelled", "completed"]);
      expect(child, `failing after ${failAfterMs} ms`).toMatchObject({ status: "cancelled", steps: [expect.objectContaining({ error: "parent task failed" })] });
    }
  });
});
