// step_overhead_ms and fanout_1000_s: the TaskRunner's orchestration cost per step,
// against Cloudflare Workflows and a bare Durable Object committing once per step.
import { median, post, round } from "./harness.mjs";

const CHAIN = 200;
const ITEMS = 1000;

const ms = (iso) => Date.parse(iso);

export function chainPlan(n) {
  const steps = Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    kind: "agent",
    agent: "writer",
    instructions: "@output ok",
    depends_on: i ? [`s${i - 1}`] : [],
  }));
  return { name: `bench chain ${n}`, description: "sequential zero-delay sim steps", params: [], steps };
}

export function fanoutPlan(n) {
  const items = Array.from({ length: n }, (_, i) => `item ${i}`);
  return {
    name: `bench fan-out ${n}`,
    description: "a loop over n items, all at once",
    params: [],
    steps: [
      { id: "list", kind: "agent", agent: "writer", instructions: `@output ${JSON.stringify(items)}` },
      { id: "each", kind: "loop", over: "list", concurrency: n, depends_on: ["list"], body: [{ id: "work", kind: "agent", agent: "writer", instructions: "@output {{item}}" }] },
    ],
  };
}

/** Runs a saved plan to the end; `wall` is from the run request to the finished task. */
async function runToEnd(api, planId) {
  const t0 = performance.now();
  const requested = Date.now();
  const task = await api("POST", `/plans/${planId}/run`, { inputs: {} });
  const runReturned = performance.now();
  let detail;
  do detail = await api("GET", `/tasks/${task.id}?wait=60`);
  while (!["completed", "failed", "cancelled"].includes(detail.status));
  const wall = performance.now() - t0;
  if (detail.status !== "completed") throw new Error(`task ${task.id} ended ${detail.status}`);
  return { detail, wall, toFinish: Date.parse(detail.finished_at) - requested, runMs: runReturned - t0 };
}

/** Per step: from the first step's start to the last one's, over n − 1 intervals, the way the Workflow peer stamps it. */
export async function benchStepOverhead({ api, peerUrl, reps = 3, log }) {
  const plan = await api("POST", "/plans", chainPlan(CHAIN));
  const ours = [];
  const wall = [];
  const workflows = [];
  const floor = [];
  // Both sides warm up with whole runs first, so neither is timed while its code is still being compiled.
  for (let i = 0; i < 2; i++) {
    await post(`${peerUrl}/floor/chain?n=${CHAIN}`);
    await post(`${peerUrl}/workflow?n=${CHAIN}`);
    await runToEnd(api, plan.id);
  }
  for (let r = 0; r < reps; r++) {
    const { detail, wall: w } = await runToEnd(api, plan.id);
    const first = ms(detail.steps[0].started_at);
    const last = ms(detail.steps[CHAIN - 1].started_at);
    ours.push((last - first) / (CHAIN - 1));
    wall.push(w / CHAIN);
    const wf = await post(`${peerUrl}/workflow?n=${CHAIN}`);
    workflows.push((wf.last - wf.first) / (CHAIN - 1));
    const fl = await post(`${peerUrl}/floor/chain?n=${CHAIN}`);
    floor.push(fl.ms / CHAIN);
    log(`  step run ${r + 1}: ours ${ours.at(-1).toFixed(2)} ms/step (wall ${wall.at(-1).toFixed(2)}), workflows ${workflows.at(-1).toFixed(2)}, floor ${floor.at(-1).toFixed(2)}`);
  }
  const value = median(ours);
  const peer = median(workflows);
  const fl = median(floor);
  return {
    id: "step_overhead_ms",
    value: round(value),
    unit: "ms/step",
    peer: "Cloudflare Workflows, one step.do per step (same workerd)",
    peer_value: round(peer),
    ratio: round(value / peer, 3),
    floor_value: round(fl, 3),
    goal: "ratio ≤ 0.5 and value ≤ 3 × floor",
    met: value / peer <= 0.5 && value <= 3 * fl,
    notes: `${CHAIN}-step sequential plan, zero-delay sim; median of ${reps} runs; first to last step start over ${CHAIN - 1} intervals. ` +
      `Wall clock incl. create + wait: ${round(median(wall))} ms/step. Floor: a bare DO, one SQLite write + storage.sync() per step. ` +
      `×floor ${round(value / fl, 1)}. After two warm-up runs of each side; per run, ours ${ours.map((v) => round(v)).join(", ")}; workflows ${workflows.map((v) => round(v)).join(", ")}; floor ${floor.map((v) => round(v)).join(", ")}.`,
  };
}

export async function benchFanout({ api, peerUrl, reps = 2, log }) {
  const plan = await api("POST", "/plans", fanoutPlan(ITEMS));
  const walls = [];
  const finish = [];
  const loops = [];
  const floors = [];
  const runs = [];
  for (let r = 0; r < reps; r++) {
    const { detail, wall, toFinish, runMs } = await runToEnd(api, plan.id);
    finish.push(toFinish / 1000);
    runs.push(runMs / 1000);
    const loop = detail.steps.find((s) => s.id === "each");
    const done = (loop.iterations ?? []).filter((it) => it.status === "completed").length;
    if (done !== ITEMS) throw new Error(`fan-out: ${done} of ${ITEMS} iterations completed`);
    walls.push(wall / 1000);
    loops.push((ms(loop.finished_at) - ms(loop.started_at)) / 1000);
    floors.push((await post(`${peerUrl}/floor/fan?n=${ITEMS}`)).ms / 1000);
    log(`  fan-out run ${r + 1}: finished ${finish.at(-1).toFixed(2)} s after the request (loop ${loops.at(-1).toFixed(2)} s; POST /run answered after ${runs.at(-1).toFixed(2)} s, detail read back after ${walls.at(-1).toFixed(2)} s), floor ${floors.at(-1).toFixed(3)} s`);
  }
  const value = median(finish);
  const fl = median(floors);
  return {
    id: "fanout_1000_s",
    value: round(value, 3),
    unit: "s",
    ratio: round(value / fl, 1),
    floor_value: round(fl, 3),
    goal: "≤ 1 s",
    met: value <= 1,
    notes: `loop over ${ITEMS} items, concurrency ${ITEMS}, one zero-delay sim step per item; from the run request to the task's finished_at, median of ${reps}; ` +
      `loop span alone ${round(median(loops), 3)} s; POST /run answered after ${runs.map((v) => round(v, 1)).join(", ")} s; the finished detail (GET ?wait=60) came back after ${walls.map((v) => round(v, 1)).join(", ")} s. Floor: ${ITEMS} concurrent SQLite write + storage.sync() in one bare DO; ratio = value / floor.`,
  };
}
