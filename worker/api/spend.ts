import { createRoute, z } from "@hono/zod-openapi";
import { badRequest } from "../lib/errors";
import { readOrgSettings } from "../lib/org-settings";
import { monthStart, utcDay } from "../spend/ledger";
import { monthToDate, SPEND_GROUPS, spendReport } from "../spend/report";
import { newApp } from "./app";
import { errors, json, Tokens } from "./schemas";

const MAX_DAYS = 366;
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a day is YYYY-MM-DD").refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && utcDay(Date.parse(`${d}T00:00:00Z`)) === d, "not a calendar day");

const Query = z.object({
  from: Day.optional().openapi({ description: "first UTC day, included; default: the first of this month" }),
  to: Day.optional().openapi({ description: "last UTC day, included; default: today" }),
  group: z.enum(SPEND_GROUPS).default("day"),
});

const Item = z.object({
  key: z.string().openapi({ description: "the day (`YYYY-MM-DD`), UTC month (`YYYY-MM`), agent, model, source (`task`, `chat`) or plan id (`\"\"`: no saved plan)" }),
  name: z.string().nullable().optional().openapi({ description: "by plan: the plan's name; null for no saved plan, or one deleted since" }),
  cost: z.number().openapi({ description: "USD, the planner's included" }),
  planner_cost: z.number().openapi({ description: "USD the chat planner's model calls spent, part of `cost`" }),
  tokens: Tokens,
  searches: z.number().int(),
  tasks: z.number().int(),
  conversations: z.number().int().openapi({ description: "planning conversations whose planner spent here" }),
});

const Report = z
  .object({
    from: z.string(),
    to: z.string(),
    group: z.enum(SPEND_GROUPS),
    total: z.number().openapi({ description: "USD over the range, the planner's included" }),
    planner_total: z.number().openapi({ description: "USD the chat planner's model calls spent over the range, part of `total`" }),
    month: z.object({ start: z.string(), spent: z.number(), cap: z.number().nullable() }).openapi({ description: "this calendar month (UTC) against the organization's cap" }),
    items: z.array(Item),
    next_cursor: z.null(),
  })
  .openapi("SpendReport");

/** Spend by day, agent or model, from the ledger (which keeps the spend of deleted tasks). */
export const spendApi = newApp().openapi(
  createRoute({ method: "get", path: "/", tags: ["spend"], summary: "Spend by day, month, agent, model, source or plan", request: { query: Query }, responses: { 200: json(Report), ...errors(400, 401) } }),
  async (c) => {
    const orgId = c.get("principal").org_id;
    const now = Date.now();
    const q = c.req.valid("query");
    const from = q.from ?? monthStart(now);
    const to = q.to ?? utcDay(now);
    // named as any invalid parameter is: the bound the client gave (`to`, else `from`)
    const bound = q.to === undefined ? "from" : "to";
    const refuse = (message: string) => badRequest(`invalid request: ${bound}: ${message}`, [{ path: bound, message }]);
    if (from > to) throw refuse("from is after to");
    if ((Date.parse(to) - Date.parse(from)) / 86_400_000 >= MAX_DAYS) throw refuse(`the range is at most ${MAX_DAYS} days`);
    const [items, spent, settings] = await Promise.all([spendReport(c.env.DB, orgId, from, to, q.group), monthToDate(c.env.DB, orgId, now), readOrgSettings(c.env.DB, orgId)]);
    return c.json(
      {
        from, to, group: q.group,
        total: items.reduce((n, i) => n + i.cost_nanos, 0) / 1e9,
        planner_total: items.reduce((n, i) => n + i.planner_nanos, 0) / 1e9,
        month: { start: monthStart(now), spent: spent / 1e9, cap: settings.monthly_spend_cap_nanos == null ? null : settings.monthly_spend_cap_nanos / 1e9 },
        items: items.map(({ cost_nanos, planner_nanos, ...i }) => ({ ...i, cost: cost_nanos / 1e9, planner_cost: planner_nanos / 1e9 })),
        next_cursor: null,
      },
      200,
    );
  },
);
