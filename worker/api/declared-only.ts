import type { RouteConfig } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/context";
import { badRequest } from "../lib/errors";

/**
 * A route takes only what it declares. A misspelt filter (`?agnet=writer`) would otherwise
 * list or export everything, and a body sent where none is read (`{"inputs": …}` on a run
 * with no body) would be dropped in silence: both are 400 naming what is unknown, as is a parameter given twice
 * or empty (`?agent=` is no filter a person meant).
 */
export function declaredOnly<R extends RouteConfig>(route: R): R {
  const query = route.request?.query;
  if (query && !("shape" in query)) throw new Error(`${route.method} ${route.path}: a query schema must be an object`);
  const known = Object.keys((query as { shape?: object } | undefined)?.shape ?? {});
  const guards = [knownQueryOnly(known)];
  if (!route.request?.body && route.method !== "get") guards.push(noBody);
  const own = route.middleware ? (Array.isArray(route.middleware) ? route.middleware : [route.middleware]) : [];
  return { ...route, middleware: [...guards, ...own] };
}

function knownQueryOnly(known: string[]) {
  const takes = known.length ? `it takes ${known.join(", ")}` : "this route takes none";
  return createMiddleware<AppEnv>(async (c, next) => {
    const garbled = garbledParams(c.req.url);
    if (garbled.length) {
      throw badRequest(
        `invalid request: ${garbled.map((k) => `"${k}"`).join(", ")}: not text (a percent-escape that is not UTF-8)`,
        garbled.map((k) => ({ path: k, message: "a percent-escape that is not UTF-8" })),
      );
    }
    const given = Object.entries(c.req.queries());
    const unknown = given.map(([k]) => k).filter((k) => !known.includes(k));
    // `?=writer` has no name, and the parsed query leaves it out
    if (new URL(c.req.url).searchParams.has("")) unknown.push("");
    if (unknown.length) {
      const list = unknown.map((k) => `"${k}"`).join(", ");
      throw badRequest(`invalid request: unknown query parameter${unknown.length > 1 ? "s" : ""} ${list} (${takes})`, unknown.map((k) => ({ path: k, message: "unknown query parameter" })));
    }
    // every parameter takes one value: `status=failed&status=cancelled` would otherwise be told neither is a status
    const details = given.flatMap(([k, values]) =>
      values.length > 1
        ? [{ path: k, message: `given ${values.length} times: it takes one value` }]
        : values[0] === ""
          ? [{ path: k, message: "empty: give a value, or leave the parameter out" }]
          : [],
    );
    if (details.length) throw badRequest(`invalid request: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`, details);
    await next();
  });
}

/**
 * The query's parameters whose name or value holds a percent-escape that is not UTF-8 (`q=%FF%FE`): the parsed
 * query keeps such text as written, so `q` would search for the words "FF" and "FE" instead of refusing it.
 */
function garbledParams(url: string): string[] {
  const query = url.includes("?") ? url.slice(url.indexOf("?") + 1).split("#")[0] : "";
  const decodes = (s: string) => {
    try {
      decodeURIComponent(s.replaceAll("+", " "));
      return true;
    } catch {
      return false;
    }
  };
  return query
    .split("&")
    .filter((pair) => pair && !pair.split("=").every(decodes))
    .map((pair) => {
      const name = pair.split("=")[0];
      return decodes(name) ? decodeURIComponent(name.replaceAll("+", " ")) : name;
    });
}

/** The keys of a JSON object body, or null for anything else (not JSON, or another JSON value). */
function objectKeys(text: string): string[] | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? Object.keys(value) : null;
  } catch {
    return null;
  }
}

/** Nothing, or an empty JSON object (what many clients send for "no data"), is no body; anything else is refused. */
const noBody = createMiddleware<AppEnv>(async (c, next) => {
  const text = (await c.req.text()).trim();
  const keys = text === "" ? [] : objectKeys(text);
  if (keys === null) throw badRequest("invalid request: this route takes no body", [{ path: "", message: "this route takes no body" }]);
  if (keys.length) {
    const list = keys.map((k) => `"${k}"`).join(", ");
    throw badRequest(`invalid request: this route takes no body (unknown key${keys.length > 1 ? "s" : ""} ${list})`, keys.map((k) => ({ path: k, message: "unknown key: this route takes no body" })));
  }
  await next();
});
