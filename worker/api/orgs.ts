import { createRoute, z } from "@hono/zod-openapi";
import { actorOf, auditStatement } from "../lib/audit";
import { requireInstanceAdmin } from "../lib/auth";
import { notFound } from "../lib/errors";
import { seedOrgStatements } from "../lib/bootstrap";
import { newId } from "../lib/ids";
import { iso } from "../lib/time";
import { newApp } from "./app";
import { created, createdJson } from "./created";
import { body, errors, json, Page } from "./schemas";
import { newTokenStatements } from "./tokens";
import { type Keyset, keysetSql, pageOf } from "../db/keyset";
import { cursorAfter, ListQuery } from "./list-query";

const Org = z.object({ id: z.string(), name: z.string(), created_at: z.string() }).openapi("Org");
const Created = z
  .object({
    org: Org,
    token: z.object({ id: z.string(), token: z.string().openapi({ description: "the new organization's first admin token, shown this once" }), name: z.string(), role: z.literal("admin"), created_at: z.string(), expires_at: z.string().nullable() }),
  })
  .openapi("NewOrg");

interface OrgRow {
  id: string;
  name: string;
  created_at: number;
}

const toView = (r: OrgRow) => ({ id: r.id, name: r.name, created_at: iso(r.created_at)! });

/** Instance admins only: every other route is confined to the caller's organization. */
const NEWEST: Keyset = { columns: ["created_at", "id"], types: ["number", "string"], order: "DESC" };

export const orgsApi = newApp()
  .openapi(
    createRoute({
      method: "post", path: "/", tags: ["orgs"], summary: "Create an organization and its first admin token (instance admins)",
      request: { body: body(z.object({ name: z.string().trim().min(1).max(100) }).strict()) },
      responses: { 201: createdJson(Created), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireInstanceAdmin(p);
      const { name } = c.req.valid("json");
      const d1 = c.env.DB;
      const now = Date.now();
      const id = newId("org");
      const { stmt, created: token } = await newTokenStatements(d1, id, "admin", "admin", now);
      await d1.batch([
        d1.prepare("INSERT INTO orgs (id, name, settings, created_at) VALUES (?, ?, '{}', ?)").bind(id, name, now),
        stmt,
        ...seedOrgStatements(d1, id, now),
        auditStatement(d1, { org_id: p.org_id, actor: actorOf(p), action: "org.create", target_type: "org", target_id: id, details: { name } }, now),
        auditStatement(d1, { org_id: id, actor: actorOf(p), action: "token.create", target_type: "token", target_id: token.id, details: { name: token.name, role: "admin" } }, now),
      ]);
      return created(c, { org: toView({ id, name, created_at: now }), token: { ...token, role: "admin" as const } }, "orgs", id);
    },
  )
  .openapi(
    createRoute({ method: "get", path: "/", tags: ["orgs"], summary: "Every organization, newest first (instance admins)", request: { query: ListQuery }, responses: { 200: json(Page(Org)), ...errors(400, 401, 403) } }),
    async (c) => {
      requireInstanceAdmin(c.get("principal"));
      const { limit, cursor } = c.req.valid("query");
      const page = keysetSql(NEWEST, cursorAfter(NEWEST, cursor), limit);
      const { results } = await c.env.DB.prepare(`SELECT id, name, created_at FROM orgs WHERE 1 ${page.where} ${page.tail}`).bind(...page.args).all<OrgRow>();
      return c.json(pageOf(results, limit, (o) => [o.created_at, o.id], toView), 200);
    },
  )
  .openapi(
    createRoute({ method: "get", path: "/{id}", tags: ["orgs"], summary: "An organization (instance admins)", request: { params: z.object({ id: z.string().min(1).max(100) }) }, responses: { 200: json(Org), ...errors(401, 403, 404) } }),
    async (c) => {
      requireInstanceAdmin(c.get("principal"));
      const row = await c.env.DB.prepare("SELECT id, name, created_at FROM orgs WHERE id = ?").bind(c.req.valid("param").id).first<OrgRow>();
      if (!row) throw notFound("organization");
      return c.json(toView(row), 200);
    },
  );
