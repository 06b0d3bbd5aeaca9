import { createRoute, z } from "@hono/zod-openapi";
import { newApp } from "./app";
import { json } from "./schemas";

const Health = z.object({ ok: z.boolean(), d1: z.boolean(), durable_objects: z.boolean(), version: z.string() }).openapi("Health");

/** No auth: load balancers and `npm start` poll it. 503 when D1 or the Durable Objects cannot be reached. */
export const healthApi = newApp().openapi(
  createRoute({ method: "get", path: "/", tags: ["health"], summary: "Liveness and readiness", responses: { 200: json(Health), 503: json(Health, "Not ready") } }),
  async (c) => {
    const [d1, dos] = await Promise.all([
      c.env.DB.prepare("SELECT 1 AS one").first<{ one: number }>().then((r) => r?.one === 1, () => false),
      c.env.ORG_FEED.get(c.env.ORG_FEED.idFromName("health")).openStreams().then(() => true, () => false),
    ]);
    const ok = d1 && dos;
    return c.json({ ok, d1, durable_objects: dos, version: "0.1.0" }, ok ? 200 : 503);
  },
);
