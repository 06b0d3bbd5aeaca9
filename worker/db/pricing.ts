import type { Price } from "../agents/cost";
import { defaultPrice } from "../agents/pricing-defaults";
import type { Bindings } from "../env";
import { placeholders } from "./sql";

/** The organization's price for a model (USD micro-dollars per 1M tokens), else the built-in default, else zero. */
export async function priceFor(env: Bindings, orgId: string, model: string): Promise<Price> {
  const row = await env.DB.prepare("SELECT input, cache, cache_write, output, web_search, per_search FROM pricing WHERE org_id = ? AND model = ?")
    .bind(orgId, model)
    .first<Price>();
  return priceOrDefault(model, row);
}

export const priceOrDefault = (model: string, row: Price | null | undefined): Price =>
  row ?? defaultPrice(model) ?? { input: 0, cache: 0, cache_write: 0, output: 0, web_search: 0, per_search: 0 };

/** The organization's own prices for the models of the named agents, for a batch that also creates the task. */
export const agentPricesStatement = (d1: D1Database, orgId: string, agents: string[]) =>
  d1
    .prepare(
      `SELECT model, input, cache, cache_write, output, web_search, per_search FROM pricing
       WHERE org_id = ? AND model IN (SELECT model FROM agents WHERE org_id = ? AND name IN (${placeholders(agents)}))`,
    )
    .bind(orgId, orgId, ...agents);
