import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/context";
import { badRequest } from "../lib/errors";
import { jsonPath } from "../lib/json-path";

/** How deep a JSON body may nest: far more than any plan needs, far less than the recursive validators' stack allows. */
export const MAX_JSON_DEPTH = 100;
/** the methods of every route that reads a body (a DELETE takes none: declared-only.ts refuses one) */
const WITH_BODY = new Set(["POST", "PUT", "PATCH"]);
const JSON_TYPE = /^application\/([a-z-.]+\+)?json(;|$)/i;
const LONE_SURROGATE = /\p{Cs}/u;

type At = { key: PropertyKey; up: At; depth: number } | null;

/** Named as every error names a path (`steps[1].instructions`, `cases["needs review"]`). */
function pathOf(at: At): string {
  const keys: PropertyKey[] = [];
  for (let a = at; a; a = a.up) keys.push(a.key);
  return jsonPath(keys.reverse());
}

/**
 * What makes a parsed JSON body unfit before any schema sees it, with its path: a string or key holding
 * a lone UTF-16 surrogate, a `__proto__` key (zod's records drop it: an input named so would vanish), or
 * nesting past MAX_JSON_DEPTH. Walked with a stack of its own, since a body
 * may nest deeper than the call stack goes.
 */
export function bodyProblem(value: unknown): { path: string; message: string } | null {
  const todo: [unknown, At][] = [[value, null]];
  for (let next = todo.pop(); next; next = todo.pop()) {
    const [v, at] = next;
    if (typeof v === "string" && LONE_SURROGATE.test(v)) return { path: pathOf(at), message: "holds a lone UTF-16 surrogate, which is not text" };
    if (typeof v !== "object" || v === null) continue;
    const depth = (at?.depth ?? 0) + 1;
    if (depth > MAX_JSON_DEPTH) return { path: pathOf(at), message: `nests deeper than ${MAX_JSON_DEPTH} levels` };
    const list = Array.isArray(v);
    for (const [key, child] of Object.entries(v)) {
      if (LONE_SURROGATE.test(key)) return { path: pathOf({ key, up: at, depth }), message: "holds a lone UTF-16 surrogate, which is not text" };
      if (key === "__proto__" && !list) return { path: pathOf({ key, up: at, depth }), message: "is a key no field of this API takes (a record would drop it without a word)" };
      todo.push([child, { key: list ? Number(key) : key, up: at, depth }]);
    }
  }
  return null;
}

/** 400 naming the path of what `bodyProblem` finds. */
export function refuseUnfitBody(body: unknown): void {
  const problem = bodyProblem(body);
  if (problem) throw badRequest(`invalid request: ${problem.path || "body"}: ${problem.message}`, [problem]);
}

/**
 * JSON allows `"\ud800"`, which is no text: D1 stores it as U+FFFD while a task's object keeps it, so a
 * list and a detail would disagree. And a body nested thousands deep overflows the schemas' recursion
 * (a 500). Both are refused up front; malformed JSON is left to the route's validator.
 * `Content-Type: application/json` with nothing sent, as many clients send every POST, is a request
 * without a body: a route whose body is optional (approve, a trigger's run) takes it as one, where the
 * validator would call it malformed JSON.
 */
export const wellFormedBody = createMiddleware<AppEnv>(async (c, next) => {
  if (WITH_BODY.has(c.req.method) && JSON_TYPE.test(c.req.header("content-type") ?? "")) {
    const text = await c.req.text();
    if (text.trim() === "") {
      const headers = new Headers(c.req.raw.headers);
      headers.delete("content-type");
      c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers, signal: c.req.raw.signal });
    } else {
      refuseUnfitBody(await c.req.json().catch(() => undefined));
    }
  }
  await next();
});
