import type { TaskStatus } from "../db/schema";

/** What an organization can subscribe to: the task transitions a person or a system acts on. */
export const NOTIFY_EVENTS = ["task.completed", "task.failed", "task.needs_input"] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

const BY_STATUS: Partial<Record<TaskStatus, NotifyEvent>> = {
  completed: "task.completed",
  failed: "task.failed",
  needs_input: "task.needs_input",
};

export const eventForStatus = (status: TaskStatus): NotifyEvent | null => BY_STATUS[status] ?? null;

/** One transition of one task, as the TaskRunner hands it over; `key` is unique per transition. */
export interface TaskTransition {
  key: string;
  org_id: string;
  type: NotifyEvent;
  task_id: string;
  at: number;
  /** The task's list item at the transition, the payload's `data`. */
  task: unknown;
}

/** The body every subscriber receives, per Standard Webhooks: `{type, timestamp, data}`. */
export function payloadOf(t: TaskTransition): string {
  return JSON.stringify({ type: t.type, timestamp: new Date(t.at).toISOString(), data: t.task });
}
