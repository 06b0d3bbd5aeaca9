import { describe, expect, it } from "vitest";
import { api, createTask, waitForStatus } from "../helpers";

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

  it("refuses a sub-task whose description passes the API's limit, telling the model why", async () => {
    const args = JSON.stringify({ title: "too long", description: "x".repeat(20_001), agent: "writer" });
    const plan = await api("POST", "/plans", { body: { name: "Spawns big", steps: [{ id: "a", agent: "planner", instructions: `@tool spawn_task ${args}\n@output parent done` }] } });
    expect(plan.status, plan.text).toBe(201);
    const parent = (await api("POST", `/plans/${plan.json.id}/run`, { body: { inputs: {} } })).json;
    const done = await waitForStatus(parent.id, ["completed"]);
    expect(done.children.count).toBe(0);
    const trace = (await api("GET", `/tasks/${parent.id}/steps/a/runs/1/trace`)).json;
    expect(trace.turns[0].tool_results[0].result).toBe("error: spawn_task's description is at most 20000 characters; this one has 20001");
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
