import { createRoute, z } from "@hono/zod-openapi";
import type { AgentRow } from "../db/agent-row";
import { actorOf, auditStatement } from "../lib/audit";
import { publishChange } from "../live/change-events";
import { toolCallCap } from "../agents/loop";
import type { Bindings } from "../env";
import { unknownMcpServers } from "../db/mcp-servers";
import { badRequest, conflict, notFound, unprocessable } from "../lib/errors";
import { newId } from "../lib/ids";
import { requireRole } from "../lib/roles";
import { iso } from "../lib/time";
import { orgQueue } from "../queue/admission";
import { toolName } from "../task/plan-schema";
import { agentMoved } from "./version-conflict";
import { baseVersion, ETAG_HEADER, ifMatches, ifMatchOf, versionTag } from "./plan-etag";
import { TRIGGERS_USING_AGENT, type TriggerUse, usedByTriggers } from "../triggers/uses";
import { newApp } from "./app";
import { created, createdJson } from "./created";
import { Agent, body, errors, json, LIMITS, MAX_BUDGET_USD, Page, usd } from "./schemas";
import { type Keyset, keysetSql, pageOf } from "../db/keyset";
import { cursorAfter, ListQuery } from "./list-query";

const MODEL = /^(sim|openai:[\w.:/-]{1,100}|anthropic:[\w.:/-]{1,100})$/;

const AgentInput = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "an agent name is 1–64 lowercase letters, digits, _ or -")
      // `/agents/{id}` takes an id or a name: one shaped like another agent's id would be read, changed or deleted in its place
      .refine((n) => !n.startsWith("agt_"), "an agent name may not start with agt_, which agent ids start with"),
    model: z.string().regex(MODEL, "model is `sim`, `openai:<model>` or `anthropic:<model>`"),
    system_prompt: z.string().max(LIMITS.systemPrompt).default(""),
    tools: z.array(toolName).max(32).default([]),
    max_turns: z.number().int().min(1).max(1000).default(20),
    max_cost: usd(MAX_BUDGET_USD).nullable().default(null),
    max_concurrency: z.number().int().min(1).max(10_000).nullable().default(null).openapi({ description: "tasks using this agent that may run at once; null: only the organization's cap" }),
    max_tool_calls_per_turn: z.number().int().min(1).nullable().default(null).openapi({ description: "tool calls one model turn may have run, from 1 to the instance's MAX_TOOL_CALLS_PER_TURN (32 by default; more is 400); null: that bound" }),
  })
  .strict()
  .openapi("AgentInput");


const toAgent = (r: AgentRow): z.infer<typeof Agent> => ({
  id: r.id,
  name: r.name,
  model: r.model,
  system_prompt: r.system_prompt,
  tools: JSON.parse(r.tools) as string[],
  max_turns: r.max_turns,
  max_cost: r.max_cost_nanos == null ? null : r.max_cost_nanos / 1e9,
  max_concurrency: r.max_concurrency,
  max_tool_calls_per_turn: r.max_tool_calls_per_turn,
  created_at: iso(r.created_at)!,
  updated_at: iso(r.updated_at)!,
  version: r.version,
});

/** An agent's answer, with its version as `ETag`: a `PUT` or `DELETE` sends it back in `If-Match`. */
const tagged = <T extends z.ZodTypeAny>(schema: T) => ({ ...json(schema), headers: ETAG_HEADER });
const createdTagged = <T extends z.ZodTypeAny>(schema: T) => { const doc = createdJson(schema); return { ...doc, headers: { ...doc.headers, ...ETAG_HEADER } }; };

const Id = z.object({ id: z.string().min(1).max(100) });
const COLS = "id, name, model, system_prompt, tools, max_turns, max_cost_nanos, max_concurrency, max_tool_calls_per_turn, created_at, updated_at, version";

/** An agent naming a server the organization has not configured would fail every run: refused on save instead. */
async function checkMcpServers(d1: D1Database, orgId: string, tools: readonly string[]): Promise<void> {
  const unknown = await unknownMcpServers(d1, orgId, tools);
  if (unknown.length) {
    throw unprocessable(
      `unknown MCP server${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}: an admin adds ${unknown.length > 1 ? "them" : "it"} under Settings → MCP servers (PUT /mcp-servers/{name})`,
      unknown.map((name) => ({ path: `tools[${tools.indexOf(`mcp:${name}`)}]`, message: `no MCP server named ${name}` })),
    );
  }
}

/** The instance's bound is configured, not a constant, so the schema cannot hold it: checked as a schema error would be. */
function checkToolCalls(env: Bindings, a: { max_tool_calls_per_turn: number | null }): void {
  const cap = toolCallCap(env.MAX_TOOL_CALLS_PER_TURN);
  if (a.max_tool_calls_per_turn !== null && a.max_tool_calls_per_turn > cap) {
    const message = `at most ${cap}, this instance's MAX_TOOL_CALLS_PER_TURN`;
    throw badRequest(`invalid request: max_tool_calls_per_turn: ${message}`, [{ path: "max_tool_calls_per_turn", message }]);
  }
}

/** Whether saving `a` over `row` would change nothing. */
function sameAgent(row: AgentRow, a: z.infer<typeof AgentInput>): boolean {
  const maxCost = a.max_cost == null ? null : Math.round(a.max_cost * 1e9);
  return (
    row.name === a.name && row.model === a.model && row.system_prompt === a.system_prompt && row.tools === JSON.stringify(a.tools) &&
    row.max_turns === a.max_turns && row.max_cost_nanos === maxCost && row.max_concurrency === a.max_concurrency && row.max_tool_calls_per_turn === a.max_tool_calls_per_turn
  );
}

async function findAgent(d1: D1Database, orgId: string, idOrName: string): Promise<AgentRow> {
  const row = await d1.prepare(`SELECT ${COLS} FROM agents WHERE org_id = ?1 AND (id = ?2 OR name = ?2) ORDER BY id = ?2 DESC LIMIT 1`).bind(orgId, idOrName).first<AgentRow>();
  if (!row) throw notFound("agent");
  return row;
}

const BY_NAME: Keyset = { columns: ["name"], types: ["string"], order: "ASC" };

const isUniqueViolation = (e: unknown) => String(e).includes("UNIQUE");

export const agentsApi = newApp()
  .openapi(
    createRoute({ method: "get", path: "/", tags: ["agents"], summary: "List agents, by name", request: { query: ListQuery }, responses: { 200: json(Page(Agent)), ...errors(400, 401) } }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const page = keysetSql(BY_NAME, cursorAfter(BY_NAME, cursor), limit);
      const { results } = await c.env.DB.prepare(`SELECT ${COLS} FROM agents WHERE org_id = ? ${page.where} ${page.tail}`).bind(c.get("principal").org_id, ...page.args).all<AgentRow>();
      return c.json(pageOf(results, limit, (a) => [a.name], toAgent), 200);
    },
  )
  .openapi(
    createRoute({ method: "post", path: "/", tags: ["agents"], summary: "Create an agent", request: { body: body(AgentInput) }, responses: { 201: createdTagged(Agent), ...errors(400, 401, 403, 409, 422) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const a = c.req.valid("json");
      checkToolCalls(c.env, a);
      await checkMcpServers(c.env.DB, p.org_id, a.tools);
      const now = Date.now();
      const id = newId("agt");
      try {
        await c.env.DB.prepare(
          `INSERT INTO agents (id, org_id, name, model, system_prompt, tools, max_turns, max_cost_nanos, max_concurrency, max_tool_calls_per_turn, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
          .bind(id, p.org_id, a.name, a.model, a.system_prompt, JSON.stringify(a.tools), a.max_turns, a.max_cost == null ? null : Math.round(a.max_cost * 1e9), a.max_concurrency, a.max_tool_calls_per_turn, now, now)
          .run();
      } catch (e) {
        if (isUniqueViolation(e)) throw conflict(`an agent named ${a.name} already exists`);
        throw e;
      }
      if (a.max_concurrency != null) await orgQueue(c.env, p.org_id).refresh();
      const agent = await findAgent(c.env.DB, p.org_id, id);
      await publishChange(c.env, p.org_id, "agent.updated", id);
      c.header("etag", versionTag(agent.version));
      return created(c, toAgent(agent), "agents", id);
    },
  )
  .openapi(
    createRoute({ method: "get", path: "/{id}", tags: ["agents"], summary: "Get an agent by id or name", request: { params: Id }, responses: { 200: tagged(Agent), ...errors(401, 404) } }),
    async (c) => {
      const agent = await findAgent(c.env.DB, c.get("principal").org_id, c.req.valid("param").id);
      return c.json(toAgent(agent), 200, { etag: versionTag(agent.version) });
    },
  )
  .openapi(
    createRoute({
      method: "put", path: "/{id}", tags: ["agents"], summary: "Replace an agent (running tasks keep the version they started with); 409 naming the current version when `If-Match` names another",
      request: { params: Id, body: body(AgentInput) }, responses: { 200: tagged(Agent), ...errors(400, 401, 403, 404, 409, 422) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const ifMatch = ifMatchOf(c, "GET /agents/{id}");
      const current = await findAgent(c.env.DB, p.org_id, c.req.valid("param").id);
      if (ifMatch !== undefined && !ifMatches(ifMatch, current.version)) throw agentMoved(current.id, current.version, baseVersion(ifMatch), "edit");
      const a = c.req.valid("json");
      checkToolCalls(c.env, a);
      await checkMcpServers(c.env.DB, p.org_id, a.tools);
      const d1 = c.env.DB;
      // as a plan's: a save of what is saved changes nothing, nor raises the version another editor holds
      if (sameAgent(current, a)) {
        c.set("changedNothing", true);
        return c.json(toAgent(current), 200, { etag: versionTag(current.version) });
      }
      // plans name their agents: a rename would leave the triggers' plans naming none, so it waits until no trigger uses it
      const renamed = a.name !== current.name;
      // with If-Match, a save that lands between the read and this write makes it change nothing: 409, not a lost update
      const version = ifMatch === undefined ? null : current.version;
      // the answer is the row this save wrote (RETURNING), never one read after it: a concurrent save's row and
      // version would hand the client an ETag for an edit it did not make, which its next If-Match would save over
      let saved: AgentRow | undefined;
      try {
        const [uses, update] = await d1.batch<TriggerUse | AgentRow>([
          d1.prepare(renamed ? TRIGGERS_USING_AGENT : "SELECT NULL AS id WHERE 0").bind(...(renamed ? [p.org_id, current.name] : [])),
          d1.prepare(
            `UPDATE agents SET name = ?3, model = ?4, system_prompt = ?5, tools = ?6, max_turns = ?7, max_cost_nanos = ?8, max_concurrency = ?9, updated_at = ?10, max_tool_calls_per_turn = ?12, version = version + 1
             WHERE id = ?11 AND org_id = ?1 AND (?3 = ?2 OR NOT EXISTS (${TRIGGERS_USING_AGENT})) AND (?13 IS NULL OR version = ?13)
               -- a concurrent save of the same agent came first: this one changes nothing
               AND NOT (name IS ?3 AND model IS ?4 AND system_prompt IS ?5 AND tools IS ?6 AND max_turns IS ?7 AND max_cost_nanos IS ?8
                 AND max_concurrency IS ?9 AND max_tool_calls_per_turn IS ?12)
             RETURNING ${COLS}`,
          ).bind(p.org_id, current.name, a.name, a.model, a.system_prompt, JSON.stringify(a.tools), a.max_turns, a.max_cost == null ? null : Math.round(a.max_cost * 1e9), a.max_concurrency, Date.now(), current.id, a.max_tool_calls_per_turn, version),
        ]);
        if (uses.results.length) throw usedByTriggers("rename", current.name, uses.results as TriggerUse[]);
        saved = (update.results as AgentRow[])[0];
      } catch (e) {
        if (isUniqueViolation(e)) throw conflict(`an agent named ${a.name} already exists`);
        throw e;
      }
      if (!saved) {
        // nothing written: a concurrent save made it what this one asks (changed nothing); with If-Match, another save
        // came first (409); else the agent was deleted meanwhile (404, from the read)
        const latest = await findAgent(d1, p.org_id, current.id);
        if (sameAgent(latest, a) && (version === null || latest.version === version)) {
          c.set("changedNothing", true);
          return c.json(toAgent(latest), 200, { etag: versionTag(latest.version) });
        }
        if (version !== null) throw agentMoved(current.id, latest.version, version, "edit");
        throw notFound("agent");
      }
      if (a.max_concurrency !== current.max_concurrency || a.name !== current.name) await orgQueue(c.env, p.org_id).refresh();
      await publishChange(c.env, p.org_id, "agent.updated", saved.id);
      return c.json(toAgent(saved), 200, { etag: versionTag(saved.version) });
    },
  )
  .openapi(
    createRoute({
      method: "delete", path: "/{id}", tags: ["agents"], summary: "Delete an agent (tasks keep the version they ran); 409 while the plans of triggers use it, or when `If-Match` names another version",
      request: { params: Id }, responses: { 204: { description: "Deleted" }, ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const ifMatch = ifMatchOf(c, "GET /agents/{id}");
      const current = await findAgent(c.env.DB, p.org_id, c.req.valid("param").id);
      if (ifMatch !== undefined && !ifMatches(ifMatch, current.version)) throw agentMoved(current.id, current.version, baseVersion(ifMatch), "delete");
      const version = ifMatch === undefined ? null : current.version;
      const d1 = c.env.DB;
      // a trigger made (or a plan saved) between the read and the delete keeps the agent too: the delete is conditional on none
      const [uses, gone] = await d1.batch<TriggerUse>([
        d1.prepare(TRIGGERS_USING_AGENT).bind(p.org_id, current.name),
        d1.prepare(`DELETE FROM agents WHERE id = ?3 AND org_id = ?1 AND NOT EXISTS (${TRIGGERS_USING_AGENT}) AND (?4 IS NULL OR version = ?4)`).bind(p.org_id, current.name, current.id, version),
        // by its id, as its create and updates are, whether the path named it by id or by name
        auditStatement(d1, { org_id: p.org_id, actor: actorOf(p), action: "agent.delete", target_type: "agent", target_id: current.id, details: { name: current.name } }, Date.now(), true),
      ]);
      if (uses.results.length) throw usedByTriggers("delete", current.name, uses.results);
      if (version !== null && gone.meta.changes !== 1) throw agentMoved(current.id, (await findAgent(d1, p.org_id, current.id)).version, version, "delete");
      if (current.max_concurrency != null) await orgQueue(c.env, p.org_id).refresh();
      if (gone.meta.changes === 1) await publishChange(c.env, p.org_id, "agent.deleted", current.id);
      return c.body(null, 204);
    },
  );
