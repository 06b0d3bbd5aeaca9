import { TERMINAL } from "./dag";
import type { TaskRunner } from "./runner";
import { type StoredNode, type StoredRun, carryTurns, insertRun, saveNode, saveRun, runKey } from "./store";
import { zeroTotals } from "./totals";

/** What a step's changes touch: its stored row and runs, and the stream that announces it. */
type StepStore = Pick<TaskRunner, "sql" | "runs" | "emitStep">;

/** The step's next run starts; `resumes`, the run whose stored turns it goes on from. */
export function beginRun(t: StepStore & Pick<TaskRunner, "freshRuns">, node: StoredNode, now: number, feedback: string | null, resumes?: number): void {
  node.runs += 1;
  node.status = "running";
  node.started_at ??= now;
  node.finished_at = null;
  node.error = null;
  saveNode(t.sql, node);
  const run: StoredRun = {
    node_key: node.key, run_no: node.runs, status: "running", started_at: now, finished_at: null, error: null,
    feedback, price: "", usage: zeroTotals().usage, cost_nanos: 0, worked_ms: 0,
  };
  t.runs.set(runKey(node.key, run.run_no), run);
  insertRun(t.sql, run);
  const carried = resumes === undefined ? 0 : carryTurns(t.sql, node.key, resumes, run.run_no);
  if (carried === 0) t.freshRuns.add(runKey(node.key, run.run_no));
  t.emitStep(node);
}

export function finishNode(t: Pick<TaskRunner, "sql" | "emitStep">, node: StoredNode, status: "completed" | "failed", output: string | null, error: string | null, now: number): void {
  Object.assign(node, { status, output, error, finished_at: now, waiting: null });
  saveNode(t.sql, node);
  t.emitStep(node);
}

/** Inside a transaction: a step waiting for an answer runs again, its current run with it (launched by the caller). */
export function resumeWaiting(t: StepStore, node: StoredNode): void {
  node.status = "running";
  node.waiting = null;
  saveNode(t.sql, node);
  const run = t.runs.get(runKey(node.key, node.runs))!;
  run.status = "running";
  saveRun(t.sql, run);
  t.emitStep(node);
}

/**
 * Every step not finished is cancelled, and so is its current run, which would otherwise show as running for good.
 * Each says so on the stream, those that never started too: the detail shows them cancelled.
 */
export function stopUnfinished(t: StepStore & Pick<TaskRunner, "nodes" | "executor">, reason: string, now: number): void {
  for (const n of t.nodes()) {
    if (TERMINAL.has(n.status)) continue;
    Object.assign(n, { status: "cancelled", error: reason, finished_at: n.started_at ? now : null, waiting: null, retry_at: null });
    saveNode(t.sql, n);
    t.emitStep(n);
    const run = t.runs.get(runKey(n.key, n.runs));
    if (run && (run.status === "running" || run.status === "waiting")) {
      if (run.status === "running") t.executor.keepInterrupted(n.key, run);
      run.status = "cancelled";
      run.error = reason;
      run.finished_at = now;
      // with the time it worked since its last write: a run stopped mid-turn would otherwise lose that turn's
      t.executor.saveRun(run);
    }
  }
}
