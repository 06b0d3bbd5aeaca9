import { z } from "@hono/zod-openapi";
import { LIMITS, MAX_BUDGET_USD, Tokens, usd } from "../api/schemas";
import { PlanChanges } from "../task/plan-diff";

/** The chat API's request and response shapes: validation and the OpenAPI document come from here. */

const PlanJson = z.record(z.string(), z.unknown());
const Issue = z.object({ step: z.string().optional(), path: z.string(), message: z.string() });
export const Draft = z
  .object({
    version: z.number().int(),
    plan: PlanJson,
    changes: PlanChanges,
    created_at: z.string(),
  })
  .openapi("ChatDraft");
export const Message = z
  .object({
    seq: z.number().int(), role: z.enum(["user", "assistant", "event"]), content: z.string(), draft_version: z.number().int().nullable(),
    failed: z.boolean(), issues: z.array(Issue).optional(),
    // an assistant reply's: what its planner's model calls used (zero from the offline planner)
    tokens: Tokens.optional(), searches: z.number().int().optional(), cost: z.number().optional().openapi({ description: "USD, an assistant reply's model calls" }), created_at: z.string(),
  })
  .openapi("ChatMessage");
export const Conversation = z
  .object({
    id: z.string(), planner: z.object({ agent: z.string().nullable(), model: z.string() }), plan_id: z.string().nullable(), plan_version: z.number().int().nullable(),
    busy: z.boolean(), messages: z.array(Message), draft: Draft.nullable(),
    tokens: Tokens, searches: z.number().int(),
    cost: z.number().openapi({ description: "USD every reply's planner model calls spent, summed; counted in the organization's spend (GET /spend, source `chat`)" }), created_at: z.string(),
  })
  .openapi("ChatConversation");
export const Reply = z.object({ message: Message, draft: Draft.nullable() }).openapi("ChatReply");
export const SavedPlan = z.object({ id: z.string(), name: z.string(), description: z.string(), version: z.number().int(), definition: PlanJson, created_at: z.string(), updated_at: z.string() });

export const Id = z.object({ id: z.string().min(1).max(100) });
export const Start = z
  .object({
    message: z.string().trim().min(1).max(LIMITS.description).optional().openapi({ description: "the first request; the answer then holds the first draft" }),
    plan_id: z.string().min(1).max(100).optional().openapi({ description: "refine a saved plan: its current version is the first draft, and Save makes a new version" }),
    planner: z.string().min(1).max(LIMITS.agentName).optional().openapi({ description: "the planner agent; default the organization's `planner_agent` setting, else `planner`, else the offline planner" }),
  })
  .strict();
export const Send = z.object({ content: z.string().trim().min(1).max(LIMITS.description) }).strict();
const DraftVersion = z.number().int().min(1).optional().openapi({ description: "the draft version the caller saw: 409 if a later reply (another tab, another person) replaced it" });
export const Run = z
  .object({
    inputs: z.record(z.string(), z.unknown()).default({}), title: z.string().trim().min(1).max(LIMITS.title).optional(), max_cost: usd(MAX_BUDGET_USD).optional(),
    draft_version: DraftVersion,
  })
  .strict();
export const Save = z
  .object({
    draft_version: DraftVersion,
    plan_version: z.number().int().min(1).optional().openapi({
      description: "the plan's version this save replaces, default the one the conversation started from or was last saved as: 409 if the plan is at another, so a version saved meanwhile (the plan editor, another conversation) is not undone unseen",
    }),
    as_new: z.boolean().optional().openapi({
      description: "`true`: save the draft as a new plan, whatever plan the conversation came from (say, once that plan was deleted: a Save without it is then 409)",
    }),
  })
  .strict()
  .refine((s) => !(s.as_new && s.plan_version !== undefined), { path: ["plan_version"], message: "a new plan replaces no version: give as_new or plan_version, not both" });

