import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/context";
import { badRequest } from "../lib/errors";

const LONE_SURROGATE = /\p{Cs}/u;
/** the methods of every route that reads a body (a DELETE's is ignored) */
const WITH_BODY = new Set(["POST", "PUT", "PATCH"]);
const JSON_TYPE = /^application\/([a-z-.]+\+)?json(;|$)/i;

type At = { key: string; up: At } | null;
function pathOf(at: At): string {
  const keys: string[] = [];
  for (let a = at; a; a = a.up) keys.push(a.key);
  return keys.reverse().join(".");
}

/**
 * The JSON path of a string or key of `value` that holds a lone UTF-16 surrogate, or null when all is
 * text. Walked with a stack of its own, since a body may nest deeper than the call stack goes.
 */
export function illFormedPath(value: unknown): string | null {
  const todo: [unknown, At][] = [[value, null]];
  for (let next = todo.pop(); next; next = todo.pop()) {
    const [v, at] = next;
    if (typeof v === "string" && LONE_SURROGATE.test(v)) return pathOf(at);
    if (typeof v !== "object" || v === null) continue;
    for (const [key, child] of Object.entries(v)) {
      if (LONE_SURROGATE.test(key)) return pathOf({ key, up: at });
      todo.push([child, { key, up: at }]);
    }
  }
  return null;
}

/** 400 naming the path of the first lone surrogate in a parsed JSON body. */
export function refuseIllFormed(body: unknown): void {
  const at = illFormedPath(body);
  const message = "holds a lone UTF-16 surrogate, which is not text";
  if (at !== null) throw badRequest(`invalid request: ${at || "body"}: ${message}`, [{ path: at, message }]);
}

/**
 * JSON allows `"\ud800"`, which is no text: D1 stores it as U+FFFD while a task's object keeps it, so a
 * list and a detail would disagree. Refused up front (400 naming the path); malformed JSON is left to
 * the route's validator, which reads the same cached parse.
 */
export const wellFormedBody = createMiddleware<AppEnv>(async (c, next) => {
  if (WITH_BODY.has(c.req.method) && JSON_TYPE.test(c.req.header("content-type") ?? "")) {
    refuseIllFormed(await c.req.json().catch(() => undefined));
  }
  await next();
});
