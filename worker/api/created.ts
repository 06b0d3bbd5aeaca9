import type { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../lib/context";
import { API_BASE } from "./schemas";

/** `resourcePath("tasks", id)` is `/api/v1/tasks/<id>`: where a created resource is read (or changed). */
export const resourcePath = (collection: string, id: string) => `${API_BASE}/${collection}/${encodeURIComponent(id)}`;

/** A 201's documented answer: the new resource, and its path in `Location`. */
export const createdJson = <T extends z.ZodTypeAny>(schema: T, description = "Created") => ({
  description,
  headers: { Location: { description: "the new resource's absolute path (`/api/v1/…`)", required: true, schema: { type: "string" as const } } },
  content: { "application/json": { schema } },
});

/** Every 201: the new resource, with `Location` naming where it is. */
export const created = <T>(c: Context<AppEnv>, body: T, collection: string, id: string) => c.json(body, 201, { location: resourcePath(collection, id) });
