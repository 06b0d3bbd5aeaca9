import { createRoute, z } from "@hono/zod-openapi";
import type { ChatRpc } from "../chat/conversation";
import { checkDraft } from "../chat/check";
import { loadOrgAgents, resolvePlanner } from "../chat/org";
import { saveDraft } from "../chat/save";
import type { Bindings } from "../env";
import { actorOf, auditStatement } from "../lib/audit";
import { ApiError, conflict, notFound, unprocessable } from "../lib/errors";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { requireRole } from "../lib/roles";
import { iso } from "../lib/time";
import { createTask } from "../task/create";
import type { Plan } from "../task/plan-schema";
import { resolveInputs } from "../task/params";
import { newApp } from "./app";
import { findPlan } from "./plan-run";
import { createdBy, sourceOf } from "./principal";
import { body, errors, json, LIMITS, TaskListItem } from "./schemas";
import { sseResponse } from "./sse";

const PlanJson = z.record(z.string(), z.unknown());
const Issue = z.object({ step: z.string().optional(), path: z.string(), message: z.string() });
const StepChange = z.object({ id: z.string(), name: z.string(), fields: z.array(z.string()).optional() });
const Draft = z
  .object({
    version: z.number().int(),
    plan: PlanJson,
    changes: z.object({
      from_version: z.number().int().nullable(), added: z.array(StepChange), removed: z.array(StepChange), changed: z.array(StepChange),
      plan_fields: z.array(z.string()), summary: z.array(z.string()),
    }),
    created_at: z.string(),
  })
  .openapi("ChatDraft");
const Message = z
  .object({
    seq: z.number().int(), role: z.enum(["user", "assistant", "event"]), content: z.string(), draft_version: z.number().int().nullable(),
    failed: z.boolean(), issues: z.array(Issue).optional(), created_at: z.string(),
  })
  .openapi("ChatMessage");
const Conversation = z
  .object({
    id: z.string(), planner: z.object({ agent: z.string().nullable(), model: z.string() }), plan_id: z.string().nullable(), plan_version: z.number().int().nullable(),
    busy: z.boolean(), messages: z.array(Message), draft: Draft.nullable(), created_at: z.string(),
  })
  .openapi("ChatConversation");
const Reply = z.object({ message: Message, draft: Draft.nullable() }).openapi("ChatReply");
const SavedPlan = z.object({ id: z.string(), name: z.string(), description: z.string(), version: z.number().int(), definition: PlanJson, created_at: z.string(), updated_at: z.string() });

const Id = z.object({ id: z.string().min(1).max(100) });
const Start = z
  .object({
    message: z.string().trim().min(1).max(LIMITS.description).optional().openapi({ description: "the first request; the answer then holds the first draft" }),
    plan_id: z.string().min(1).max(100).optional().openapi({ description: "refine a saved plan: its current version is the first draft, and Save makes a new version" }),
    planner: z.string().min(1).max(LIMITS.agentName).optional().openapi({ description: "the planner agent; default the organization's `planner_agent` setting, else `planner`, else the offline planner" }),
  })
  .strict();
const Send = z.object({ content: z.string().trim().min(1).max(LIMITS.description) }).strict();
const Run = z
  .object({ inputs: z.record(z.string(), z.unknown()).default({}), title: z.string().trim().min(1).max(LIMITS.title).optional(), max_cost: z.number().positive().max(1_000_000).optional() })
  .strict();

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

async function draftOf(env: Bindings, orgId: string, id: string) {
  const draft = unwrap(await conversation(env, id).currentDraft(orgId));
  if (!draft) throw conflict("there is no draft yet: send a message first");
  return draft;
}

const sse = { "text/event-stream": { schema: z.string().openapi({ description: "events: message.created, reply.delta, draft.attempt, draft.invalid, draft.created, reply.done" }) } };

export const chatApi = newApp()
  .openapi(
    createRoute({ method: "post", path: "/", tags: ["chat"], summary: "Start a planning conversation", request: { body: body(Start) }, responses: { 201: json(Conversation, "Created"), ...errors(400, 401, 403, 413, 422) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "member");
      const input = c.req.valid("json");
      const { planner, prompt } = await resolvePlanner(c.env.DB, p.org_id, input.planner);
      const from = input.plan_id ? await findPlan(c.env.DB, p.org_id, input.plan_id).catch(() => null) : null;
      if (input.plan_id && !from) throw unprocessable(`unknown plan "${input.plan_id}"`, { plan_id: input.plan_id });
      const id = newId("cnv");
      const obj = stub(c.env, id);
      const meta = { id, org_id: p.org_id, planner, planner_prompt: prompt, plan_id: from?.id ?? null, plan_version: from?.version ?? null, created_by: createdBy(p), created_at: Date.now() };
      const initial = from ? { plan: JSON.parse(from.definition) as Plan, note: `Started from plan ${from.id} version ${from.version}.` } : null;
      let view = unwrap(await obj.create(meta, initial));
      if (input.message) {
        unwrap(await obj.send(p.org_id, input.message));
        view = unwrap(await obj.get(p.org_id));
      }
      return c.json(view, 201);
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
      if ((c.req.header("accept") ?? "").includes("text/event-stream")) return sseResponse(unwrap(await obj.sendStreaming(p.org_id, content)));
      return c.json(unwrap(await obj.send(p.org_id, content)), 200);
    },
  )
  .openapi(
    createRoute({ method: "post", path: "/{id}/run", tags: ["chat"], summary: "Start a task from the current draft", request: { params: Id, body: body(Run) }, responses: { 201: json(TaskListItem, "Created"), ...errors(400, 401, 403, 404, 409, 413, 422) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "member");
      const id = c.req.valid("param").id;
      const { inputs, title, max_cost } = c.req.valid("json");
      const draft = await draftOf(c.env, p.org_id, id);
      // the organization's agents may have changed since the draft was made
      const checked = checkDraft(draft.plan, new Set((await loadOrgAgents(c.env.DB, p.org_id)).map((a) => a.name)));
      if (!checked.ok) throw unprocessable(`the draft is no longer valid: ${checked.issues.map((i) => i.message).join("; ")}`, checked.issues);
      const resolved = resolveInputs(checked.plan.params, inputs);
      if (!resolved.ok) throw unprocessable(`invalid inputs: ${resolved.issues.map((i) => `${i.param}: ${i.message}`).join("; ")}`, resolved.issues);
      const task = await createTask(c.env, {
        org_id: p.org_id, title: title ?? checked.plan.name, description: checked.plan.description, source: sourceOf(p), created_by: createdBy(p),
        plan: checked.plan, inputs: resolved.values, max_cost_nanos: max_cost == null ? null : Math.round(max_cost * 1e9),
      });
      const audit = auditStatement(c.env.DB, { org_id: p.org_id, actor: actorOf(p), action: "task.create", target_type: "task", target_id: task.id, details: { conversation_id: id, draft_version: draft.version } });
      c.executionCtx.waitUntil(audit.run().catch((e: unknown) => log("error", "audit write failed", { error: String(e), action: "task.create" })));
      unwrap(await stub(c.env, id).noteRun(p.org_id, task.id, draft.version));
      return c.json(task, 201);
    },
  )
  .openapi(
    createRoute({
      method: "post", path: "/{id}/save", tags: ["chat"], summary: "Save the current draft: a new plan, or a new version of the plan it came from",
      request: { params: Id }, responses: { 200: json(SavedPlan, "A new version"), 201: json(SavedPlan, "A new plan"), ...errors(401, 403, 404, 409, 422) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const id = c.req.valid("param").id;
      const obj = conversation(c.env, id);
      const view = unwrap(await obj.get(p.org_id));
      const draft = await draftOf(c.env, p.org_id, id);
      const checked = checkDraft(draft.plan, new Set((await loadOrgAgents(c.env.DB, p.org_id)).map((a) => a.name)));
      if (!checked.ok) throw unprocessable(`the draft is no longer valid: ${checked.issues.map((i) => i.message).join("; ")}`, checked.issues);
      const { record, created } = await saveDraft(c.env.DB, p, view.plan_id, checked.plan);
      unwrap(await obj.noteSaved(p.org_id, record.id, record.version, draft.version));
      const saved = {
        id: record.id, name: record.name, description: record.description, version: record.version,
        definition: JSON.parse(record.definition) as Record<string, unknown>, created_at: iso(record.created_at)!, updated_at: iso(record.updated_at)!,
      };
      return created ? c.json(saved, 201) : c.json(saved, 200);
    },
  );
