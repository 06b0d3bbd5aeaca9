import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../lib/context";
import { ApiError, challenge } from "../lib/errors";
import { log } from "../lib/log";
import { issueDetails } from "../lib/zod-issues";
import { declaredOnly } from "./declared-only";

/** Every sub-app is built here so validation failures share one error shape, and every route refuses what it does not declare. */
export function newApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issues = issueDetails(result.error.issues);
        throw new ApiError("bad_request", `invalid request: ${issues.map((i) => `${i.path || "body"}: ${i.message}`).join("; ")}`, issues);
      }
    },
  });
  const register = app.openapi;
  app.openapi = ((route, handler, hook) => register(declaredOnly(route), handler, hook)) as typeof register;
  return app;
}

export function errorResponse(err: Error, c: Context<AppEnv>): Response {
  const request_id = c.get("requestId");
  if (err instanceof ApiError) {
    const body = { error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }), request_id } };
    // every 401 carries a challenge, whoever raised it (a webhook's signature, too)
    const headers = err.status === 401 ? { "www-authenticate": challenge(), ...err.headers } : err.headers;
    return c.json(body, err.status, headers);
  }
  if (err instanceof HTTPException) {
    // a body sent as another media type than JSON is a malformed request (DESIGN.md: 400), as a body that is not JSON is
    if (err.status === 415) return c.json({ error: { code: "bad_request", message: "the request body must be JSON, sent with Content-Type: application/json", request_id } }, 400);
    const status = err.status;
    const code = status === 413 ? "payload_too_large" : status === 401 ? "unauthorized" : "bad_request";
    const message = status === 400 && /JSON/i.test(err.message) ? "the request body is not valid JSON" : err.message || "bad request";
    return c.json({ error: { code, message, request_id } }, status, status === 401 ? { "www-authenticate": challenge() } : undefined);
  }
  log("error", "unhandled error", { request_id, error: String(err), stack: err.stack });
  // Locally every Durable Object shares one process's SQLite heap (512 MiB, about 2,000 live task objects): past it a
  // request fails for a moment, not for good. Nothing it started is left half done (a create is undone, README).
  if (/SQLITE_NOMEM/.test(String(err))) {
    const message = "the runtime is out of memory for its databases (too many tasks live at once in one process); try again in a few seconds";
    return c.json({ error: { code: "unavailable", message, request_id } }, 503, { "retry-after": "5" });
  }
  return c.json({ error: { code: "internal", message: "internal error", request_id } }, 500);
}
