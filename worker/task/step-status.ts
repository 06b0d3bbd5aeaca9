import type { Graph, NodeState, NodeStatus } from "./dag";

/** A step's status as the API gives it: a task's words (DESIGN.md), plus `skipped`. */
export const STEP_STATUSES = ["pending", "in_progress", "needs_input", "completed", "failed", "skipped", "cancelled"] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** A run's status as stored and as the API gives it: `waiting` for a person (its step `needs_input`). */
export const RUN_STATUSES = ["running", "waiting", "completed", "failed", "cancelled"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The task's words for a step's state: a running step is `in_progress`, one waiting for a person `needs_input`. */
export function stepStatus(s: NodeStatus): StepStatus {
  return s === "running" ? "in_progress" : s === "waiting" ? "needs_input" : s;
}

/** A loop, iteration or branch waits on a person when a step inside it does: the task's precedence, applied to its part. */
export function containerStatus(own: StepStatus, kids: readonly StepStatus[]): StepStatus {
  return own === "in_progress" && kids.includes("needs_input") ? "needs_input" : own;
}

/** A step's status as the detail shows it (./view.ts), from the graph: only a running container looks inside. */
export function shownStatus(g: Graph, n: NodeState): StepStatus {
  const own = stepStatus(n.status);
  if (n.status !== "running" || n.kind === "agent") return own;
  return containerStatus(own, (g.children.get(n.key) ?? []).map((k) => shownStatus(g, g.nodes.get(k)!)));
}
