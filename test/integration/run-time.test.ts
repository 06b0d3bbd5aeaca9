import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HEARTBEAT_MS } from "../../worker/task/wake";
import { api, taskStub, until, waitForStatus } from "../helpers";

/** A one-step plan's task, its step's timeout `timeout_s`, no retries: a timeout fails it. */
async function runStep(instructions: string, timeout_s: number) {
  const plan = await api("POST", "/plans", { body: { name: "timed", steps: [{ id: "a", agent: "researcher", instructions, timeout_s, retry: { max_attempts: 1 } }] } });
  expect(plan.status, JSON.stringify(plan.json)).toBe(201);
  const run = await api("POST", `/plans/${plan.json.id}/run`, { body: {} });
  expect(run.status, JSON.stringify(run.json)).toBe(201);
  return run.json as { id: string; session_id: string };
}

/** What the task's object has stored of step a's first run (a fresh stub: one taken before a restart is broken after it). */
const stored = (id: string) =>
  runInDurableObject(taskStub(id), (_o, state) => ({
    worked_ms: state.storage.sql.exec<{ worked_ms: number }>("SELECT worked_ms FROM runs WHERE node_key = 'a' AND run_no = 1").one().worked_ms,
    turns: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM turns WHERE node_key = 'a'").one().n,
  }));

/** Step a's turns worked at least 600 ms (its 300 ms delay, a turn before and after the wait); the wait, longer than its 2 s timeout, is not counted. */
async function expectWorkedOnlyItsTurns(id: string): Promise<void> {
  const { worked_ms } = await stored(id);
  expect(worked_ms).toBeGreaterThanOrEqual(600);
  expect(worked_ms).toBeLessThan(2_000);
}

describe("a step's timeout bounds its run's working time", () => {
  it("counts the work done before a wait for a person: the run that goes on after the answer has only what is left", async () => {
    // two turns of 1.2 s each: within 2 s apiece, past it together
    const task = await runStep("@delay 1200\n@ask go on?\n@output done", 2);
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    expect((await stored(task.id)).worked_ms).toBeGreaterThanOrEqual(1200);
    const res = await api("POST", `/sessions/${task.session_id}/respond`, { body: { call_id: waiting.pending[0].call_id, answers: ["yes"] } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const done = await waitForStatus(task.id, ["failed", "completed"], 10_000);
    expect(done.status).toBe("failed");
    expect(done.steps[0].error).toBe("timed out after 2 s of work (timeout_s)");
    expect(done.steps[0].runs).toHaveLength(1);
    const trace = (await api("GET", `/tasks/${task.id}/steps/a/runs/1/trace`)).json;
    expect(trace.timeout_s).toBe(2);
    expect(trace.worked_ms).toBeGreaterThanOrEqual(2_000);
  });

  it("does not count the time spent waiting for a person", async () => {
    const task = await runStep("@delay 300\n@ask go on?\n@output done", 2);
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    // a wait longer than the whole timeout
    await new Promise((r) => setTimeout(r, 2_200));
    const res = await api("POST", `/sessions/${task.session_id}/respond`, { body: { call_id: waiting.pending[0].call_id, answers: ["yes"] } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const done = await waitForStatus(task.id, ["failed", "completed"], 10_000);
    expect(done.status, done.steps[0].error).toBe("completed");
    await expectWorkedOnlyItsTurns(task.id);
  });

  it("does not count the time spent waiting for a sub-task, which its own steps' timeouts bound", async () => {
    const spawn = JSON.stringify({ title: "slow sub", description: "@delay 2500\n@output sub done", agent: "writer", wait: true });
    const plan = await api("POST", "/plans", { body: { name: "waits for a sub-task", steps: [{ id: "a", agent: "planner", instructions: `@delay 300\n@tool spawn_task ${spawn}\n@output done`, timeout_s: 2, retry: { max_attempts: 1 } }] } });
    expect(plan.status, JSON.stringify(plan.json)).toBe(201);
    const task = (await api("POST", `/plans/${plan.json.id}/run`, { body: {} })).json;
    const done = await waitForStatus(task.id, ["failed", "completed"], 15_000);
    expect(done.status, done.steps[0].error).toBe("completed");
    await expectWorkedOnlyItsTurns(task.id);
  });

  it("a run a restart stopped goes on with what is left of its timeout, its stored turns' time counted", async () => {
    const task = await runStep("@delay 1200\n@search otters\n@output done", 2);
    await until("the first turn stored", () => stored(task.id), (s) => s.turns === 1);
    await abortAllDurableObjects();
    expect(await runDurableObjectAlarm(taskStub(task.id))).toBe(true);
    const done = await waitForStatus(task.id, ["failed", "completed"], 10_000);
    expect(done.status).toBe("failed");
    expect(done.steps[0].error).toBe("timed out after 2 s of work (timeout_s)");
  });

  it("a heartbeat stores the working time of a turn still under way, so a restart loses at most a heartbeat's worth", async () => {
    // one turn of 2.5 s: stopped after 1.5 s, it has less than 2.5 s of its 3 s left
    const task = await runStep("@delay 2500\n@output done", 3);
    const began = Date.now();
    await waitForStatus(task.id, ["in_progress"]);
    while (Date.now() - began < 1_500) await new Promise((r) => setTimeout(r, 50));
    expect(await runDurableObjectAlarm(taskStub(task.id))).toBe(true);
    expect((await stored(task.id)).worked_ms).toBeGreaterThanOrEqual(1_000);
    await abortAllDurableObjects();
    expect(await runDurableObjectAlarm(taskStub(task.id))).toBe(true);
    const done = await waitForStatus(task.id, ["failed", "completed"], 10_000);
    expect(done.status).toBe("failed");
    expect(done.steps[0].error).toBe("timed out after 3 s of work (timeout_s)");
  });
});

describe("a run a restart stops", () => {
  it("has its task's alarm set with its start, so the runtime wakes the task and it goes on, however young the run", async () => {
    const before = Date.now();
    const task = await runStep("@delay 4000\n@output done", 60);
    await waitForStatus(task.id, ["in_progress"]);
    await abortAllDurableObjects();
    const at = await runInDurableObject(taskStub(task.id), (_o, state) => state.storage.getAlarm());
    expect(at).not.toBeNull();
    expect(at!).toBeGreaterThanOrEqual(before + HEARTBEAT_MS);
    expect(at!).toBeLessThanOrEqual(Date.now() + HEARTBEAT_MS);
    expect(await runDurableObjectAlarm(taskStub(task.id))).toBe(true);
    const done = await waitForStatus(task.id, ["completed", "failed"], 10_000);
    expect(done).toMatchObject({ status: "completed", output: "done" });
    expect(done.steps[0].runs).toHaveLength(1);
  });
});

describe("a run stopped while its model answers", () => {
  /** Waits `ms` from the first time the task shows in progress. */
  async function inProgressFor(id: string, ms: number): Promise<void> {
    await waitForStatus(id, ["in_progress"]);
    const began = Date.now();
    while (Date.now() - began < ms) await new Promise((r) => setTimeout(r, 50));
  }

  it("by a cancel keeps the time it worked up to the stop", async () => {
    const task = await runStep("@delay 5000\n@output done", 60);
    await inProgressFor(task.id, 1_200);
    expect((await api("DELETE", `/tasks/${task.id}`)).status).toBe(200);
    const trace = (await api("GET", `/tasks/${task.id}/steps/a/runs/1/trace`)).json;
    expect(trace.status).toBe("cancelled");
    expect(trace.worked_ms).toBeGreaterThanOrEqual(1_000);
    expect(trace.worked_ms).toBeLessThan(5_000);
    expect((await stored(task.id)).worked_ms).toBe(trace.worked_ms);
  });

  it("by a sibling step's failure keeps the time it worked up to the stop", async () => {
    const steps = [
      { id: "a", agent: "researcher", instructions: "@delay 5000\n@output done", retry: { max_attempts: 1 } },
      // fails after a turn of 1.2 s: a search the agent has no tool for, then a permanent failure
      { id: "b", agent: "researcher", instructions: "@delay 1200\n@search otters\n@fail permanent", retry: { max_attempts: 1 } },
    ];
    const plan = await api("POST", "/plans", { body: { name: "sibling fails", steps } });
    expect(plan.status, JSON.stringify(plan.json)).toBe(201);
    const task = (await api("POST", `/plans/${plan.json.id}/run`, { body: {} })).json;
    const done = await waitForStatus(task.id, ["failed"], 10_000);
    expect(done.steps.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([["a", "cancelled"], ["b", "failed"]]);
    const trace = (await api("GET", `/tasks/${task.id}/steps/a/runs/1/trace`)).json;
    expect(trace.status).toBe("cancelled");
    expect(trace.worked_ms).toBeGreaterThanOrEqual(1_000);
    expect(trace.worked_ms).toBeLessThan(5_000);
  });
});
