import { createRoute, z } from "@hono/zod-openapi";
import { type Keyset, keysetSql, pageOf } from "../db/keyset";
import { MCP_SERVER_CACHE_MS, MCP_SERVER_NAME, type McpServerRow, sealContext } from "../db/mcp-servers";
import { type Actor, actorOf, auditStatement } from "../lib/audit";
import { badRequest, notFound, unprocessable } from "../lib/errors";
import { MIN_LITERAL } from "../lib/mask";
import { requireRole } from "../lib/roles";
import { fingerprint, seal, SecretsKeyMissing } from "../lib/secret-box";
import { delay, iso } from "../lib/time";
import { newApp } from "./app";
import { mcpServerExists, mcpServerMoved } from "./version-conflict";
import { baseVersion, ETAG_HEADER, ifMatches, ifMatchOf, versionTag } from "./plan-etag";
import { cursorAfter, ListQuery } from "./list-query";
import { body, CreatedBy, errors, json, Page } from "./schemas";

/** Headers the MCP transport sets itself, or that a fetch controls: a credential may not stand in for them. */
const RESERVED = new Set(["accept", "content-type", "content-length", "host", "connection", "transfer-encoding", "mcp-session-id", "mcp-protocol-version", "last-event-id"]);

/** Why a header may not be set as a credential, or null. */
function headerNameProblem(name: string): string | null {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/.test(name)) return "a header name is 1–100 letters, digits or !#$%&'*+.^_`|~-";
  return RESERVED.has(name.toLowerCase()) ? "the MCP transport sets this header itself" : null;
}

const HeaderValue = z
  .string()
  .min(1)
  .max(8192)
  // a line break would start another header, or be refused by fetch mid-run
  .refine((v) => !/[\0\r\n]/.test(v), "a header value may not hold a line break or NUL")
  // other characters go as UTF-8 bytes a server reads as other text: an echo of it would pass the run's masking
  .refine((v) => /^[\x20-\x7e\t]*$/.test(v), "a header value is ASCII text (letters, digits, punctuation and spaces)")
  .refine((v) => v.trim() === v, "a header value may not start or end with spaces")
  // a run masks a value a server echoes; a shorter one is not masked, as it would match ordinary text
  .refine((v) => (v.split(/\s+/).at(-1) ?? "").length >= MIN_LITERAL, `a header value (the token after a scheme such as Bearer) is at least ${MIN_LITERAL} characters: a shorter one could not be masked where a server echoes it`);

const Url = z
  .string()
  .max(500)
  .regex(/^https?:\/\/\S+$/i, "the server's URL is an http or https URL")
  .refine((u) => URL.canParse(u), "the server's URL is not a URL")
  .refine((u) => !URL.canParse(u) || (!new URL(u).username && !new URL(u).password), "put a credential in `headers`, not in the URL, which every viewer sees");

const McpServerInput = z
  .object({
    url: Url.openapi({ description: "the server's Streamable HTTP endpoint; its headers go to this origin only" }),
    headers: z
      .record(z.string(), HeaderValue)
      .default({})
      .superRefine((h, ctx) => {
        const names = Object.keys(h);
        if (names.length > 10) ctx.addIssue({ code: "custom", message: "at most 10 headers" });
        const lower = new Set<string>();
        for (const name of names) {
          const problem = headerNameProblem(name) ?? (lower.has(name.toLowerCase()) ? "given twice (header names are case-insensitive)" : null);
          lower.add(name.toLowerCase());
          if (problem) ctx.addIssue({ code: "custom", path: [name], message: problem });
        }
      })
      .openapi({ description: "sent with every request to the server's origin, e.g. `{\"Authorization\": \"Bearer …\"}`; write-only: never returned, replaced whole by each PUT", example: { Authorization: "Bearer <token>" } }),
  })
  .strict()
  .openapi("McpServerInput");

const HeaderView = z.object({
  name: z.string(),
  fingerprint: z.string().openapi({ description: "12 hex digits of a keyed digest of the value: changes when it is rotated, and tells nothing of it" }),
});

const McpServer = z
  .object({
    name: z.string().openapi({ description: "agents and steps use the server as the tool `mcp:<name>`" }),
    url: z.string(),
    headers: z.array(HeaderView).openapi({ description: "the headers set, by name; their values are never returned" }),
    created_at: z.string(),
    updated_at: z.string(),
    updated_by: CreatedBy.openapi({ description: "who set the server (and its headers) last" }),
    version: z.number().int().openapi({ description: "raised by every save; sent as `ETag`, and a PUT or DELETE with `If-Match` naming another is 409" }),
  })
  .openapi("McpServer");

const Name = z.object({ name: z.string().regex(MCP_SERVER_NAME, "an MCP server's name is 1–64 lowercase letters, digits, _ or -") });

const BY_NAME: Keyset = { columns: ["name"], types: ["string"], order: "ASC" };
const COLS = "name, url, header_names, created_at, updated_at, updated_by, version";

type HeaderViewT = z.infer<typeof HeaderView>;
const view = (r: Omit<McpServerRow, "headers">): z.infer<typeof McpServer> => ({
  name: r.name,
  url: r.url,
  headers: JSON.parse(r.header_names) as HeaderViewT[],
  created_at: iso(r.created_at)!,
  updated_at: iso(r.updated_at)!,
  updated_by: JSON.parse(r.updated_by) as Actor & z.infer<typeof CreatedBy>,
  version: r.version,
});

/** A server's answer, with its version as `ETag`. */
const tagged = (description?: string) => ({ ...json(McpServer, description), headers: ETAG_HEADER });

/** `If-None-Match` on a PUT: only `*` (add, never replace), else 400 naming it. */
function createOnly(header: string | undefined): boolean {
  if (header === undefined) return false;
  if (header.trim() !== "*") throw badRequest("invalid request: if-none-match: a PUT takes only `*`: add the server, never replace one", [{ path: "if-none-match", message: "only `*`" }]);
  return true;
}

/** An organization's named MCP servers: admins set them with their credentials, which no answer, audit entry or trace holds. */
export const mcpServersApi = newApp()
  .openapi(
    createRoute({ method: "get", path: "/", tags: ["mcp-servers"], summary: "The organization's named MCP servers (without their header values)", request: { query: ListQuery }, responses: { 200: json(Page(McpServer)), ...errors(400, 401) } }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const page = keysetSql(BY_NAME, cursorAfter(BY_NAME, cursor), limit);
      const { results } = await c.env.DB.prepare(`SELECT ${COLS} FROM mcp_servers WHERE org_id = ? ${page.where} ${page.tail}`).bind(c.get("principal").org_id, ...page.args).all<McpServerRow>();
      return c.json(pageOf(results, limit, (r) => [r.name], view), 200);
    },
  )
  .openapi(
    createRoute({ method: "get", path: "/{name}", tags: ["mcp-servers"], summary: "One named MCP server (without its header values); `ETag` is its version", request: { params: Name }, responses: { 200: tagged(), ...errors(400, 401, 404) } }),
    async (c) => {
      const row = await c.env.DB.prepare(`SELECT ${COLS} FROM mcp_servers WHERE org_id = ? AND name = ?`).bind(c.get("principal").org_id, c.req.valid("param").name).first<McpServerRow>();
      if (!row) throw notFound("MCP server");
      return c.json(view(row), 200, { etag: versionTag(row.version) });
    },
  )
  .openapi(
    createRoute({
      method: "put", path: "/{name}", tags: ["mcp-servers"],
      summary: "Add or replace a named MCP server and its headers (admins): in force for every run that starts after the answer; `If-Match` replaces only that version, `If-None-Match: *` only adds (409 otherwise)",
      request: { params: Name, body: body(McpServerInput) }, responses: { 200: tagged(), ...errors(400, 401, 403, 404, 409, 422) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const { name } = c.req.valid("param");
      const { url, headers } = c.req.valid("json");
      const ifMatch = ifMatchOf(c, "GET /mcp-servers/{name}");
      const addOnly = createOnly(c.req.header("if-none-match"));
      if (ifMatch !== undefined && addOnly) throw badRequest("invalid request: send If-Match (replace that version) or If-None-Match: * (add), not both");
      const key = c.env.SECRETS_KEY;
      let sealed: string | null = null;
      let names: HeaderViewT[] = [];
      try {
        if (Object.keys(headers).length) {
          sealed = await seal(key, JSON.stringify(headers), sealContext(p.org_id, name, url));
          names = await Promise.all(Object.entries(headers).map(async ([h, v]) => ({ name: h, fingerprint: await fingerprint(key, v) })));
        }
      } catch (e) {
        if (e instanceof SecretsKeyMissing) throw unprocessable(e.message);
        throw e;
      }
      const d1 = c.env.DB;
      const current = () => d1.prepare(`SELECT ${COLS} FROM mcp_servers WHERE org_id = ? AND name = ?`).bind(p.org_id, name).first<Omit<McpServerRow, "headers">>();
      const previous = await current();
      if (addOnly && previous) throw mcpServerExists(name, previous.version);
      if (ifMatch !== undefined && !previous) throw notFound("MCP server");
      if (ifMatch !== undefined && !ifMatches(ifMatch, previous!.version)) throw mcpServerMoved(name, previous!.version, baseVersion(ifMatch), "edit");
      // a save of what is saved changes nothing, nor raises the version another admin holds (fingerprints tell values apart)
      // (answered with the row it compared, not one read again, which a concurrent save may have changed)
      if (previous && previous.url === url && previous.header_names === JSON.stringify(names)) {
        return c.json(view(previous), 200, { etag: versionTag(previous.version) });
      }
      // with a precondition, a save that lands between the read and this write makes it change nothing: 409, not a lost update
      const version = ifMatch === undefined ? null : previous!.version;
      const now = Date.now();
      const actor = actorOf(p);
      const write =
        version === null
          ? d1.prepare(
              `INSERT INTO mcp_servers (org_id, name, url, headers, header_names, created_at, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)
               ON CONFLICT(org_id, name) DO UPDATE SET url = excluded.url, headers = excluded.headers, header_names = excluded.header_names,
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by, version = mcp_servers.version + 1
               WHERE NOT ?8 AND NOT (mcp_servers.url IS excluded.url AND mcp_servers.header_names IS excluded.header_names)
               RETURNING ${COLS}`,
            ).bind(p.org_id, name, url, sealed, JSON.stringify(names), now, JSON.stringify(actor), addOnly ? 1 : 0)
          : d1.prepare(
              `UPDATE mcp_servers SET url = ?3, headers = ?4, header_names = ?5, updated_at = ?6, updated_by = ?7, version = version + 1
               WHERE org_id = ?1 AND name = ?2 AND version = ?8 AND NOT (url IS ?3 AND header_names IS ?5)
               RETURNING ${COLS}`,
            ).bind(p.org_id, name, url, sealed, JSON.stringify(names), now, JSON.stringify(actor), version);
      const [written] = await d1.batch<Omit<McpServerRow, "headers">>([
        write,
        // names and fingerprints only: the audit log is read by every admin and outlives a rotation
        auditStatement(d1, {
          org_id: p.org_id, actor, action: "mcp_server.set", target_type: "mcp_server", target_id: name,
          details: { url, headers: names, previous: previous ? { url: previous.url, headers: JSON.parse(previous.header_names) as HeaderViewT[] } : null },
        }, now, true),
      ]);
      // the answer is the row this save wrote (RETURNING), never one read after it: a concurrent save's version
      // would be an ETag for a change this admin never saw, and their next If-Match would save over it
      const row = written.results[0];
      if (!row) {
        const latest = await current();
        if (!latest) throw notFound("MCP server");
        // a concurrent save made it what this one asks: it changed nothing (and its audit row, which needed a change, went unwritten)
        if (!addOnly && latest.url === url && latest.header_names === JSON.stringify(names) && (version === null || latest.version === version)) {
          return c.json(view(latest), 200, { etag: versionTag(latest.version) });
        }
        throw addOnly ? mcpServerExists(name, latest.version) : mcpServerMoved(name, latest.version, version, "edit");
      }
      await delay(MCP_SERVER_CACHE_MS);
      return c.json(view(row), 200, { etag: versionTag(row.version) });
    },
  )
  .openapi(
    createRoute({
      method: "delete", path: "/{name}", tags: ["mcp-servers"], summary: "Delete a named MCP server and its headers (admins): a run that starts after it and uses it fails, naming it; 409 when `If-Match` names another version",
      request: { params: Name }, responses: { 204: { description: "Deleted" }, ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const { name } = c.req.valid("param");
      const ifMatch = ifMatchOf(c, "GET /mcp-servers/{name}");
      const d1 = c.env.DB;
      const versionOf = () => d1.prepare("SELECT version FROM mcp_servers WHERE org_id = ? AND name = ?").bind(p.org_id, name).first<number>("version");
      let version: number | null = null;
      if (ifMatch !== undefined) {
        const current = await versionOf();
        if (current === null) throw notFound("MCP server");
        if (!ifMatches(ifMatch, current)) throw mcpServerMoved(name, current, baseVersion(ifMatch), "delete");
        version = current;
      }
      const [res] = await d1.batch([
        d1.prepare("DELETE FROM mcp_servers WHERE org_id = ?1 AND name = ?2 AND (?3 IS NULL OR version = ?3)").bind(p.org_id, name, version),
        auditStatement(d1, { org_id: p.org_id, actor: actorOf(p), action: "mcp_server.delete", target_type: "mcp_server", target_id: name }, Date.now(), true),
      ]);
      if (res.meta.changes === 0) {
        const latest = version === null ? null : await versionOf();
        throw latest === null ? notFound("MCP server") : mcpServerMoved(name, latest, version, "delete");
      }
      await delay(MCP_SERVER_CACHE_MS);
      return c.body(null, 204);
    },
  );

export type McpServerT = z.infer<typeof McpServer>;
export type McpServerInputT = z.input<typeof McpServerInput>;
