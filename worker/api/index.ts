import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { authenticate } from "../lib/auth";
import { ensureBootstrapped } from "../lib/bootstrap";
import { ApiError } from "../lib/errors";
import { agentsApi } from "./agents";
import { errorResponse, newApp } from "./app";
import { authSessionApi, authSessionPublicApi } from "./auth-session";
import { eventsApi } from "./events";
import { healthApi } from "./health";
import { plansApi } from "./plans";
import { sessionsApi } from "./sessions";
import { tasksApi } from "./tasks";

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
authed.route("/auth/session", authSessionApi);
authed.route("/tasks", tasksApi);
authed.route("/sessions", sessionsApi);
authed.route("/agents", agentsApi);
authed.route("/plans", plansApi);
authed.route("/events", eventsApi);
api.route("/", authed);

api.notFound((c) => c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${c.req.path}`, request_id: c.get("requestId") } }, 404));
api.onError(errorResponse);

export { api };
