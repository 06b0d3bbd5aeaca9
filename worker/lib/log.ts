import { env } from "cloudflare:workers";
import { createMiddleware } from "hono/factory";
import type { Bindings } from "../env";
import type { TaskEvent } from "../task/events";
import type { AppEnv } from "./context";
import { currentRequestId, withRequestId } from "./request-context";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
type Level = (typeof LOG_LEVELS)[number];

let threshold: number | undefined;

/**
 * `LOG_LEVEL` (default `info`): lines below it are not written at all. Each line costs the
 * Worker and the log pipeline (Workers Logs bills by the line), and a task's step and turn
 * events are in its own event log anyway, so they are `debug`.
 */
export function setLogLevel(value: string | undefined): void {
  const level = LOG_LEVELS.indexOf((value ?? "info").toLowerCase() as Level);
  threshold = level < 0 ? LOG_LEVELS.indexOf("info") : level;
  if (level < 0) log("warn", "unknown LOG_LEVEL; logging at info", { log_level: value, levels: LOG_LEVELS });
}

function logsAt(level: Level): boolean {
  if (threshold === undefined) setLogLevel((env as Partial<Bindings> | undefined)?.LOG_LEVEL);
  return LOG_LEVELS.indexOf(level) >= threshold!;
}

/**
 * Structured JSON logs: one object a line, so Workers Logs and `wrangler tail` can filter on fields.
 * Lines written while handling a request carry its `request_id` unless the fields name one.
 */
export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (!logsAt(level)) return;
  const request_id = currentRequestId();
  const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...(request_id ? { request_id } : {}), ...fields });
  // The console method carries the level to Workers Logs; wrangler's local runner also skips its source-map pass for info and debug lines.
  console[level](line);
}

/**
 * One line per task event, keyed by its number in the task's log: status changes at info, a step's
 * and a run's events at debug (streamed text by size only).
 * `json` is the event as the task already serialized it for its log: the line is spliced around it rather
 * than built again, since a 200-step plan writes thousands of these.
 */
export function logTaskEvent(seq: number, event: TaskEvent, json = JSON.stringify(event)): void {
  const level = event.type === "task.updated" ? "info" : "debug";
  if (!logsAt(level)) return;
  if (event.type === "run.text") {
    const { delta, type, ...rest } = event;
    log("debug", "task event", { event: type, seq, ...rest, chars: delta.length });
    return;
  }
  const lead = `{"type":${JSON.stringify(event.type)},`;
  if (!json.startsWith(lead)) {
    const { type, ...rest } = event;
    log(level, "task event", { event: type, seq, ...rest });
    return;
  }
  const request_id = currentRequestId();
  const head = JSON.stringify({ level, msg: "task event", time: new Date().toISOString(), ...(request_id ? { request_id } : {}), event: event.type, seq });
  console[level](`${head.slice(0, -1)},${json.slice(lead.length)}`);
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
