import { createRoute, z } from "@hono/zod-openapi";
import type { ChatRpc } from "../chat/conversation";
import { resolvePlanner } from "../chat/org";
import { recheck, runDraft } from "../chat/run";
import { saveDraft } from "../chat/save";
import { Conversation, Draft, Id, Reply, Run, Save, SavedPlan, Send, Start } from "../chat/schemas";
import type { Bindings } from "../env";
import { actorOf, auditStatement } from "../lib/audit";
import { ApiError, conflict, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { requireRole } from "../lib/roles";
import { iso } from "../lib/time";
import type { Plan } from "../task/plan-schema";
import { newApp } from "./app";
import { created, createdJson } from "./created";
import { findNamedPlan } from "./plan-run";
import { SaveQuery } from "./plan-save";
import { ETAG_HEADER, versionTag } from "./plan-etag";
import { createdBy } from "./principal";
import { body, errors, json, TaskListItem } from "./schemas";
import { sseResponse } from "./sse";
import { planSummary, publishPlan } from "../live/plan-events";

const stub = (env: Bindings, id: string) => env.CHAT.get(env.CHAT.idFromName(id));
const ID_SHAPE = /^cnv_[0-9a-z]{16}$/;

function unwrap<T>(r: ChatRpc<T>): T {
  if (r.ok) return r.value;
  throw new ApiError(r.code, r.message);
}

function conversation(env: Bindings, id: string) {
  if (!ID_SHAPE.test(id)) throw notFound("conversation");
  return stub(env, id);
}

async function draftOf(env: Bindings, orgId: string, id: string, seen?: number) {
  const draft = unwrap(await conversation(env, id).currentDraft(orgId));
  if (!draft) throw conflict("there is no draft yet: send a message first");
  if (seen !== undefined && seen !== draft.version) throw conflict(`the draft is now version ${draft.version}, not the version ${seen} you saw: look at it first`);
  return draft;
}

const sse = { "text/event-stream": { schema: z.string().openapi({ description: "events: message.created, reply.delta, draft.attempt, draft.invalid, draft.created, reply.done" }) } };

export const chatApi = newApp()
  .openapi(
    createRoute({ method: "post", path: "/", tags: ["chat"], summary: "Start a planning conversation", request: { body: body(Start) }, responses: { 201: createdJson(Conversation), ...errors(400, 401, 403, 413, 422) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "member");
      const input = c.req.valid("json");
      const { planner, prompt } = await resolvePlanner(c.env.DB, p.org_id, input.planner);
      const from = input.plan_id ? await findNamedPlan(c.env.DB, p.org_id, input.plan_id) : null;
      const id = newId("cnv");
      const obj = stub(c.env, id);
      const meta = { id, org_id: p.org_id, planner, planner_prompt: prompt, plan_id: from?.id ?? null, plan_version: from?.version ?? null, created_by: createdBy(p), created_at: Date.now() };
      const initial = from ? { plan: JSON.parse(from.definition) as Plan, note: `Started from plan ${from.id} version ${from.version}.` } : null;
      let view = unwrap(await obj.create(meta, initial));
      if (input.message) {
        unwrap(await obj.send(p.org_id, input.message));
        view = unwrap(await obj.get(p.org_id));
      }
      return created(c, view, "chat", id);
    },
  )
  .openapi(
    createRoute({ method: "get", path: "/{id}", tags: ["chat"], summary: "A conversation: messages and the current draft", request: { params: Id }, responses: { 200: json(Conversation), ...errors(401, 404) } }),
    async (c) => c.json(unwrap(await conversation(c.env, c.req.valid("param").id).get(c.get("principal").org_id)), 200),
  )
  .openapi(
    createRoute({ method: "get", path: "/{id}/draft", tags: ["chat"], summary: "The current draft and what changed since the previous one", request: { params: Id }, responses: { 200: json(Draft), ...errors(401, 404, 409) } }),
    async (c) => c.json(await draftOf(c.env, c.get("principal").org_id, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "post", path: "/{id}/messages", tags: ["chat"], summary: "Send a message; the planner answers with a new draft (SSE when `Accept: text/event-stream`)",
      request: { params: Id, body: body(Send) },
      responses: { 200: { description: "the reply, or its events as they happen", content: { ...json(Reply).content, ...sse } }, ...errors(400, 401, 403, 404, 409, 413) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "member");
      const obj = conversation(c.env, c.req.valid("param").id);
      const { content } = c.req.valid("json");
      if ((c.req.header("accept") ?? "").includes("text/event-stream")) return sseResponse(c, unwrap(await obj.sendStreaming(p.org_id, content)));
      return c.json(unwrap(await obj.send(p.org_id, content)), 200);
    },
  )
  .openapi(
    createRoute({ method: "post", path: "/{id}/run", tags: ["chat"], summary: "Start a task from the current draft", request: { params: Id, body: body(Run) }, responses: { 201: createdJson(TaskListItem), ...errors(400, 401, 403, 404, 409, 413, 422) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "member");
      const id = c.req.valid("param").id;
      const { inputs, title, max_cost, draft_version } = c.req.valid("json");
      const draft = await draftOf(c.env, p.org_id, id, draft_version);
      const task = await runDraft(c.env, p, draft.plan, { inputs, title, max_cost, also: c.get("idempotentTask") });
      const audit = auditStatement(c.env.DB, { org_id: p.org_id, actor: actorOf(p), action: "task.create", target_type: "task", target_id: task.id, details: { conversation_id: id, draft_version: draft.version } });
      c.executionCtx.waitUntil(audit.run().catch((e: unknown) => log("error", "audit write failed", { error: String(e), action: "task.create" })));
      unwrap(await stub(c.env, id).noteRun(p.org_id, task.id, draft.version));
      return created(c, task, "tasks", task.id);
    },
  )
  .openapi(
    createRoute({
      method: "post", path: "/{id}/save", tags: ["chat"], summary: "Save the current draft: a new plan, or a new version of the plan it came from",
      request: { params: Id, query: SaveQuery, body: { required: false, content: { "application/json": { schema: Save } } } },
      responses: {
        200: { ...json(SavedPlan, "A new version, or the current one when the draft is the same plan"), headers: ETAG_HEADER },
        201: { ...createdJson(SavedPlan, "A new plan"), headers: { ...createdJson(SavedPlan).headers, ...ETAG_HEADER } },
        ...errors(400, 401, 403, 404, 409, 422),
      },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const id = c.req.valid("param").id;
      const obj = conversation(c.env, id);
      const { draft_version, plan_version, as_new } = c.req.valid("json");
      unwrap(await obj.beginSave(p.org_id));
      const { record, created: isNew } = await (async () => {
        // read once the save is ours: the plan a save just made is the one this one goes on from
        const view = unwrap(await obj.get(p.org_id));
        const draft = await draftOf(c.env, p.org_id, id, draft_version);
        const out = await saveDraft(c.env.DB, p, view.plan_id, await recheck(c.env.DB, p.org_id, draft.plan), {
          pause: c.req.valid("query").triggers === "pause", replaces: plan_version ?? view.plan_version, asNew: as_new,
        });
        unwrap(await obj.noteSaved(p.org_id, out.record.id, out.record.version, draft.version));
        if (out.changed) await publishPlan(c.env, p.org_id, "plan.updated", planSummary(out.record));
        return out;
      })().finally(() => obj.endSave());
      const saved = {
        id: record.id, name: record.name, description: record.description, version: record.version,
        definition: JSON.parse(record.definition) as Record<string, unknown>, created_at: iso(record.created_at)!, updated_at: iso(record.updated_at)!,
      };
      c.header("etag", versionTag(saved.version));
      return isNew ? created(c, saved, "plans", saved.id) : c.json(saved, 200);
    },
  );
