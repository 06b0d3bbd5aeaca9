import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { authenticate } from "../lib/auth";
import { ensureBootstrapped } from "../lib/bootstrap";
import { ApiError } from "../lib/errors";
import { rateLimit } from "../lib/rate-limit";
import { agentsApi } from "./agents";
import { auditApi, auditMutations } from "./audit";
import { errorResponse, newApp } from "./app";
import { authSessionApi, authSessionPublicApi } from "./auth-session";
import { eventsApi } from "./events";
import { healthApi } from "./health";
import { idempotency } from "./idempotency";
import { orgsApi } from "./orgs";
import { plansApi } from "./plans";
import { pricingApi } from "./pricing";
import { sessionsApi } from "./sessions";
import { tasksApi } from "./tasks";
import { tokensApi } from "./tokens";
import { triggersApi } from "./triggers";

const api = newApp();

api.use("*", requestId({ headerName: "x-request-id" }));
api.use("*", async (c, next) => {
  await ensureBootstrapped(c.env);
  await next();
});
api.use("*", (c, next) =>
  bodyLimit({
    maxSize: Number(c.env.MAX_BODY_BYTES ?? 1_048_576),
    onError: () => {
      throw new ApiError("payload_too_large", `the request body is larger than ${c.env.MAX_BODY_BYTES ?? 1_048_576} bytes`);
    },
  })(c, next),
);

api.route("/health", healthApi);
api.post("/auth/session", (c, next) => next());
api.route("/auth/session", authSessionPublicApi);

const authed = newApp();
authed.use("*", authenticate);
authed.use("*", rateLimit);
authed.use("*", auditMutations);
authed.use("/tasks", idempotency);
authed.use("/plans/:id/run", idempotency);
authed.route("/auth/session", authSessionApi);
authed.route("/tasks", tasksApi);
authed.route("/sessions", sessionsApi);
authed.route("/agents", agentsApi);
authed.route("/plans", plansApi);
authed.route("/events", eventsApi);
authed.route("/triggers", triggersApi);
authed.route("/tokens", tokensApi);
authed.route("/orgs", orgsApi);
authed.route("/audit", auditApi);
authed.route("/pricing", pricingApi);
api.route("/", authed);

api.notFound((c) => c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${c.req.path}`, request_id: c.get("requestId") } }, 404));
api.onError(errorResponse);

export { api };
