import { createMiddleware } from "hono/factory";
import type { TaskEvent } from "../task/events";
import type { AppEnv } from "./context";
import { currentRequestId, withRequestId } from "./request-context";

type Level = "debug" | "info" | "warn" | "error";

/**
 * Structured JSON logs: one object a line, so Workers Logs and `wrangler tail` can filter on fields.
 * Lines written while handling a request carry its `request_id` unless the fields name one.
 */
export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  const request_id = currentRequestId();
  const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...(request_id ? { request_id } : {}), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** One line per task event, keyed by its number in the task's log; streamed text is logged by size, at debug. */
export function logTaskEvent(seq: number, event: TaskEvent): void {
  if (event.type === "run.text") {
    const { delta, type, ...rest } = event;
    log("debug", "task event", { event: type, seq, ...rest, chars: delta.length });
    return;
  }
  const { type, ...rest } = event;
  log("info", "task event", { event: type, seq, ...rest });
}

/** After `requestId()`: the rest of the request runs under its id and ends with one access-log line. */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await withRequestId(c.get("requestId"), async () => {
    await next();
    const p = c.get("principal");
    const status = c.res.status;
    log(status >= 500 ? "error" : "info", "request", {
      method: c.req.method,
      path: c.req.path,
      status,
      duration_ms: Date.now() - started,
      ...(p ? { org_id: p.org_id, token_id: p.token_id } : {}),
    });
  });
});
