import { FINAL } from "./outcome";
import { fail, ok, type RpcResult } from "./rpc-result";
import type { TaskRunner } from "./runner";
import { type StoredNode, saveNode } from "./store";

type ReviewedTask = Pick<TaskRunner, "meta" | "status" | "index" | "graph" | "sql" | "nodes" | "transact" | "emitStep" | "beginRun" | "dagPump" | "pump">;

/** Answers the run whose output was approved. */
export function approveOutput(t: ReviewedTask, key: string, run?: number): RpcResult<number> {
  const node = awaitingReview(t, key, run);
  if ("ok" in node) return node;
  t.transact(() => {
    node.status = "completed";
    node.waiting = null;
    node.finished_at = Date.now();
    saveNode(t.sql, node);
    t.emitStep(node);
  });
  t.pump();
  return ok(node.runs);
}

/** Answers the run whose output was rejected (the step runs again as the next one). */
export function rejectOutput(t: ReviewedTask, key: string, comment: string, run?: number): RpcResult<number> {
  const node = awaitingReview(t, key, run);
  if ("ok" in node) return node;
  const decided = node.runs;
  t.transact(() => {
    node.waiting = null;
    node.output = null;
    t.beginRun(node, Date.now(), comment, node.runs);
  });
  t.dagPump.launch(key);
  t.pump();
  return ok(decided);
}

/**
 * The step, if its output waits for review, and (when the reviewer names it) it is still `run`'s: two reviewers
 * at once, one rejecting, must not have the other's approval land on the next run's output, unread.
 */
function awaitingReview(t: ReviewedTask, key: string, run: number | undefined): StoredNode | RpcResult<never> {
  const node = reviewable(t, key);
  if ("ok" in node) return node;
  // a reviewer who saw it waiting is told what became of the task, as an answer is
  if (FINAL.has(t.status)) return fail("conflict", `task is already ${t.status}`);
  if (node.status !== "waiting" || node.waiting?.kind !== "approval") return fail("conflict", `step ${key} is not waiting for approval`);
  if (run !== undefined && run !== node.runs) return fail("conflict", `step ${key} now waits with the output of run ${node.runs}, not of run ${run}: review that one`);
  return node;
}

/** Only an agent step's output is reviewed: a loop or branch is 409 (its own steps are), an unknown or skipped one 404. */
function reviewable(t: ReviewedTask, key: string): StoredNode | RpcResult<never> {
  const node = t.graph.nodes.get(key) as StoredNode | undefined;
  if (!node && t.meta) {
    const loops = t.index.get(key)?.loops ?? [];
    const first = loops.length ? [...t.nodes()].find((n) => n.step_id === key && n.status !== "skipped") : undefined;
    if (first) return fail("not_found", `step ${key} runs once per item of loop ${loops[loops.length - 1]}: review one iteration's, e.g. ${first.key}`);
  }
  if (!node || node.status === "skipped") return fail("not_found", `no step ${key} in this task`);
  if (node.kind !== "agent") return fail("conflict", `step ${key} is ${node.kind === "iteration" ? "an" : "a"} ${node.kind}: review the agent steps inside it`);
  return node;
}
