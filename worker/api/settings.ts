import { createRoute, z } from "@hono/zod-openapi";
import type { Bindings } from "../env";
import { actorOf, auditStatement } from "../lib/audit";
import { badRequest } from "../lib/errors";
import { checkPattern } from "../lib/mask";
import { DEFAULT_MAX_CONCURRENT_TASKS, type OrgSettings, readOrgSettings } from "../lib/org-settings";
import { requireRole } from "../lib/roles";
import { releaseCapped } from "../spend/cap-release";
import { orgQueue } from "../queue/admission";
import { newApp } from "./app";
import { body, errors, json, usd } from "./schemas";

const Settings = z
  .object({
    max_concurrent_tasks: z.number().int().nullable().openapi({ description: `tasks of the organization that may run at once; null: the default (${DEFAULT_MAX_CONCURRENT_TASKS})` }),
    retention_days: z.number().int().nullable().openapi({ description: "finished tasks older than this are deleted; null: kept" }),
    monthly_spend_cap: z.number().nullable().openapi({ description: "USD per calendar month (UTC); null: no cap" }),
    mask_patterns: z.array(z.string()).openapi({ description: "regular expressions masked in traces, besides provider keys and common key shapes" }),
    mask_patterns_skipped: z
      .array(z.object({ pattern: z.string(), reason: z.string() }))
      .openapi({ description: "patterns saved before a stricter check refused their kind: kept as saved, but not masked with until edited" }),
    defaults: z.object({ max_concurrent_tasks: z.number().int() }),
    queue: z.object({ running: z.number().int(), waiting: z.number().int() }).openapi({ description: "tasks holding a slot now, and tasks waiting for one" }),
  })
  .openapi("OrgSettings");

const SettingsInput = z
  .object({
    max_concurrent_tasks: z.number().int().min(1).max(10_000).nullable(),
    retention_days: z.number().int().min(1).max(3650).nullable(),
    monthly_spend_cap: usd(10_000_000).nullable(),
    mask_patterns: z.array(z.string().min(1).max(200)).max(20).nullable(),
  })
  .partial()
  .strict()
  // as a subscription's PATCH: an empty change is a mistake, not an audited no-op
  .refine((v) => Object.keys(v).length > 0, { message: "change at least one field" })
  .openapi("OrgSettingsInput", { description: "only the fields given change (at least one); null restores the default" });

async function view(env: Bindings, orgId: string, s: OrgSettings) {
  const queue = await orgQueue(env, orgId).counts();
  return {
    max_concurrent_tasks: s.max_concurrent_tasks,
    retention_days: s.retention_days,
    monthly_spend_cap: s.monthly_spend_cap_nanos == null ? null : s.monthly_spend_cap_nanos / 1e9,
    mask_patterns: s.mask_patterns,
    mask_patterns_skipped: s.mask_patterns.flatMap((pattern) => {
      const reason = checkPattern(pattern);
      return reason === null ? [] : [{ pattern, reason }];
    }),
    defaults: { max_concurrent_tasks: DEFAULT_MAX_CONCURRENT_TASKS },
    queue,
  };
}

/** The organization's operating limits: concurrency, retention, monthly spend cap, masked patterns. */
export const settingsApi = newApp()
  .openapi(
    createRoute({ method: "get", path: "/", tags: ["settings"], summary: "The organization's limits and queue", responses: { 200: json(Settings), ...errors(401) } }),
    async (c) => {
      const orgId = c.get("principal").org_id;
      return c.json(await view(c.env, orgId, await readOrgSettings(c.env.DB, orgId)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch", path: "/", tags: ["settings"], summary: "Change the organization's limits (admins)",
      request: { body: body(SettingsInput) }, responses: { 200: json(Settings), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const input = c.req.valid("json");
      const bad = (input.mask_patterns ?? []).map((src, i) => ({ path: `mask_patterns[${i}]`, message: checkPattern(src) })).filter((e) => e.message !== null);
      if (bad.length) throw badRequest(`invalid request: ${bad.map((b) => `${b.path}: ${b.message}`).join("; ")}`, bad);
      // json_patch drops keys set to null, so null means "back to the default".
      const patch: Record<string, unknown> = {};
      if (input.max_concurrent_tasks !== undefined) patch.max_concurrent_tasks = input.max_concurrent_tasks;
      if (input.retention_days !== undefined) patch.retention_days = input.retention_days;
      if (input.monthly_spend_cap !== undefined) patch.monthly_spend_cap_nanos = input.monthly_spend_cap == null ? null : Math.round(input.monthly_spend_cap * 1e9);
      if (input.mask_patterns !== undefined) patch.mask_patterns = input.mask_patterns;
      const d1 = c.env.DB;
      await d1.batch([
        d1.prepare("UPDATE orgs SET settings = json_patch(settings, ?) WHERE id = ?").bind(JSON.stringify(patch), p.org_id),
        auditStatement(d1, { org_id: p.org_id, actor: actorOf(p), action: "settings.update", target_type: "org", target_id: p.org_id, details: input }),
      ]);
      if (input.max_concurrent_tasks !== undefined) await orgQueue(c.env, p.org_id).refresh();
      if (input.monthly_spend_cap !== undefined) await releaseCapped(c.env, p.org_id);
      if (input.retention_days != null) await c.env.RETENTION_JANITOR.get(c.env.RETENTION_JANITOR.idFromName(p.org_id)).schedule(p.org_id);
      return c.json(await view(c.env, p.org_id, await readOrgSettings(d1, p.org_id)), 200);
    },
  );
