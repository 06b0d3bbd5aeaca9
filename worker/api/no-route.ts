import type { Context } from "hono";

interface Route {
  method: string;
  path: string;
}

const escape = (s: string) => s.replace(/[.+?^$()[\]\\|{}]/g, "\\$&");

/** A Hono route path (`/api/v1/tasks/:id`) as a regex over request paths; null for middleware and catch-alls. */
function patternOf(path: string): RegExp | null {
  if (path.includes("*")) return null;
  const segments = path.split("/").map((seg) => {
    const param = /^:\w+(?:\{(.+)\})?$/.exec(seg);
    return param ? (param[1] ? `(?:${param[1]})` : "[^/]+") : escape(seg);
  });
  return new RegExp(`^${segments.join("/")}$`);
}

/** The methods `path` is routed for (HEAD wherever GET is, as Hono answers it), sorted. */
export function allowedMethods(routes: readonly Route[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (r.method === "ALL" || methods.has(r.method)) continue;
    if (patternOf(r.path)?.test(path)) methods.add(r.method);
  }
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
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
    if (allow.length && method === "OPTIONS") return c.body(null, 204, { allow: [...allow, "OPTIONS"].join(", ") });
    if (allow.length) {
      const message = `${method} is not allowed on ${path}: it takes ${allow.join(", ")}`;
      return c.json({ error: { code: "method_not_allowed", message, request_id } }, 405, { allow: allow.join(", ") });
    }
    const trimmed = path.length > 1 && path.endsWith("/") ? path.replace(/\/+$/, "") : null;
    const slash = trimmed && allowedMethods(routes(), trimmed).length ? ` (did you mean ${trimmed}, without the trailing slash?)` : "";
    return c.json({ error: { code: "not_found", message: `no route ${method} ${path}${slash || hint}`, request_id } }, 404);
  };
}
