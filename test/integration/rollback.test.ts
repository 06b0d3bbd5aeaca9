import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TaskEvent } from "../../worker/task/events";
import type { TaskRunner } from "../../worker/task/runner";
import * as s from "../../worker/task/storage-schema";
import { nodeFromRow, runFromRow } from "../../worker/task/store";
import { addInto, zeroTotals } from "../../worker/task/totals";
import { api, createTask, taskStub, waitForStatus } from "../helpers";

/** What the object holds in memory, and what its storage holds, in the same shape. */
function memoryAndStorage(o: TaskRunner, storage: DurableObjectStorage) {
  const task = storage.sql.exec<typeof s.taskRow.$inferSelect>("SELECT * FROM task").one();
  const runs = storage.sql.exec<typeof s.runRows.$inferSelect>("SELECT * FROM runs ORDER BY node_key, run_no").toArray().map(runFromRow);
  const totals = zeroTotals();
  for (const r of runs) addInto(totals, r.usage, r.cost_nanos);
  const byKey = <T extends { node_key: string; run_no: number }>(rs: T[]) => [...rs].sort((a, b) => a.node_key.localeCompare(b.node_key) || a.run_no - b.run_no);
  return {
    memory: { status: o.status, output: o.output, started_at: o.startedAt, finished_at: o.finishedAt, meta: o.meta, nodes: [...o.nodes()], runs: byKey([...o.runs.values()]), totals: o.totals },
    stored: {
      status: task.status, output: task.output, started_at: task.started_at, finished_at: task.finished_at, meta: JSON.parse(task.meta),
      nodes: storage.sql.exec<typeof s.nodeRows.$inferSelect>("SELECT * FROM nodes ORDER BY seq").toArray().map(nodeFromRow),
      runs, totals,
    },
  };
}

/**
 * Makes the object's `emit` throw as a refused storage write would, inside the transaction that stores the event:
 * for the first event `when` picks, or for every one with `every`.
 */
function refuseEmit(o: TaskRunner, when: (e: TaskEvent) => boolean, every = false) {
  const emit = o.emit.bind(o);
  let failed = false;
  o.emit = (event: TaskEvent) => {
    if (when(event) && (every || !failed)) {
      failed = true;
      throw new Error("storage refused the write");
    }
    emit(event);
  };
}

/** An answer whose write is refused is a 500 that leaves the task waiting as it was; the same answer sent again is taken. */
async function answerRefusedThenTaken(taskId: string, waiting: { session_id: string; pending: { call_id?: string }[] }, answers: string[]) {
  const answer = { call_id: waiting.pending[0].call_id, answers };
  expect((await api("POST", `/sessions/${waiting.session_id}/respond`, { body: answer })).status).toBe(500);
  expect((await api("GET", `/tasks/${taskId}`)).json).toMatchObject({ status: "needs_input", pending: waiting.pending });
  const again = await api("POST", `/sessions/${waiting.session_id}/respond`, { body: answer });
  expect(again.status, JSON.stringify(again.json)).toBe(200);
}

describe("a task object whose transaction rolls back", () => {
  it("answers what storage holds: the step it changed still waits for its answer, and the answer finishes the task", async () => {
    const task = await createTask({ agent: "researcher", title: "rollback step", description: "@ask Which region?\n@output done" });
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    await runInDurableObject(taskStub(task.id), (o: TaskRunner, state) => {
      const node = o.node("main");
      expect(() =>
        o.transact(() => {
          o.beginRun(node, Date.now(), null);
          o.addUsage(o.runs.get(`main#${node.runs}`)!, { input: 500, cache: 0, cache_write: 0, output: 70, web_search: 0, searches: 1 }, 1_000_000);
          o.finishNode(node, "completed", "never stored", null, Date.now());
          o.meta!.max_cost_nanos = 1;
          o.persistMeta();
          throw new Error("boom");
        }),
      ).toThrow("boom");
      const { memory, stored } = memoryAndStorage(o, state.storage);
      expect(memory).toEqual(stored);
      expect(memory.nodes.find((n) => n.key === "main")).toMatchObject({ status: "waiting", runs: 1, output: null });
    });
    const detail = (await api("GET", `/tasks/${task.id}`)).json;
    expect(detail).toMatchObject({ status: "needs_input", tokens: waiting.tokens, cost: waiting.cost, pending: waiting.pending });
    expect(detail.steps[0]).toMatchObject({ status: "needs_input", output: null, runs: [{ run_no: 1, status: "waiting" }] });
    const res = await api("POST", `/sessions/${waiting.session_id}/respond`, { body: { call_id: waiting.pending[0].call_id, answers: ["EMEA"] } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const done = await waitForStatus(task.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "completed", output: "done" });
    expect(done.steps[0].runs).toHaveLength(1);
  });

  it("takes an answer whose step write failed again, rather than answering that the question was already answered", async () => {
    const task = await createTask({ agent: "researcher", title: "rollback answer", description: "@ask Which region?\n@output done" });
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    await runInDurableObject(taskStub(task.id), (o: TaskRunner) => {
      refuseEmit(o, (event) => event.type === "step.updated");
    });
    await answerRefusedThenTaken(task.id, waiting, ["EMEA"]);
    expect(await waitForStatus(task.id, ["completed", "failed"])).toMatchObject({ status: "completed", output: "done" });
  });

  it("keeps a final turn's tokens and cost in its run when the write of the run's outcome fails", async () => {
    const task = await createTask({ agent: "researcher", title: "rollback outcome", description: "@ask Which region?\n@output done" });
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    await runInDurableObject(taskStub(task.id), (o: TaskRunner) => {
      refuseEmit(o, (event) => event.type === "step.updated" && event.status === "completed", true);
    });
    expect((await api("POST", `/sessions/${waiting.session_id}/respond`, { body: { call_id: waiting.pending[0].call_id, answers: ["EMEA"] } })).status).toBe(200);
    const failed = await waitForStatus(task.id, ["failed", "completed"]);
    expect(failed.steps[0].runs[0]).toMatchObject({ status: "failed", error: "storage refused the write" });
    const trace = (await api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`)).json;
    const sum = { input: 0, cache: 0, output: 0, web_search: 0 };
    for (const turn of trace.turns) for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += turn.usage[k];
    expect(trace.turns).toHaveLength(2);
    expect(failed.steps[0].runs[0].tokens).toMatchObject(sum);
    expect(failed.tokens).toMatchObject(sum);
  });

  it("holds no task after a start whose first write failed, so the start can be made again", async () => {
    const seed = await createTask({ agent: "researcher", title: "rollback start seed", description: "@output seeded" });
    await waitForStatus(seed.id, ["completed"]);
    const meta = await runInDurableObject(taskStub(seed.id), (o: TaskRunner) => o.meta!);
    const copy = { ...meta, id: `tsk_rollback_${crypto.randomUUID().slice(0, 8)}`, title: "rollback start", created_at: Date.now() };
    const stub = taskStub(copy.id);
    await runInDurableObject(stub, async (o: TaskRunner, state) => {
      refuseEmit(o, () => true);
      await expect(o.start(copy)).rejects.toThrow("storage refused the write");
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'task'").toArray()).toEqual([]);
      expect(o.meta).toBeNull();
      expect(await o.holds()).toBe(false);
      expect(await o.detail()).toBeNull();
      await o.start(copy);
    });
    await expect.poll(async () => (await stub.detail())?.output, { timeout: 10_000 }).toBe("seeded");
  });

  it("takes a budget stop again when the cancel it makes fails", async () => {
    const task = await createTask({ agent: "researcher", title: "rollback budget stop", description: "@output x", max_cost: 0.0000001 });
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    await runInDurableObject(taskStub(task.id), (o: TaskRunner) => {
      refuseEmit(o, (event) => event.type === "task.updated");
    });
    await answerRefusedThenTaken(task.id, waiting, ["stop"]);
    expect(await waitForStatus(task.id, ["cancelled"])).toMatchObject({ status: "cancelled", pending: [] });
  });

  it("lets a cancel whose status write failed be made again, rather than answering that the task is already cancelled", async () => {
    const task = await createTask({ agent: "researcher", title: "rollback cancel", description: "@ask Which region?\n@output done" });
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    await runInDurableObject(taskStub(task.id), (o: TaskRunner) => {
      refuseEmit(o, (event) => event.type === "task.updated");
    });
    expect((await api("DELETE", `/tasks/${task.id}`)).status).toBe(500);
    await runInDurableObject(taskStub(task.id), (o: TaskRunner, state) => {
      const { memory, stored } = memoryAndStorage(o, state.storage);
      expect(memory).toEqual(stored);
      expect(o.status).toBe("needs_input");
    });
    // nothing of the cancel was stored: the step still waits for its answer
    expect((await api("GET", `/tasks/${task.id}`)).json).toMatchObject({ status: "needs_input", pending: waiting.pending });
    const again = await api("DELETE", `/tasks/${task.id}`);
    expect(again.status, JSON.stringify(again.json)).toBe(200);
    expect(await waitForStatus(task.id, ["cancelled"])).toMatchObject({ status: "cancelled" });
  });
});
