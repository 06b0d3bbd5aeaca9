import { createRoute, z } from "@hono/zod-openapi";
import { type Price, microsToUsd, usdToMicros, zeroPrice } from "../agents/cost";
import { DEFAULT_PRICES, priceOf } from "../agents/pricing-defaults";
import { actorOf, auditStatement } from "../lib/audit";
import { notFound } from "../lib/errors";
import { requireRole } from "../lib/roles";
import { delay, iso } from "../lib/time";
import { ownPricesFor, PRICE_CACHE_MS, PRICE_COLUMNS } from "../db/pricing";
import { newApp } from "./app";
import { type Keyset, pageInMemory } from "../db/keyset";
import { cursorAfter, ListQuery } from "./list-query";
import { body, errors, json, Page } from "./schemas";

// prices are kept exactly, as integer micro-dollars: a finer one would be rounded in silence, to 0 below a micro-dollar
const wholeMicros = (usd: number) => Number(usd.toFixed(6)) === usd;
const micros = (max: number) => z.number().min(0).max(max).refine(wholeMicros, "at most 6 decimals: prices are kept exactly, in micro-dollars");
const usdPer1M = micros(100_000);
const PriceInput = z
  .object({
    input: usdPer1M,
    cache: usdPer1M,
    cache_write: usdPer1M.optional(),
    output: usdPer1M,
    web_search: usdPer1M.optional(),
    per_search: micros(1000).optional().openapi({ description: "USD per web search" }),
  })
  .strict()
  .openapi("PriceInput", { description: "USD per 1M tokens; per_search USD per search" });

const PriceView = z
  .object({
    model: z.string(),
    input: z.number(),
    cache: z.number(),
    cache_write: z.number(),
    output: z.number(),
    web_search: z.number(),
    per_search: z.number(),
    source: z.enum(["organization", "default", "none"]).openapi({
      description: "`none`: an agent uses this model and nothing prices it, so its runs count no cost (and no monthly cap sees them) until a price is set",
    }),
    updated_at: z.string().nullable(),
  })
  .openapi("Price");

const Model = z.object({ model: z.string().regex(/^(sim|openai:[\w.:/-]{1,100}|anthropic:[\w.:/-]{1,100})$/, "model is `sim`, `openai:<model>` or `anthropic:<model>`") });

const BY_MODEL: Keyset = { columns: ["model"], types: ["string"], order: "ASC" };

type Row = Price & { model: string; updated_at: number };

const usdOf = (p: Price) => ({
  input: microsToUsd(p.input),
  cache: microsToUsd(p.cache),
  cache_write: microsToUsd(p.cache_write),
  output: microsToUsd(p.output),
  web_search: microsToUsd(p.web_search),
  per_search: microsToUsd(p.per_search),
});

const view = (model: string, p: Price, source: "organization" | "default" | "none", updated_at: number | null) => ({ model, ...usdOf(p), source, updated_at: iso(updated_at) });


/** What a change replaced, for its audit entry: the price in force and its source, or null (nothing priced it). */
const previousOf = (model: string, own: ReadonlyMap<string, Price>) => {
  const p = priceOf(model, own);
  return p ? { ...usdOf(p.price), source: p.source } : null;
};

/** Per-organization prices over editable built-in defaults. A run keeps the price it started with, so edits never rewrite history. */
export const pricingApi = newApp()
  .openapi(
    createRoute({
      method: "get", path: "/", tags: ["pricing"], summary: "Prices in force, by model: the organization's, else the defaults",
      request: { query: ListQuery }, responses: { 200: json(Page(PriceView)), ...errors(400, 401) },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const after = cursorAfter(BY_MODEL, cursor);
      const d1 = c.env.DB;
      const org = c.get("principal").org_id;
      const [{ results }, used] = await d1.batch<Row & { model: string }>([
        d1.prepare("SELECT model, input, cache, cache_write, output, web_search, per_search, updated_at FROM pricing WHERE org_id = ?").bind(org),
        d1.prepare("SELECT DISTINCT model FROM agents WHERE org_id = ?").bind(org),
      ]);
      const own = new Map(results.map((r) => [r.model, r]));
      const items = [...results.map((r) => view(r.model, r, "organization", r.updated_at))];
      for (const [model, p] of Object.entries(DEFAULT_PRICES)) if (!own.has(model)) items.push(view(model, p, "default", null));
      for (const { model } of used.results) if (!priceOf(model, own)) items.push(view(model, zeroPrice(), "none", null));
      // code-unit order, as the cursor compares
      items.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
      return c.json(pageInMemory(BY_MODEL, items, after, limit, (p) => [p.model], (p) => p), 200);
    },
  )
  .openapi(
    createRoute({ method: "put", path: "/{model}", tags: ["pricing"], summary: "Set the organization's price for a model: in force for every run that starts after the answer", request: { params: Model, body: body(PriceInput) }, responses: { 200: json(PriceView), ...errors(400, 401, 403) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const { model } = c.req.valid("param");
      const b = c.req.valid("json");
      const price: Price = {
        input: usdToMicros(b.input), cache: usdToMicros(b.cache), cache_write: usdToMicros(b.cache_write ?? 0), output: usdToMicros(b.output),
        web_search: usdToMicros(b.web_search ?? 0), per_search: usdToMicros(b.per_search ?? 0),
      };
      const now = Date.now();
      const d1 = c.env.DB;
      const own = await ownPricesFor(d1, p.org_id, model);
      // a save of the price in force changes nothing: no new updated_at, no audit entry, no wait for caches
      const saved = own.get(model);
      if (saved && PRICE_COLUMNS.every((k) => saved[k] === price[k])) {
        const row = await d1.prepare("SELECT updated_at FROM pricing WHERE org_id = ? AND model = ?").bind(p.org_id, model).first<{ updated_at: number }>();
        if (row) return c.json(view(model, price, "organization", row.updated_at), 200);
      }
      await d1.batch([
        d1.prepare(
          `INSERT INTO pricing (org_id, model, ${PRICE_COLUMNS.join(", ")}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(org_id, model) DO UPDATE SET input = excluded.input, cache = excluded.cache, cache_write = excluded.cache_write, output = excluded.output,
             web_search = excluded.web_search, per_search = excluded.per_search, updated_at = excluded.updated_at`,
        ).bind(p.org_id, model, price.input, price.cache, price.cache_write, price.output, price.web_search, price.per_search, now),
        auditStatement(d1, { org_id: p.org_id, actor: actorOf(p), action: "pricing.update", target_type: "model", target_id: model, details: { ...usdOf(price), previous: previousOf(model, own) } }, now),
      ]);
      await delay(PRICE_CACHE_MS);
      return c.json(view(model, price, "organization", now), 200);
    },
  )
  .openapi(
    createRoute({ method: "delete", path: "/{model}", tags: ["pricing"], summary: "Remove the organization's price: the default is in force for every run that starts after the answer", request: { params: Model }, responses: { 204: { description: "Deleted" }, ...errors(401, 403, 404) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const { model } = c.req.valid("param");
      const d1 = c.env.DB;
      const own = await d1.prepare(`SELECT ${PRICE_COLUMNS.join(", ")} FROM pricing WHERE org_id = ? AND model = ?`).bind(p.org_id, model).first<Price>();
      if (!own) throw notFound("price for this model");
      const [res] = await d1.batch([
        d1.prepare("DELETE FROM pricing WHERE org_id = ? AND model = ?").bind(p.org_id, model),
        // recorded only if this delete removed it, not a concurrent one
        auditStatement(d1, { org_id: p.org_id, actor: actorOf(p), action: "pricing.delete", target_type: "model", target_id: model, details: { previous: previousOf(model, new Map([[model, own]])) } }, Date.now(), true),
      ]);
      if (res.meta.changes === 0) throw notFound("price for this model");
      await delay(PRICE_CACHE_MS);
      return c.body(null, 204);
    },
  );

export type PriceT = z.infer<typeof PriceView>;
export type PriceInputT = z.infer<typeof PriceInput>;
