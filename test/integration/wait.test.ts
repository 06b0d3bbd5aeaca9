import { describe, expect, it } from "vitest";
import { api, createTask, expectError } from "../helpers";

describe("GET /tasks/{id}?wait=", () => {
  it("holds the answer until the task finishes, and returns its output", async () => {
    const task = await createTask({ agent: "writer", title: "wait for me", description: "@delay 400\n@output the result" });
    const started = Date.now();
    const res = await api("GET", `/tasks/${task.id}?wait=20`);
    expect(res.status).toBe(200);
    expect(res.json.status).toBe("completed");
    expect(res.json.output).toBe("the result");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("returns as soon as the task needs input", async () => {
    const task = await createTask({ agent: "writer", title: "asks", description: "@ask Which tone?\n@output ok" });
    const res = await api("GET", `/tasks/${task.id}?wait=20`);
    expect(res.json.status).toBe("needs_input");
    expect(res.json.pending[0]).toMatchObject({ kind: "question", question: "Which tone?" });
  });

  it("returns as soon as a sub-task it waits on asks a person, naming it, the task itself still in_progress", async () => {
    const child = JSON.stringify({ title: "asks below", description: "@delay 300\n@ask Which tone?\n@output ok", agent: "writer", wait: true });
    const task = await createTask({ agent: "planner", title: "waits on one that asks", description: `@tool spawn_task ${child}\n@output done` });
    const started = Date.now();
    const res = await api("GET", `/tasks/${task.id}?wait=20`);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(res.json).toMatchObject({ status: "in_progress", pending: [], input_needed_in: [{ step: "main", title: "asks below" }] });
    // and at once when asked again while that is so
    const again = Date.now();
    expect((await api("GET", `/tasks/${task.id}?wait=20`)).json.input_needed_in).toHaveLength(1);
    expect(Date.now() - again).toBeLessThan(5_000);
    expect((await api("DELETE", `/tasks/${task.id}`)).status).toBe(200);
  });

  it("gives up after the time asked for, answering with the task as it is", async () => {
    const task = await createTask({ agent: "writer", title: "slow", description: "@delay 5000\n@output late" });
    const started = Date.now();
    const res = await api("GET", `/tasks/${task.id}?wait=1`);
    expect(res.status).toBe(200);
    expect(["pending", "in_progress"]).toContain(res.json.status);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await api("DELETE", `/tasks/${task.id}`)).status).toBe(200);
  });

  it("answers 401 at once when its token is revoked while it waits", async () => {
    const { json: made } = await api("POST", "/tokens", { body: { name: "waits", role: "viewer" } });
    const task = await createTask({ agent: "writer", title: "outlives the token", description: "@delay 4000\n@output late" });
    const started = Date.now();
    const waiting = api("GET", `/tasks/${task.id}?wait=20`, { token: made.token });
    await new Promise((r) => setTimeout(r, 300));
    expect((await api("DELETE", `/tokens/${made.id}`)).status).toBe(204);
    expectError(await waiting, 401, "unauthorized");
    expect(Date.now() - started).toBeLessThan(2500);
    expect((await api("DELETE", `/tasks/${task.id}`)).status).toBe(200);
  });

  it("bounds the wait to 60 seconds", async () => {
    expectError(await api("GET", "/tasks/tsk_x?wait=61"), 400);
    expectError(await api("GET", "/tasks/tsk_x?wait=-1"), 400);
  });
});
