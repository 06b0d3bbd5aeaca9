import { createRoute, z } from "@hono/zod-openapi";
import { decodeCursor, findTask, listTasks, taskSummary } from "../db/task-queries";
import { ApiError, notFound, unauthorized } from "../lib/errors";
import { lostAuthorization, whileAuthorized } from "../lib/while-authorized";
import { giveBackStreamSlot, slotParams, takeOrgStreamSlot, takeStreamSlot } from "../lib/stream-slots";
import { requireRole } from "../lib/roles";
import { createTask, singleStepPlan } from "../task/create";
import { taskStub } from "../task/stub";
import type { RpcResult } from "../task/rpc-result";
import { newApp } from "./app";
import { created, createdJson } from "./created";
import { createdBy, sourceOf } from "./principal";
import { invalidCursor } from "./list-query";
import { body, errors, intParam, json, LIMITS, limitParam, MAX_BUDGET_USD, Page, TaskDetail, TaskListItem, usd } from "./schemas";
import type { IndexRow, TaskListItem as ListItem } from "../db/task-row";
import { findNamedPlan, planAt, runPlan } from "./plan-run";
import { rangeOf, TaskListFilters } from "./export";
import { decodeSortCursor, listTasksSorted } from "../db/task-sort";
import { cursorSeal, sealPage } from "../lib/cursor-seal";
import { reindexOldTextSoon } from "../db/search-reindex";
import { LastEventHeader, LastEventQuery, lastEventId, sseResponse } from "./sse";
import { RunTrace } from "./trace-schema";
import { STREAM_ENDED, streamOf, streamRequest } from "../live/stream-fetch";
import { purgeTask } from "../retention/purge";
import { actorOf, auditStatement } from "../lib/audit";
import { resolveInputs, staleReuse } from "../task/params";
import { lookForInterruptedCreates } from "../task/interrupted";
import { orgQueue } from "../queue/admission";

const Filters = TaskListFilters.pick({ status: true, source: true, agent: true, q: true, trigger_id: true, parent_id: true });

const ListQuery = TaskListFilters.extend({
  cursor: z.string().max(200).optional(),
  limit: limitParam(20),
});

const maxCost = usd(MAX_BUDGET_USD).optional().openapi({ description: "budget in USD" });

const CreateFromAgent = z.object({
  agent: z.string().min(1).max(LIMITS.agentName),
  title: z.string().trim().min(1).max(LIMITS.title),
  description: z.string().max(LIMITS.description).default(""),
  max_cost: maxCost,
});
const CreateFromPlan = z.object({
  plan_id: z.string().min(1).max(100),
  inputs: z.record(z.string(), z.unknown()).default({}),
  title: z.string().trim().min(1).max(LIMITS.title).optional(),
  max_cost: maxCost,
});
const CreateTask = z.union([CreateFromAgent.strict(), CreateFromPlan.strict()]).openapi("CreateTask");

const IdParam = z.object({ id: z.string().min(1).max(100) });
const StepParam = IdParam.extend({ step: z.string().min(1).max(300) });
/** `run`: the run whose output the reviewer read (the pending item's); 409 if the step now waits with another's */
const Approval = z.object({ run: z.number().int().min(1).optional() }).strict();
/** A review's answer names the run it decided, as its audit entry does. */
const Reviewed = z.object({ ok: z.literal(true), run: z.number().int().openapi({ description: "the run whose output was approved or rejected" }) });

const VERSION = 'must be "current" or a version number';
const RerunBody = z
  .object({
    from_step: z.string().min(1).max(100),
    inputs: z.record(z.string(), z.unknown()).optional(),
    title: z.string().trim().min(1).max(LIMITS.title).optional(),
    plan_version: z.union([z.literal("current", { error: VERSION }), z.number({ error: VERSION }).int({ error: VERSION }).min(1, { error: VERSION })]).optional().openapi({
      description: "the version of the task's plan to run, `current` or a number (omitted: the task's own); the steps it reuses must be the same in it",
    }),
  })
  .strict();

export function unwrap<T>(r: RpcResult<T>): T {
  if (r.ok) return r.value;
  throw new ApiError(r.code, r.message, r.details);
}

export async function requireTask(env: { DB: D1Database }, orgId: string, id: string) {
  const row = await findTask(env.DB, orgId, id);
  if (!row) throw notFound("task");
  return row;
}

/** Whether lists would show the task otherwise than its detail: its status, or what it waits on a person for. */
const rowBehind = (row: IndexRow, detail: Pick<ListItem, "status" | "pending" | "input_needed_in">): boolean =>
  row.status !== detail.status || row.pending !== JSON.stringify(detail.pending) || row.input_needed_in !== JSON.stringify(detail.input_needed_in);

/** Sub-tasks' spend, shown on the parent apart from its own. */
async function childrenTotals(d1: D1Database, orgId: string, id: string) {
  const r = await d1
    .prepare(
      `SELECT count(*) AS count, coalesce(sum(cost_nanos), 0) AS cost_nanos, coalesce(sum(tokens_input), 0) AS input, coalesce(sum(tokens_cache), 0) AS cache,
         coalesce(sum(tokens_cache_write), 0) AS cache_write, coalesce(sum(tokens_output), 0) AS output, coalesce(sum(tokens_web_search), 0) AS web_search FROM tasks WHERE org_id = ? AND parent_id = ?`,
    )
    .bind(orgId, id)
    .first<{ count: number; cost_nanos: number; input: number; cache: number; cache_write: number; output: number; web_search: number }>();
  return { count: r!.count, cost: r!.cost_nanos / 1e9, tokens: { input: r!.input, cache: r!.cache, cache_write: r!.cache_write, output: r!.output, web_search: r!.web_search } };
}

export const tasksApi = newApp()
  .openapi(
    createRoute({ method: "post", path: "/", tags: ["tasks"], summary: "Create a task", request: { body: body(CreateTask) }, responses: { 201: createdJson(TaskListItem), ...errors(400, 401, 403, 409, 413, 422) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "member");
      const input = c.req.valid("json");
      const budget = input.max_cost == null ? null : Math.round(input.max_cost * 1e9);
      if ("plan_id" in input) {
        const task = await runPlan(c.env, p, await findNamedPlan(c.env.DB, p.org_id, input.plan_id), {
          inputs: input.inputs, title: input.title, max_cost_nanos: budget, source: sourceOf(p), audit: { actor: actorOf(p), action: "task.create" },
          also: c.get("idempotentTask"),
        });
        return created(c, task, "tasks", task.id);
      }
      const task = await createTask(c.env, {
        org_id: p.org_id,
        title: input.title,
        description: input.description,
        source: sourceOf(p),
        created_by: createdBy(p),
        plan: singleStepPlan(input.agent, input.title, input.description),
        max_cost_nanos: budget,
        audit: { actor: actorOf(p), action: "task.create" },
        also: c.get("idempotentTask"),
      });
      return created(c, task, "tasks", task.id);
    },
  )
  .openapi(
    createRoute({ method: "get", path: "/", tags: ["tasks"], summary: "List tasks: newest first, or by `sort`; `created_from`/`created_to` bound the creation date", request: { query: ListQuery }, responses: { 200: json(Page(TaskListItem)), ...errors(400, 401) } }),
    async (c) => {
      const { cursor, limit, sort, created_from, created_to, ...filters } = c.req.valid("query");
      const orgId = c.get("principal").org_id;
      lookForInterruptedCreates(c.env, c.executionCtx, orgId);
      reindexOldTextSoon(c.env, c.executionCtx);
      const seal = cursorSeal(c.env.SECRETS_KEY, orgId);
      const opened = cursor === undefined ? null : await seal.open(cursor);
      // a cursor of this list's shape in the clear: handed out before this instance sealed them, or written by hand
      if (cursor !== undefined && opened == null && (decodeCursor(cursor) != null || decodeSortCursor(sort, cursor) != null)) {
        throw invalidCursor(
          "invalid cursor: this list's cursors are sealed, and one in the clear (from before an upgrade, or written by hand) is not taken; start again from the first page",
          "a cursor in the clear, not sealed: start again from the first page",
        );
      }
      if (sort !== "newest" || created_from || created_to) {
        const at = opened == null ? null : decodeSortCursor(sort, opened);
        if (cursor !== undefined && at == null) throw invalidCursor(`invalid cursor for sort=${sort}`);
        return c.json(await sealPage(seal, await listTasksSorted(c.env.DB, orgId, filters, rangeOf({ created_from, created_to }), sort, at, limit)), 200);
      }
      const before = opened == null ? null : decodeCursor(opened);
      if (cursor !== undefined && before == null) throw invalidCursor();
      return c.json(await sealPage(seal, await listTasks(c.env.DB, orgId, filters, before, limit)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get", path: "/summary", tags: ["tasks"], summary: "Counts per status and the first 5 of each group",
      request: { query: Filters },
      responses: { 200: json(z.object({ counts: z.record(z.string(), z.union([z.number(), z.string()])), groups: z.record(z.string(), Page(TaskListItem)) })), ...errors(400, 401) },
    }),
    async (c) => {
      const orgId = c.get("principal").org_id;
      lookForInterruptedCreates(c.env, c.executionCtx, orgId);
      reindexOldTextSoon(c.env, c.executionCtx);
      const { counts, groups } = await taskSummary(c.env.DB, orgId, c.req.valid("query"));
      const seal = cursorSeal(c.env.SECRETS_KEY, orgId);
      const sealed = await Promise.all(Object.entries(groups).map(async ([status, page]) => [status, await sealPage(seal, page)] as const));
      return c.json({ counts, groups: Object.fromEntries(sealed) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get", path: "/{id}", tags: ["tasks"], summary: "Task detail: steps, runs, tokens, cost; `wait` (seconds, ≤ 60) holds the answer until the task finishes or needs input (or a sub-task it waits on does: `input_needed_in`)",
      request: { params: IdParam, query: z.object({ wait: intParam(0, 60).optional() }) },
      responses: { 200: json(TaskDetail), ...errors(400, 401, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { wait } = c.req.valid("query");
      const row = await requireTask(c.env, c.get("principal").org_id, id);
      const stub = taskStub(c.env, id);
      if (wait) {
        // a token revoked (or a session signed out) while its request waits gets no answer after all
        let waiting = true;
        const lost = await Promise.race([stub.waitForResult(wait * 1000).then(() => false), lostAuthorization(c, () => waiting)]);
        waiting = false;
        if (lost) throw unauthorized("unknown, revoked or expired API token", "invalid_token");
      }
      const [detail, children] = await Promise.all([stub.detail(), childrenTotals(c.env.DB, c.get("principal").org_id, id)]);
      if (!detail) {
        // indexed, yet no object holds it: a create a restart interrupted, perhaps
        lookForInterruptedCreates(c.env, c.executionCtx, c.get("principal").org_id);
        throw notFound("task");
      }
      // a row the task has moved past, its last write lost to a restart: the task writes it again (a wait outlives the row read)
      if (!wait && rowBehind(row, detail)) c.executionCtx.waitUntil(stub.reindex(row.index_version));
      // asked here, not kept with the task: the line moves without it, and only a pending task's reader needs it
      const waiting = detail.status === "pending" ? await orgQueue(c.env, c.get("principal").org_id).whyWaiting(id) : null;
      return c.json({ ...detail, children, waiting } as z.infer<typeof TaskDetail>, 200);
    },
  )
  .openapi(
    createRoute({ method: "delete", path: "/{id}", tags: ["tasks"], summary: "Cancel a task; answers its detail as it stands once cancelled", request: { params: IdParam }, responses: { 200: json(TaskDetail), ...errors(401, 403, 404, 409) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "member");
      const { id } = c.req.valid("param");
      await requireTask(c.env, p.org_id, id);
      const stub = taskStub(c.env, id);
      unwrap(await stub.cancel("cancelled by " + p.token_name));
      await stub.settled();
      const [detail, children] = await Promise.all([stub.detail(), childrenTotals(c.env.DB, p.org_id, id)]);
      return c.json({ ...detail, children, waiting: null } as z.infer<typeof TaskDetail>, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete", path: "/{id}/purge", tags: ["tasks"], summary: "Delete a finished task for good: its index row, storage and traces (admins); its spend stays in the report",
      request: { params: IdParam }, responses: { 204: { description: "Deleted" }, ...errors(401, 403, 404, 409) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const { id } = c.req.valid("param");
      await requireTask(c.env, p.org_id, id);
      const audit = auditStatement(c.env.DB, { org_id: p.org_id, actor: actorOf(p), action: "task.purge", target_type: "task", target_id: id });
      unwrap(await purgeTask(c.env, p.org_id, id, [audit]));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post", path: "/{id}/steps/{step}/approve", tags: ["tasks"], summary: "Approve a step's output",
      request: { params: StepParam, body: { required: false, content: { "application/json": { schema: Approval } } } },
      responses: { 200: json(Reviewed), ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "member");
      const { id, step } = c.req.valid("param");
      await requireTask(c.env, p.org_id, id);
      const run = unwrap(await taskStub(c.env, id).approve(step, c.req.valid("json").run));
      return c.json({ ok: true as const, run }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post", path: "/{id}/steps/{step}/reject", tags: ["tasks"], summary: "Reject a step's output: it runs again with the comment as feedback",
      request: { params: StepParam, body: body(Approval.extend({ comment: z.string().trim().min(1).max(LIMITS.comment) }).strict()) },
      responses: { 200: json(Reviewed), ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "member");
      const { id, step } = c.req.valid("param");
      await requireTask(c.env, p.org_id, id);
      const { comment, run } = c.req.valid("json");
      const decided = unwrap(await taskStub(c.env, id).reject(step, comment, run));
      return c.json({ ok: true as const, run: decided }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get", path: "/{id}/steps/{step}/runs/{n}/trace", tags: ["tasks"], summary: "One run's full trace",
      request: { params: StepParam.extend({ n: intParam(1) }) },
      responses: { 200: json(RunTrace), ...errors(400, 401, 404) },
    }),
    async (c) => {
      const { id, step, n } = c.req.valid("param");
      await requireTask(c.env, c.get("principal").org_id, id);
      const trace = await taskStub(c.env, id).runTrace(step, n);
      if (!trace) throw notFound(`run ${n} of step ${step}`);
      return c.json(trace, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post", path: "/{id}/rerun", tags: ["tasks"], summary: "A new task that reuses the outputs upstream of from_step and runs the rest",
      request: { params: IdParam, body: body(RerunBody) },
      responses: { 201: createdJson(TaskListItem), ...errors(400, 401, 403, 404, 422) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "member");
      const { id } = c.req.valid("param");
      const { from_step, inputs, title, plan_version } = c.req.valid("json");
      const row = await requireTask(c.env, p.org_id, id);
      const target = plan_version === undefined ? undefined : await planAt(c.env.DB, p.org_id, row.plan_id, plan_version);
      const { meta, reused } = unwrap(await taskStub(c.env, id).rerunSeed(from_step, target));
      const plan = target?.plan ?? meta.plan;
      let values = meta.inputs;
      if (inputs || target) {
        // another version takes the task's inputs it still declares
        const kept = target ? Object.fromEntries(Object.entries(meta.inputs).filter(([name]) => plan.params.some((q) => q.name === name))) : meta.inputs;
        const resolved = resolveInputs(plan.params, { ...kept, ...inputs });
        if (!resolved.ok) throw new ApiError("unprocessable", `invalid inputs: ${resolved.issues.map((i) => `${i.param}: ${i.message}`).join("; ")}`, resolved.issues);
        values = resolved.values;
        const stale = staleReuse(plan, Object.keys(reused), meta.inputs, values);
        if (stale.length) {
          const why = stale.map((s) => `step ${s.step}, whose output this rerun would reuse, used {{params.${s.param}}}, which these inputs change: rerun from ${s.step}`);
          throw new ApiError("unprocessable", why.join("; "), stale);
        }
      }
      const task = await createTask(c.env, {
        org_id: p.org_id, title: title ?? meta.title, description: target?.plan.description ?? meta.description, source: sourceOf(p), created_by: createdBy(p),
        plan, plan_id: meta.plan_id, plan_version: target?.version ?? meta.plan_version, inputs: values, rerun_of: id, reused, max_cost_nanos: meta.max_cost_nanos,
        audit: { actor: actorOf(p), action: "task.rerun", details: { rerun_of: id, ...(target && { plan_version: target.version }) } },
        also: c.get("idempotentTask"),
      });
      return created(c, task, "tasks", task.id);
    },
  )
  .openapi(
    createRoute({
      method: "get", path: "/{id}/events", tags: ["events"], summary: "SSE stream of one task: history first, then live",
      request: { params: IdParam, query: LastEventQuery, headers: LastEventHeader },
      responses: {
        200: { description: "text/event-stream", content: { "text/event-stream": { schema: z.string() } } },
        204: { description: "the task is finished and `Last-Event-ID` is its last event: nothing more will come, and an EventSource stops reconnecting" },
        ...errors(400, 401, 404, 429),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const orgId = c.get("principal").org_id;
      await requireTask(c.env, orgId, id);
      const last = Number(lastEventId(c.req.valid("header")["last-event-id"], c.req.valid("query").last_event_id) ?? 0);
      const resumeAt = Number.isFinite(last) && last > 0 ? Math.floor(last) : 0;
      if (c.req.method === "HEAD") return (await taskStub(c.env, id).streamEnds(resumeAt)) ? c.body(null, 204) : sseResponse(c, null);
      const slot = await takeStreamSlot(c);
      try {
        await takeOrgStreamSlot(c, slot);
      } catch (e) {
        await giveBackStreamSlot(c, slot);
        throw e;
      }
      try {
        const res = await taskStub(c.env, id).fetch(streamRequest({ last_event_id: resumeAt, ...slotParams(c, slot, orgId) }));
        if (res.status === STREAM_ENDED) {
          await giveBackStreamSlot(c, slot, true);
          return c.body(null, 204);
        }
        return sseResponse(c, whileAuthorized(c, (await streamOf(res))!, slot, orgId));
      } catch (e) {
        await giveBackStreamSlot(c, slot, true);
        throw e;
      }
    },
  );
