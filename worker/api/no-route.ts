import type { Context } from "hono";

interface Route {
  method: string;
  path: string;
}

const escape = (s: string) => s.replace(/[.+?^$()[\]\\|{}]/g, "\\$&");

interface Pattern {
  re: RegExp;
  /** Per segment, 1 for a fixed one and 0 for a parameter: `/tasks/export` is 111, `/tasks/:id` 110. */
  fixed: string;
}

const patterns = new Map<string, Pattern | null>();

/** A Hono route path (`/api/v1/tasks/:id`) as a regex over request paths; null for middleware and catch-alls. */
function patternOf(path: string): Pattern | null {
  let pattern = patterns.get(path);
  if (pattern !== undefined) return pattern;
  if (path.includes("*")) pattern = null;
  else {
    const params = path.split("/").map((seg) => /^:\w+(?:\{(.+)\})?$/.exec(seg));
    const segments = path.split("/").map((seg, i) => {
      const param = params[i];
      return param ? (param[1] ? `(?:${param[1]})` : "[^/]+") : escape(seg);
    });
    pattern = { re: new RegExp(`^${segments.join("/")}$`), fixed: params.map((param) => (param ? "0" : "1")).join("") };
  }
  patterns.set(path, pattern);
  return pattern;
}

/**
 * The methods `path` is routed for (HEAD wherever GET is, as Hono answers it), sorted. A path a route names with
 * fixed segments belongs to the routes naming it most fixedly (a fixed segment beats a parameter at the first
 * segment where they differ): `/tasks/export` is a `GET /tasks/export`, never a `DELETE /tasks/{id}` of a task
 * called "export", so it takes GET and HEAD, and a DELETE of it is 405.
 */
export function allowedMethods(routes: readonly Route[], path: string): string[] {
  const byFixed = new Map<string, Set<string>>();
  for (const r of routes) {
    if (r.method === "ALL") continue;
    const pattern = patternOf(r.path);
    if (!pattern?.re.test(path)) continue;
    const methods = byFixed.get(pattern.fixed) ?? new Set<string>();
    methods.add(r.method);
    byFixed.set(pattern.fixed, methods);
  }
  // the same number of segments each (no route takes a parameter spanning a slash), so the greatest string is the most fixed
  const most = [...byFixed.keys()].sort().at(-1);
  const methods = new Set(most === undefined ? [] : byFixed.get(most));
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}

/** 405 naming what the path takes in `Allow`, or for OPTIONS that list as a 204. */
function notAllowed(c: Context, allow: readonly string[]): Response {
  const { method, path } = c.req;
  if (method === "OPTIONS") return c.body(null, 204, { allow: [...allow, "OPTIONS"].join(", ") });
  const message = `${method} is not allowed on ${path}: it takes ${allow.join(", ")}`;
  return c.json({ error: { code: "method_not_allowed", message, request_id: c.get("requestId") as string } }, 405, { allow: allow.join(", ") });
}

/** The paths routes name with fixed segments only that a route with a parameter also matches, with the methods each takes. */
function shadowedPaths(routes: readonly Route[]): Map<string, string[]> {
  const withParams = routes.filter((r) => r.method !== "ALL" && r.path.includes(":"));
  const out = new Map<string, string[]>();
  for (const r of routes) {
    if (r.method === "ALL" || r.path.includes(":") || r.path.includes("*") || out.has(r.path)) continue;
    if (withParams.some((o) => patternOf(o.path)?.re.test(r.path))) out.set(r.path, allowedMethods(routes, r.path));
  }
  return out;
}

/**
 * Ahead of the routes: a method a fixed path does not take (by `allowedMethods`) is 405 here, before a less fixed
 * route of that method takes the path for one of its own (`DELETE /tasks/export` as a cancel of a task "export").
 * `routes` are the app's, whose paths are `base` shorter than the request's. One lookup a request: the paths it
 * guards are found once.
 */
export function methodGuard(routes: () => readonly Route[], base = "") {
  let guarded: Map<string, string[]> | null = null;
  return async (c: Context, next: () => Promise<void>) => {
    guarded ??= shadowedPaths(routes());
    const path = c.req.path.startsWith(base) ? c.req.path.slice(base.length) || "/" : c.req.path;
    const allow = guarded.get(path);
    if (allow && !allow.includes(c.req.method)) return notAllowed(c, allow);
    await next();
  };
}

/**
 * What a request no route took gets: 405 with `Allow` when the path is routed for other methods (an OPTIONS
 * request gets that list as a 204), else 404 — saying so when the path only differs by a trailing slash.
 */
export function noRoute(routes: () => readonly Route[], hint = "") {
  return (c: Context) => {
    const { method, path } = c.req;
    const request_id = c.get("requestId") as string;
    const allow = allowedMethods(routes(), path);
    if (allow.length) return notAllowed(c, allow);
    const trimmed = path.length > 1 && path.endsWith("/") ? path.replace(/\/+$/, "") : null;
    const slash = trimmed && allowedMethods(routes(), trimmed).length ? ` (did you mean ${trimmed}, without the trailing slash?)` : "";
    return c.json({ error: { code: "not_found", message: `no route ${method} ${path}${slash || hint}`, request_id } }, 404);
  };
}
