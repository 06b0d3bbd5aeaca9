import { createRoute, z } from "@hono/zod-openapi";
import { ROLES, type Role } from "../db/schema";
import { actorOf, auditStatement } from "../lib/audit";
import { BOOTSTRAP_TOKEN_ID } from "../lib/bootstrap";
import { newSecret, sha256Hex } from "../lib/crypto";
import { conflict, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { requireRole } from "../lib/roles";
import { iso, isoShape, onCalendar } from "../lib/time";
import { forgetToken } from "../lib/token-gate";
import { newApp } from "./app";
import { created, createdJson } from "./created";
import { body, errors, json, Page } from "./schemas";
import { type Keyset, keysetSql, pageOf } from "../db/keyset";
import { cursorAfter, ListQuery } from "./list-query";

const ExpiresAt = z.string().nullable().openapi({ description: "when the token stops working (ISO-8601); null: never" });
const TokenView = z
  .object({ id: z.string(), name: z.string(), role: z.enum(ROLES), instance_admin: z.boolean(), created_at: z.string(), expires_at: ExpiresAt, revoked_at: z.string().nullable() })
  .openapi("Token");
const NewToken = z
  .object({ id: z.string(), token: z.string().openapi({ description: "the secret, shown this once" }), name: z.string(), role: z.enum(ROLES), created_at: z.string(), expires_at: ExpiresAt })
  .openapi("NewToken");
const CreateToken = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: z.enum(ROLES),
    expires_at: z
      .string()
      .max(40)
      .refine((s) => isoShape(s) === "datetime", { message: "an ISO-8601 date and time with an offset, e.g. 2026-07-01T00:00:00Z", abort: true })
      .refine(onCalendar, { message: "no such day in the calendar", abort: true })
      .refine((v) => Date.parse(v) > Date.now(), "must be in the future")
      .optional()
      .openapi({ format: "date-time", description: "when the token stops working, as a revoked one does; omitted: never" }),
  })
  .strict();
const UpdateToken = z
  .object({ name: z.string().trim().min(1).max(100), role: z.enum(ROLES) })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: "change at least one field" })
  .openapi("UpdateToken");
const Id = z.object({ id: z.string().min(1).max(100) });

/**
 * SQL over `api_tokens` for a change to token ?2 of organization ?3 at ?1 that takes away its admin role: it may, unless it is
 * the organization's last live admin token, without which nobody could manage the organization again. Checked in the change
 * itself, so two admins taking each other's role at once cannot both win; an expired admin token does not count.
 */
const LEAVES_AN_ADMIN = `(role <> 'admin' OR expires_at <= ?1 OR EXISTS (SELECT 1 FROM api_tokens o WHERE o.org_id = ?3 AND o.role = 'admin'
  AND o.revoked_at IS NULL AND (o.expires_at IS NULL OR o.expires_at > ?1) AND o.id <> ?2))`;

/** Why a change to a live token of the organization matched no row: the last admin (409), else no such token (404). */
async function refused(d1: D1Database, orgId: string, id: string): Promise<never> {
  const left = await d1.prepare("SELECT role FROM api_tokens WHERE id = ? AND org_id = ? AND revoked_at IS NULL").bind(id, orgId).first<{ role: Role }>();
  if (left?.role === "admin") throw conflict("this is the organization's last admin token: create another admin token first, or nobody could manage the organization");
  throw notFound("token");
}

const BOOTSTRAP_FIXED = "the bootstrap token comes from FLIGHTDECK_ADMIN_TOKEN; change that instead";

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  instance_admin: number;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

const toView = (r: TokenRow) => ({
  id: r.id, name: r.name, role: r.role, instance_admin: r.instance_admin === 1, created_at: iso(r.created_at)!, expires_at: iso(r.expires_at), revoked_at: iso(r.revoked_at),
});

/** The statements that make a token; the caller batches them with whatever else goes with it. */
export async function newTokenStatements(d1: D1Database, orgId: string, name: string, role: Role, now: number, expiresAt: number | null = null) {
  const id = newId("tok");
  const token = newSecret();
  const stmt = d1
    .prepare("INSERT INTO api_tokens (id, org_id, name, role, token_hash, instance_admin, created_at, expires_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)")
    .bind(id, orgId, name, role, await sha256Hex(token), now, expiresAt);
  return { stmt, created: { id, token, name, role, created_at: iso(now)!, expires_at: iso(expiresAt) } };
}

const NEWEST: Keyset = { columns: ["created_at", "id"], types: ["number", "string"], order: "DESC" };

export const tokensApi = newApp()
  .openapi(
    createRoute({ method: "post", path: "/", tags: ["tokens"], summary: "Create an API token; the secret is in this response only", request: { body: body(CreateToken) }, responses: { 201: createdJson(NewToken), ...errors(400, 401, 403) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const { name, role, expires_at } = c.req.valid("json");
      const now = Date.now();
      const { stmt, created: token } = await newTokenStatements(c.env.DB, p.org_id, name, role, now, expires_at === undefined ? null : Date.parse(expires_at));
      const details = { name, role, ...(token.expires_at ? { expires_at: token.expires_at } : {}) };
      await c.env.DB.batch([stmt, auditStatement(c.env.DB, { org_id: p.org_id, actor: actorOf(p), action: "token.create", target_type: "token", target_id: token.id, details }, now)]);
      return created(c, token, "tokens", token.id);
    },
  )
  .openapi(
    createRoute({ method: "get", path: "/", tags: ["tokens"], summary: "The organization's tokens, never their secrets", request: { query: ListQuery.extend({ include_revoked: z.enum(["true", "false"]).optional() }) }, responses: { 200: json(Page(TokenView)), ...errors(400, 401, 403) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const { include_revoked, limit, cursor } = c.req.valid("query");
      const page = keysetSql(NEWEST, cursorAfter(NEWEST, cursor), limit);
      const { results } = await c.env.DB.prepare(
        `SELECT id, name, role, instance_admin, created_at, expires_at, revoked_at FROM api_tokens WHERE org_id = ? ${include_revoked === "true" ? "" : "AND revoked_at IS NULL"} ${page.where} ${page.tail}`,
      )
        .bind(p.org_id, ...page.args)
        .all<TokenRow>();
      return c.json(pageOf(results, limit, (t) => [t.created_at, t.id], toView), 200);
    },
  )
  .openapi(
    createRoute({ method: "get", path: "/{id}", tags: ["tokens"], summary: "One of the organization's tokens, revoked or not, never its secret", request: { params: Id }, responses: { 200: json(TokenView), ...errors(401, 403, 404) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const row = await c.env.DB.prepare("SELECT id, name, role, instance_admin, created_at, expires_at, revoked_at FROM api_tokens WHERE id = ? AND org_id = ?")
        .bind(c.req.valid("param").id, p.org_id)
        .first<TokenRow>();
      if (!row) throw notFound("token");
      return c.json(toView(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch", path: "/{id}", tags: ["tokens"], summary: "Rename a token or change its role, which its very next request has; never demotes the organization's last admin token (409)",
      request: { params: Id, body: body(UpdateToken) }, responses: { 200: json(TokenView), ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const { id } = c.req.valid("param");
      const change = c.req.valid("json");
      if (id === BOOTSTRAP_TOKEN_ID) throw conflict(BOOTSTRAP_FIXED);
      const d1 = c.env.DB;
      const now = Date.now();
      const [update] = await d1.batch([
        d1.prepare(
          `UPDATE api_tokens SET name = coalesce(?4, name), role = coalesce(?5, role) WHERE id = ?2 AND org_id = ?3 AND revoked_at IS NULL
             AND (coalesce(?5, role) = 'admin' OR ${LEAVES_AN_ADMIN})
           RETURNING id, name, role, instance_admin, created_at, expires_at, revoked_at, token_hash`,
        ).bind(now, id, p.org_id, change.name ?? null, change.role ?? null),
        auditStatement(d1, { org_id: p.org_id, actor: actorOf(p), action: "token.update", target_type: "token", target_id: id, details: change }, now, true),
      ]);
      const row = (update.results as (TokenRow & { token_hash: string })[])[0];
      if (!row) return refused(d1, p.org_id, id);
      // the gate forgets what it read, so the token's next request has its new role
      await forgetToken(c.env, row.token_hash);
      return c.json(toView(row), 200);
    },
  )
  .openapi(
    createRoute({ method: "delete", path: "/{id}", tags: ["tokens"], summary: "Revoke a token at once, ending its dashboard sessions; never the organization's last admin token (409)", request: { params: Id }, responses: { 204: { description: "Revoked" }, ...errors(401, 403, 404, 409) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const { id } = c.req.valid("param");
      if (id === BOOTSTRAP_TOKEN_ID) throw conflict(BOOTSTRAP_FIXED);
      const d1 = c.env.DB;
      const now = Date.now();
      const [revoke] = await d1.batch([
        d1.prepare(
          `UPDATE api_tokens SET revoked_at = ?1 WHERE id = ?2 AND org_id = ?3 AND revoked_at IS NULL AND ${LEAVES_AN_ADMIN}
           RETURNING token_hash`,
        ).bind(now, id, p.org_id),
        auditStatement(d1, { org_id: p.org_id, actor: actorOf(p), action: "token.revoke", target_type: "token", target_id: id }, now, true),
        d1.prepare("DELETE FROM auth_sessions WHERE token_id = ? AND org_id = ? AND changes() > 0").bind(id, p.org_id),
      ]);
      const hash = (revoke.results as { token_hash: string }[])[0]?.token_hash;
      if (!hash) return refused(d1, p.org_id, id);
      await forgetToken(c.env, hash);
      return c.body(null, 204);
    },
  );

export type TokenT = z.infer<typeof TokenView>;
export type NewTokenT = z.infer<typeof NewToken>;
