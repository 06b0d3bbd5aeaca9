import { requestId } from "hono/request-id";
import { authenticate } from "../lib/auth";
import { ensureBootstrapped } from "../lib/bootstrap";
import { bodyLimit } from "../lib/body-limit";
import { requestLog } from "../lib/log";
import { rateLimit } from "../lib/rate-limit";
import { agentsApi } from "./agents";
import { auditApi, auditMutations } from "./audit";
import { errorResponse, newApp } from "./app";
import { authSessionApi, authSessionPublicApi } from "./auth-session";
import { chatApi } from "./chat";
import { eventsApi } from "./events";
import { exportApi } from "./export";
import { healthApi } from "./health";
import { honoPath, idempotency, IDEMPOTENT_ROUTES, type Replayed, refuseIdempotencyKey, UNREPLAYABLE_ROUTES } from "./idempotency";
import { docsApi } from "./openapi";
import { mcpServersApi } from "./mcp-servers";
import { methodGuard } from "./no-route";
import { API_BASE } from "./schemas";
import { notificationsApi, replayedSubscription } from "./notifications";
import { orgsApi } from "./orgs";
import { plansApi } from "./plans";
import { pricingApi } from "./pricing";
import { sessionsApi } from "./sessions";
import { settingsApi } from "./settings";
import { searchIndexApi } from "./search-index";
import { spendApi } from "./spend";
import { tasksApi } from "./tasks";
import { tokensApi } from "./tokens";
import { wellFormedBody } from "./well-formed";
import { replayedTrigger, triggersApi } from "./triggers";

const api = newApp();

api.use("*", requestId({ headerName: "x-request-id" }));
api.use("*", requestLog);
// Ahead of bootstrapping, so an unreachable D1 is a 503 report here rather than a 500.
const withHealth = api.route("/health", healthApi);
api.use("*", async (c, next) => {
  await ensureBootstrapped(c.env);
  await next();
});
api.use("*", bodyLimit);

api.post("/auth/session", (c, next) => next());
const publicRoutes = withHealth.route("/auth/session", authSessionPublicApi).route("/", docsApi(() => api));

const authed = newApp();
authed.use("*", authenticate);
authed.use("*", rateLimit);
// A fixed path beside an {id} (`/tasks/export`, `/triggers/next-fires`) takes only its own methods: a DELETE of it is
// 405, not a cancel of a task called "export" (the 405s of a path no route takes are noRoute's, in worker/index.ts).
authed.use("*", methodGuard(() => api.routes, API_BASE));
authed.use("*", wellFormedBody);
authed.use("*", auditMutations);
const REPLAYED: Readonly<Record<string, Replayed>> = {
  "POST /triggers": replayedTrigger,
  "POST /triggers/{id}/rotate-secret": replayedTrigger,
  "POST /notifications/subscriptions": replayedSubscription,
  "POST /notifications/subscriptions/{id}/rotate-secret": replayedSubscription,
};
for (const route of IDEMPOTENT_ROUTES) authed.use(honoPath(route), idempotency(REPLAYED[route]));
for (const route of UNREPLAYABLE_ROUTES) authed.use(honoPath(route), refuseIdempotencyKey);
// Chained so the mounted routes' types add up to AppType, which the typed client reads.
const authedRoutes = authed
  .route("/auth/session", authSessionApi)
  // Ahead of /tasks, whose /{id} would take "export" for an id.
  .route("/tasks/export", exportApi)
  .route("/tasks", tasksApi)
  .route("/sessions", sessionsApi)
  .route("/agents", agentsApi)
  .route("/plans", plansApi)
  .route("/events", eventsApi)
  .route("/triggers", triggersApi)
  .route("/tokens", tokensApi)
  .route("/orgs", orgsApi)
  .route("/search-index", searchIndexApi)
  .route("/audit", auditApi)
  .route("/pricing", pricingApi)
  .route("/mcp-servers", mcpServersApi)
  .route("/settings", settingsApi)
  .route("/spend", spendApi)
  .route("/notifications", notificationsApi)
  .route("/chat", chatApi);
const routes = api.route("/", authedRoutes);

api.notFound((c) => c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${c.req.path}`, request_id: c.get("requestId") } }, 404));
api.onError(errorResponse);

export { api };
/** The whole API's routes and schemas as one type, for `hc<AppType>` (web/src/client). */
export type AppType = typeof publicRoutes | typeof routes;
