import type { TaskStatus } from "../db/schema";
import type { InputNeeded } from "../db/task-row";
import type { StepStatus } from "./step-status";

/** Events a task's stream carries, keyed on `type`. Clients ignore types they do not know. */
export type TaskEvent =
  | { type: "task.updated"; task_id: string; status: TaskStatus; progress: { done: number; total: number }; cost: number; input_needed_in?: InputNeeded[] }
  | { type: "step.updated"; task_id: string; step: string; status: StepStatus; run_no: number; error?: string | null }
  | { type: "run.turn"; task_id: string; step: string; run_no: number; turn_no: number; tokens: { input: number; cache: number; cache_write: number; output: number; web_search: number } }
  | { type: "run.text"; task_id: string; step: string; run_no: number; delta: string };

export type TaskEventType = TaskEvent["type"];

const encoder = new TextEncoder();

export function sseFrame(id: number | string | null, type: string, data: unknown): Uint8Array {
  return sseFrameJson(id, type, JSON.stringify(data));
}

/** For data already serialized (stored events): JSON has no raw newlines, so it is one `data:` line. */
export function sseFrameJson(id: number | string | null, type: string, json: string): Uint8Array {
  const idLine = id == null ? "" : `id: ${id}\n`;
  return encoder.encode(`${idLine}event: ${type}\ndata: ${json}\n\n`);
}

export const SSE_HEARTBEAT = encoder.encode(": heartbeat\n\n");

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** Bytes a client may fall behind before it is dropped; it resumes from the log with Last-Event-ID. */
export const MAX_CLIENT_BACKLOG = 256 * 1024;
/** A task stream's: a turn's text may come in a burst of its pieces at once. */
export const TASK_STREAM_MAX_BACKLOG = 4 * 1024 * 1024;

/** `SSE_HEARTBEAT_MS` in the environment overrides the interval (short-timeout proxies, tests). */
export function heartbeatMs(env: object, override?: number): number {
  const ms = override ?? Number((env as { SSE_HEARTBEAT_MS?: string }).SSE_HEARTBEAT_MS);
  return Number.isFinite(ms) && ms >= 10 ? ms : DEFAULT_HEARTBEAT_MS;
}

/** A stream whose writer's `desiredSize` counts queued bytes, so a slow client shows up as a negative size. */
export function sseStream(): { readable: ReadableStream<Uint8Array>; writer: WritableStreamDefaultWriter<Uint8Array> } {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>(undefined, {
    highWaterMark: MAX_CLIENT_BACKLOG,
    size: (chunk) => chunk.byteLength,
  });
  return { readable, writer: writable.getWriter() };
}
