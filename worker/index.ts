import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { api } from "./api";
import { hooksApi } from "./api/hooks";
import { noRoute } from "./api/no-route";
import type { Bindings } from "./env";
import { requestLog } from "./lib/log";
import { securityHeaders } from "./lib/security-headers";

export { TaskRunner } from "./task/runner";
export { OrgFeed } from "./live/org-feed";
export { TriggerClock } from "./triggers/clock";
export { RateLimiter } from "./lib/rate-limit";
export { TokenGate } from "./lib/token-gate";
export { ChatConversation } from "./chat/conversation";
export { OrgQueue } from "./queue/org-queue";
export { RetentionJanitor } from "./retention/janitor";
export { Notifier } from "./notify/notifier";
export { SearchIndexKeeper } from "./db/search-index-keeper";

const app = new Hono<{ Bindings: Bindings }>();

app.route("/api/v1", api);
app.route("/hooks", hooksApi);
// Past the routes, /api and /hooks answer the API's JSON error (405 naming the methods a routed path takes), never the dashboard's page.
app.all("/api/*", requestId({ headerName: "x-request-id" }), requestLog, noRoute(() => app.routes));
app.all("/hooks/*", requestId({ headerName: "x-request-id" }), requestLog, noRoute(() => app.routes, ": a webhook is delivered with POST"));
// The dashboard's pages and files carry an id and an access line as the API's answers do: a report of a broken page can be found in the logs.
app.get("*", requestId({ headerName: "x-request-id" }), requestLog, async (c) => {
  const res = securityHeaders(await c.env.ASSETS.fetch(c.req.raw));
  res.headers.set("x-request-id", c.get("requestId"));
  return res;
});

export default app;
