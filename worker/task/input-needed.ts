import type { InputNeeded } from "../db/task-row";
import type { TaskStatus } from "../db/schema";
import type { StoredNode } from "./store";

/** The task in which a person is asked something, as a sub-task tells the task waiting on it. */
export interface InputTarget {
  task_id: string;
  title: string;
}

/** This task's steps that wait on a sub-task in which a person is asked something, in step order. */
export function inputNeededIn(nodes: Iterable<StoredNode>): InputNeeded[] {
  const out: InputNeeded[] = [];
  for (const n of nodes) if (n.waiting?.kind === "child" && n.waiting.input) out.push({ step: n.key, ...n.waiting.input });
  return out;
}

/**
 * What a task tells the task waiting on it: itself when it waits for a person, else the first task asking
 * below it, so a chain of waiting tasks points at the one where the answer is given; null when nobody is asked.
 */
export function inputTargetOf(task: { id: string; title: string; status: TaskStatus; input_needed_in: InputNeeded[] }): InputTarget | null {
  if (task.status === "needs_input") return { task_id: task.id, title: task.title };
  if (task.status !== "in_progress" && task.status !== "pending") return null;
  const first = task.input_needed_in[0];
  return first ? { task_id: first.task_id, title: first.title } : null;
}

export const sameTarget = (a: InputTarget | null | undefined, b: InputTarget | null | undefined): boolean =>
  (a?.task_id ?? null) === (b?.task_id ?? null) && (a?.title ?? null) === (b?.title ?? null);
