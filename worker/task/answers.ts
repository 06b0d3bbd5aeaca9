import { eq } from "drizzle-orm";
import { FINAL } from "./outcome";
import { fail, ok, type RpcResult } from "./rpc-result";
import type { TaskRunner } from "./runner";
import * as s from "./storage-schema";
import { resumeWaiting } from "./step-transitions";
import { type Db, type StoredNode, saveNode } from "./store";

type AskingTask = Pick<
  TaskRunner,
  "meta" | "status" | "db" | "sql" | "runs" | "node" | "nodes" | "executor" | "transact" | "emitStep" | "cancel" | "dagPump" | "pump"
>;

/** A person's answer to a step's question or budget question: the step, and any other the same answer answers, go on. */
export async function answerCall(t: AskingTask, callId: string, answers: string[]): Promise<RpcResult> {
  if (!t.meta) return fail("not_found", "task not found");
  const call = t.db.select().from(s.callRows).where(eq(s.callRows.call_id, callId)).get();
  if (!call) return fail("not_found", `no question with call_id ${callId} in this session`);
  if (call.answered_at) return fail("conflict", "this question was already answered");
  if (FINAL.has(t.status)) return fail("conflict", `task is already ${t.status}`);
  const node = t.node(call.node_key);
  const woken = [node];
  // the answer and the steps it wakes are one commit: an answer stored for a step still waiting could never be given again
  const answered = t.transact((): RpcResult<"stop" | "go"> => {
    if (call.kind === "budget") {
      const others = pausedAtSameBudget(t, node);
      const reached = node.waiting?.kind === "budget" && node.waiting.call_id === callId ? node.waiting.limit_nanos : undefined;
      const verdict = t.executor.budgetAnswer(answers, callId, reached);
      if (!verdict.ok) return verdict;
      // answered once the cancel is stored: a cancel that fails leaves the question to be answered again
      if (verdict.value === "stop") return ok("stop");
      markAnswered(t.db, callId, answers);
      // the budget is the task's: a raise answers every step paused at it (each checks its next turn again)
      for (const other of others) {
        if (other.waiting?.kind === "budget") markAnswered(t.db, other.waiting.call_id, answers);
        woken.push(other);
      }
    } else {
      markAnswered(t.db, callId, answers);
      t.executor.answerQuestion(node, call.run_no, call.tool_call_id!, answers.join("\n"));
    }
    for (const n of woken) resumeWaiting(t, n);
    return ok("go");
  });
  if (!answered.ok) return answered;
  if (answered.value === "stop") {
    const stopped = await t.cancel("stopped at the budget limit");
    if (stopped.ok) markAnswered(t.db, callId, answers);
    return stopped;
  }
  for (const n of woken) t.dagPump.launch(n.key);
  t.pump();
  return ok(null);
}

/**
 * The other steps waiting on a budget question that a raise answering `node`'s also answers: those paused at the
 * task's or an agent's budget, and, when `node`'s question is the organization's monthly cap (a raise lets the task
 * past it), those paused at the cap too.
 */
function pausedAtSameBudget(t: Pick<TaskRunner, "executor" | "nodes">, node: StoredNode): StoredNode[] {
  const atCap = new Set(t.executor.capWaiting().map((n) => n.key));
  return [...t.nodes()].filter((n) => n !== node && n.status === "waiting" && n.waiting?.kind === "budget" && (atCap.has(node.key) || !atCap.has(n.key)));
}

/**
 * Steps paused at the organization's monthly cap go on once the month has room, their question answered: when the
 * cap was raised or lifted, and when a cap question's month has ended (a new month may have room).
 */
export async function releaseCap(t: AskingTask): Promise<number> {
  const { go, stay, month_end } = await t.executor.capReleased();
  // read again after the wait: a person may have answered meanwhile, or cancelled
  const asked = (n: StoredNode) => !FINAL.has(t.status) && n.waiting?.kind === "budget" && n.status === "waiting";
  const still = go.filter(asked);
  const later = stay.filter((n) => asked(n) && n.waiting?.kind === "budget" && n.waiting.month_end !== month_end);
  if (!still.length && !later.length) return 0;
  t.transact(() => {
    for (const node of later) {
      if (node.waiting?.kind === "budget") node.waiting.month_end = month_end;
      saveNode(t.sql, node);
    }
    for (const node of still) {
      if (node.waiting?.kind === "budget") markAnswered(t.db, node.waiting.call_id, ["cap raised"]);
      resumeWaiting(t, node);
    }
  });
  for (const node of still) t.dagPump.launch(node.key);
  t.pump();
  return still.length;
}

function markAnswered(db: Db, callId: string, answers: string[]): void {
  db.update(s.callRows).set({ answered_at: Date.now(), answer: JSON.stringify(answers) }).where(eq(s.callRows.call_id, callId)).run();
}
