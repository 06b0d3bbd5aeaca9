import type { RouteConfig } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/context";
import { badRequest } from "../lib/errors";

/**
 * A route takes only the query parameters it declares: a misspelt filter (`?agnet=writer`)
 * would otherwise list or export everything. It is 400 naming what is unknown.
 */
export function declaredOnly<R extends RouteConfig>(route: R): R {
  const query = route.request?.query;
  if (query && !("shape" in query)) throw new Error(`${route.method} ${route.path}: a query schema must be an object`);
  const known = Object.keys((query as { shape?: object } | undefined)?.shape ?? {});
  const guards = [knownQueryOnly(known)];
  const own = route.middleware ? (Array.isArray(route.middleware) ? route.middleware : [route.middleware]) : [];
  return { ...route, middleware: [...guards, ...own] };
}

function knownQueryOnly(known: string[]) {
  const takes = known.length ? `it takes ${known.join(", ")}` : "this route takes none";
  return createMiddleware<AppEnv>(async (c, next) => {
    const unknown = Object.keys(c.req.queries()).filter((k) => !known.includes(k));
    if (unknown.length) {
      const list = unknown.map((k) => `"${k}"`).join(", ");
      throw badRequest(`invalid request: unknown query parameter${unknown.length > 1 ? "s" : ""} ${list} (${takes})`, unknown.map((k) => ({ path: k, message: "unknown query parameter" })));
    }
    await next();
  });
}
