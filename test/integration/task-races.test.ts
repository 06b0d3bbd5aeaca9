import { describe, expect, it } from "vitest";
import { api, until, waitForStatus } from "../helpers";

/** Races and edges of a running task, through the Worker and the task's real object. */

async function runPlan(steps: unknown[]) {
  const plan = await api("POST", "/plans", { body: { name: "races", steps } });
  expect(plan.status, JSON.stringify(plan.json)).toBe(201);
  const run = await api("POST", `/plans/${plan.json.id}/run`, { body: {} });
  expect(run.status, JSON.stringify(run.json)).toBe(201);
  return run.json as { id: string; session_id: string };
}

const detail = async (id: string) => (await api("GET", `/tasks/${id}`)).json;
const step = (id: string, instructions: string, extra: Record<string, unknown> = {}) => ({ id, agent: "researcher", instructions, ...extra });

interface StepView { id: string; status: string; runs: { status: string }[]; iterations?: { status: string; steps: StepView[] }[] }
const everyStep = (steps: StepView[]): StepView[] => steps.flatMap((s) => [s, ...(s.iterations ?? []).flatMap((i) => everyStep(i.steps))]);

describe("a running task's races and edges", () => {
  it("cancelled while a loop fans out, nothing runs or finishes after the cancel", async () => {
    const items = JSON.stringify(Array.from({ length: 12 }, (_, i) => `i${i}`));
    const task = await runPlan([
      step("list", `@output ${items}`),
      { id: "each", kind: "loop", over: "list", concurrency: 4, body: [step("work", "@delay 500\n@output {{item}}")] },
      step("after", "@output after", { depends_on: ["each"] }),
    ]);
    await until("iterations under way", () => detail(task.id), (d) => d.steps[1].iterations?.some((i: { status: string }) => i.status === "in_progress"));
    expect((await api("DELETE", `/tasks/${task.id}`)).status).toBe(200);
    const cancelled = await detail(task.id);
    expect(cancelled.status).toBe("cancelled");
    const steps = everyStep(cancelled.steps);
    expect(steps.filter((s) => s.status !== "completed" && s.status !== "cancelled")).toEqual([]);
    expect(steps.flatMap((s) => s.runs).filter((r) => r.status === "running" || r.status === "waiting")).toEqual([]);
    expect(cancelled.steps[2]).toMatchObject({ id: "after", status: "cancelled", runs: [] });
    // longer than an iteration's run: one under way at the cancel would have finished by now
    await new Promise((r) => setTimeout(r, 800));
    expect(await detail(task.id)).toEqual(cancelled);
  });

  it("a loop over zero items completes with an empty list, and the steps after it run", async () => {
    const task = await runPlan([
      step("list", "@output []"),
      { id: "each", kind: "loop", over: "list", body: [step("work", "@output {{item}}")] },
      step("after", "@output got {{steps.each.output}}", { depends_on: ["each"] }),
    ]);
    const done = await waitForStatus(task.id, ["completed", "failed"]);
    expect(done.steps.map((s: { id: string; status: string; output: string }) => [s.id, s.status, s.output])).toEqual([
      ["list", "completed", "[]"],
      ["each", "completed", "[]"],
      ["after", "completed", "got []"],
    ]);
    expect(done.steps[1].iterations).toEqual([]);
  });

  it("answers to one question sent at once: one is taken, the others are 409, and the run goes on once", async () => {
    const task = await runPlan([step("a", "@ask go?\n@output done")]);
    const call = (await waitForStatus(task.id, ["needs_input"])).pending[0].call_id;
    const replies = await Promise.all([1, 2, 3].map((n) => api("POST", `/sessions/${task.session_id}/respond`, { body: { call_id: call, answers: [`yes ${n}`] } })));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    const taken = [1, 2, 3].find((_, i) => replies[i].status === 200)!;
    expect(await waitForStatus(task.id, ["completed", "failed"])).toMatchObject({ status: "completed", output: "done" });
    const trace = (await api("GET", `/tasks/${task.id}/steps/a/runs/1/trace`)).json;
    expect(trace.turns).toHaveLength(2);
    expect(trace.turns[0].tool_results.map((r: { result: string }) => r.result)).toEqual([`yes ${taken}`]);
  });

  it("an approval and a cancel sent at once: the task ends cancelled, and the step after the review never runs", async () => {
    const task = await runPlan([step("a", "@output draft", { approval: true }), step("b", "@delay 200\n@output B", { depends_on: ["a"] })]);
    await waitForStatus(task.id, ["needs_input"]);
    const [approved, cancelled] = await Promise.all([api("POST", `/tasks/${task.id}/steps/a/approve`, { body: {} }), api("DELETE", `/tasks/${task.id}`)]);
    expect(cancelled.status).toBe(200);
    expect([200, 409]).toContain(approved.status);
    const d = await waitForStatus(task.id, ["cancelled"]);
    expect(d.steps[0].status).toBe(approved.status === 200 ? "completed" : "cancelled");
    expect(d.steps[1].status).toBe("cancelled");
    expect(d.steps[1].runs.every((r: { status: string }) => r.status === "cancelled")).toBe(true);
    expect(d.pending).toEqual([]);
  });
});
