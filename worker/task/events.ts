import type { TaskStatus } from "../db/schema";
import type { NodeStatus } from "./dag";

/** Events a task's stream carries, keyed on `type`. Clients ignore types they do not know. */
export type TaskEvent =
  | { type: "task.updated"; task_id: string; status: TaskStatus; progress: { done: number; total: number }; cost: number }
  | { type: "step.updated"; task_id: string; step: string; status: NodeStatus; run_no: number; error?: string | null }
  | { type: "run.turn"; task_id: string; step: string; run_no: number; turn_no: number; tokens: { input: number; cache: number; output: number; web_search: number } }
  | { type: "run.text"; task_id: string; step: string; run_no: number; delta: string };

export type TaskEventType = TaskEvent["type"];

const encoder = new TextEncoder();

export function sseFrame(id: number | string | null, type: string, data: unknown): Uint8Array {
  const idLine = id == null ? "" : `id: ${id}\n`;
  return encoder.encode(`${idLine}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}

export const SSE_HEARTBEAT = encoder.encode(": heartbeat\n\n");
