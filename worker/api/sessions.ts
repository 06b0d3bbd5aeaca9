import { createRoute, z } from "@hono/zod-openapi";
import { findTaskBySession } from "../db/task-queries";
import { notFound } from "../lib/errors";
import { requireRole } from "../lib/roles";
import { taskStub } from "../task/stub";
import { newApp } from "./app";
import { body, errors, json, LIMITS } from "./schemas";
import { unwrap } from "./tasks";

const Respond = z
  .object({
    call_id: z.string().min(1).max(100),
    answers: z.array(z.string().max(LIMITS.answer).refine((a) => a.trim() !== "", "an answer cannot be blank")).min(1).max(LIMITS.answers),
  })
  .strict()
  .openapi("Respond");

export const sessionsApi = newApp().openapi(
  createRoute({
    method: "post",
    path: "/{session_id}/respond",
    tags: ["sessions"],
    summary: "Answer a waiting agent's question, or a budget question (`[\"stop\"]` / `[\"raise\", \"<usd>\"]`)",
    request: { params: z.object({ session_id: z.string().min(1).max(100) }), body: body(Respond) },
    responses: { 200: json(z.object({ ok: z.literal(true), task_id: z.string() })), ...errors(400, 401, 403, 404, 409, 422) },
  }),
  async (c) => {
    const p = c.get("principal");
    requireRole(p, "member");
    const { session_id } = c.req.valid("param");
    const { call_id, answers } = c.req.valid("json");
    const task = await findTaskBySession(c.env.DB, p.org_id, session_id);
    if (!task) throw notFound("session");
    unwrap(await taskStub(c.env, task.id).respond(call_id, answers));
    return c.json({ ok: true as const, task_id: task.id }, 200);
  },
);
