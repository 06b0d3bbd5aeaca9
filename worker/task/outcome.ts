import type { TaskStatus } from "../db/schema";
import type { Graph } from "./dag";
import type { Plan } from "./plan-schema";
import type { StoredNode } from "./store";

/** The statuses a task ends in. */
export const FINAL: ReadonlySet<TaskStatus> = new Set(["completed", "failed", "cancelled"]);

/** The `output` step's, else the last top-level step's in the plan's order (not by time: parallel steps finish in any order). */
export function taskOutput(plan: Plan, graph: Graph): string | null {
  if (plan.output) return graph.nodes.get(plan.output)?.output ?? null;
  for (let i = plan.steps.length - 1; i >= 0; i--) {
    const n = graph.nodes.get(plan.steps[i].id);
    if (n?.status === "completed") return n.output;
  }
  return null;
}

/** Why a failed task failed: the step that failed first, and its error. */
export function failureOf(status: TaskStatus, nodes: Iterable<StoredNode>): string | null {
  if (status !== "failed") return null;
  const failed = [...nodes].filter((n) => n.status === "failed" && n.error).sort((a, b) => (a.finished_at ?? 0) - (b.finished_at ?? 0));
  return failed.length ? `${failed[0].key}: ${failed[0].error}` : null;
}
