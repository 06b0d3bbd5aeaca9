import { createRoute, z } from "@hono/zod-openapi";
import { type SearchIndexStatus, searchIndexKeeper } from "../db/search-index-keeper";
import { actorOf, auditStatement } from "../lib/audit";
import { requireInstanceAdmin } from "../lib/auth";
import { iso } from "../lib/time";
import { newApp } from "./app";
import { errors, json } from "./schemas";

const Status = z
  .object({
    merging: z.boolean().openapi({ description: "a pass is under way: the index is being merged a bounded step at a time" }),
    merged_at: z.string().nullable().openapi({ description: "when the last pass ended; null: never" }),
    one_segment: z.boolean().nullable().openapi({ description: "whether the last pass left the index one segment; false when tasks were written all through it and it ended at its bound (the next pass goes on)" }),
    pass_started_at: z.string().nullable(),
    steps: z.number().int().openapi({ description: "merge steps of the pass under way, or of the last one" }),
    next_at: z.string().nullable().openapi({ description: "when the keeper next runs: the next step of a pass, or the next day's pass" }),
    last_error: z.string().nullable(),
  })
  .openapi("SearchIndexStatus");

const view = (s: SearchIndexStatus) => ({ ...s, merged_at: iso(s.merged_at), pass_started_at: iso(s.pass_started_at), next_at: iso(s.next_at) });

export const searchIndexApi = newApp()
  .openapi(
    createRoute({
      method: "get", path: "/", tags: ["search-index"], summary: "The task search index's upkeep: when its last pass ended and whether that left one segment, and whether a pass is under way (instance admins)",
      responses: { 200: json(Status), ...errors(401, 403) },
    }),
    async (c) => {
      requireInstanceAdmin(c.get("principal"));
      return c.json(view(await searchIndexKeeper(c.env).status()), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post", path: "/merge", tags: ["search-index"], summary: "Merge the task search index now rather than at its daily pass; a pass under way goes on (instance admins)",
      responses: { 202: json(Status, "The pass is under way"), ...errors(401, 403) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireInstanceAdmin(p);
      const status = await searchIndexKeeper(c.env).mergeNow();
      await auditStatement(c.env.DB, { org_id: p.org_id, actor: actorOf(p), action: "search_index.merge", target_type: "search_index", target_id: "tasks_search" }).run();
      return c.json(view(status), 202);
    },
  );
