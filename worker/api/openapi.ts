import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../lib/context";
import { newApp } from "./app";
import { IDEMPOTENT_ROUTES } from "./idempotency";
import { planDocumentSchemas } from "./plan-document";
import { ADD_ONLY_PARAMETER, IF_MATCH_PARAMETER, IF_MATCH_ROUTES, IF_NONE_MATCH_PARAMETER } from "./plan-etag";
import { REFERENCE_CSS, renderReference } from "./reference";
import { API_BASE, ErrorBody, errors, json, TaskListItem } from "./schemas";

export type OpenApiDocument = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;
type PathItem = NonNullable<OpenApiDocument["paths"]>[string];
export type Operation = NonNullable<PathItem["get"]>;

export { API_BASE };
export const METHODS = ["get", "put", "post", "delete", "patch"] as const;

/** Operations that need no credentials; every other one takes a bearer token or the dashboard's session cookie. */
export const PUBLIC_OPERATIONS: ReadonlySet<string> = new Set([
  "GET /health",
  "POST /auth/session",
  "GET /openapi.json",
  "GET /reference",
  "GET /reference.css",
  "POST /hooks/{trigger_id}",
]);

const IDEMPOTENT = new Set(IDEMPOTENT_ROUTES);
const IF_MATCH = new Set(IF_MATCH_ROUTES);

const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });

const CHALLENGE_HEADER = {
  "WWW-Authenticate": { description: '`Bearer realm="flightdeck"`, with `error="invalid_token"` when the token or session sent was refused', required: true, schema: { type: "string" as const } },
};
const RETRY_AFTER_HEADER = { "Retry-After": { description: "whole seconds to wait before trying again", required: true, schema: { type: "integer" as const, minimum: 0 } } };

/**
 * Statuses that middleware, not the route, can answer: auth and the rate limit on
 * every authenticated operation, the body limit and JSON parsing wherever a body is
 * read, the Origin check on cookie-authenticated mutations, and on every operation an
 * unknown query parameter (and, where the route takes no body, any body but `{}`).
 */
function addMiddlewareResponses(key: string, op: Operation, method: string): void {
  const responses = (op.responses ??= {});
  const add = (status: number, description: string) => {
    responses[status] ??= errorResponse(description);
  };
  if (!PUBLIC_OPERATIONS.has(key)) {
    op.security = [{ bearer: [] }, { session: [] }];
    add(401, "No valid token or session");
    add(429, "Rate limited (`retry-after` says when to retry)");
    if (method !== "get") add(403, "Forbidden (role, or a cookie-authenticated request from another origin)");
  } else op.security = [];
  // every route refuses a query parameter it does not declare, and a body where it takes none (declared-only.ts)
  add(400, "Malformed or invalid request, or one with an unknown query parameter (or a body where the route takes none)");
  // the limit applies to whatever body a request carries, also where the route reads none (a DELETE with a body)
  if (op.requestBody || method !== "get") add(413, "Body larger than MAX_BODY_BYTES");
  if (IF_MATCH.has(key)) op.parameters = [...(op.parameters ?? []), IF_MATCH_PARAMETER];
  if (key === "GET /plans/{id}") op.parameters = [...(op.parameters ?? []), IF_NONE_MATCH_PARAMETER];
  if (key === "PUT /mcp-servers/{name}") op.parameters = [...(op.parameters ?? []), ADD_ONLY_PARAMETER];
  // the headers a client acts on, wherever the status is answered (a route's own 401 or 429 too)
  if (responses[401]) responses[401].headers = { ...responses[401].headers, ...CHALLENGE_HEADER };
  if (responses[429]) responses[429].headers = { ...responses[429].headers, ...RETRY_AFTER_HEADER };
  if (IDEMPOTENT.has(key)) {
    op.parameters = [
      ...(op.parameters ?? []),
      { name: "idempotency-key", in: "header", required: false, description: "Replays the first result for the same key and body; another body with the same key is 422; while the first is still running, a repeat waits up to 10 s, then is 409", schema: { type: "string", minLength: 1, maxLength: 255 } },
    ];
    add(409, "Conflict (or a request with the same Idempotency-Key still in progress after 10 s)");
    add(422, "Unprocessable (or an Idempotency-Key reused with another body)");
  }
}

export function buildDocument(source: Pick<OpenAPIHono<AppEnv>, "getOpenAPI31Document">): OpenApiDocument {
  const doc = source.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Flightdeck API",
      version: "1",
      description: "Run and watch AI-agent work: plans, tasks, traces, costs, live. Errors are `{\"error\": {code, message, details?, request_id}}`; every response carries `x-request-id`.",
    },
    servers: [{ url: API_BASE }],
  });
  doc.components ??= {};
  doc.components.securitySchemes = {
    bearer: { type: "http", scheme: "bearer", description: "An API token (`fd_…`)" },
    session: {
      type: "apiKey",
      in: "cookie",
      name: "__Host-fd_session",
      description:
        "The dashboard's session, from `POST /auth/session`. Served over plain http on a host other than localhost (where browsers drop Secure cookies) it is `fd_session`; a session sent as `fd_session` where `__Host-fd_session` can be used is moved to it",
    },
  };
  doc.security = [{ bearer: [] }, { session: [] }];
  Object.assign(doc.components.schemas ??= {}, planDocumentSchemas());
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) addMiddlewareResponses(`${method.toUpperCase()} ${path}`, op, method);
    }
  }
  return doc;
}

const Hook = createRoute({
  method: "post",
  path: "/hooks/{trigger_id}",
  tags: ["triggers"],
  summary: "A webhook trigger's delivery, signed per Standard Webhooks; the JSON object body becomes the plan's inputs (outside /api/v1)",
  description:
    "A trigger takes at most its `effective_rate_limit_per_min` signed deliveries a minute (its own `rate_limit_per_min`, else the instance's `WEBHOOK_RATE_LIMIT_PER_MIN`, 60 unless set): past it 429 with `retry-after`, and nothing starts.",
  servers: [{ url: "/" }],
  request: {
    params: z.object({ trigger_id: z.string() }),
    headers: z.object({
      "webhook-id": z.string(),
      "webhook-timestamp": z.string().openapi({ description: "Unix seconds, within 5 minutes" }),
      "webhook-signature": z.string().openapi({ description: "`v1,<base64 HMAC-SHA256 of \"id.timestamp.body\">`" }),
    }),
    body: { required: true, content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } },
  },
  responses: {
    200: json(z.object({ duplicate: z.literal(true), webhook_id: z.string(), task_id: z.string().nullable() }), "A repeated webhook-id: acknowledged, nothing started"),
    202: json(z.object({ duplicate: z.literal(false), webhook_id: z.string(), task_id: z.string(), task: TaskListItem }), "Task started"),
    ...errors(400, 401, 404, 409, 413, 422, 429),
  },
});

/** The document and the reference page, built from the routes' own zod schemas once per isolate. */
export function docsApi(source: () => Pick<OpenAPIHono<AppEnv>, "getOpenAPI31Document">) {
  let cached: OpenApiDocument | null = null;
  const doc = () => (cached ??= buildDocument(source()));
  const app = newApp();
  app.openAPIRegistry.registerPath(Hook);
  app.openAPIRegistry.register("Error", ErrorBody);
  return app
    .openapi(
      createRoute({ method: "get", path: "/openapi.json", tags: ["meta"], summary: "This OpenAPI 3.1 document", responses: { 200: json(z.record(z.string(), z.unknown()), "OpenAPI 3.1") } }),
      (c) => c.json(doc() as unknown as Record<string, unknown>, 200),
    )
    .openapi(
      createRoute({ method: "get", path: "/reference", tags: ["meta"], summary: "Browsable API reference (HTML)", responses: { 200: { description: "HTML", content: { "text/html": { schema: z.string() } } } } }),
      (c) => {
        c.header("content-security-policy", "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
        c.header("x-content-type-options", "nosniff");
        return c.html(renderReference(doc()), 200);
      },
    )
    .openapi(
      createRoute({ method: "get", path: "/reference.css", tags: ["meta"], summary: "The reference page's stylesheet", responses: { 200: { description: "CSS", content: { "text/css": { schema: z.string() } } } } }),
      (c) => c.body(REFERENCE_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=300" }),
    );
}
