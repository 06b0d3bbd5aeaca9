import { type Price, zeroPrice } from "../agents/cost";
import { priceOf } from "../agents/pricing-defaults";
import type { Bindings } from "../env";

/**
 * How long a task object trusts a price it has read (a run reads none of its own within it). A price change
 * answers only once this has passed after its write, so every cached copy from before the change has expired
 * and every run that starts after the answer pays the new price: the price in force when it started.
 */
export const PRICE_CACHE_MS = 1_000;

export const PRICE_COLUMNS = ["input", "cache", "cache_write", "output", "web_search", "per_search"] as const satisfies readonly (keyof Price)[];

/** SQL: the pricing row's model is `model`, or the family a dated snapshot `model` belongs to (`<family>-…`). */
export const namesModel = (model: string) => `(pricing.model = ${model} OR substr(${model}, 1, length(pricing.model) + 1) = pricing.model || '-')`;

/** The organization's prices for a model and for the families its name may belong to, by model. */
export async function ownPricesFor(d1: D1Database, orgId: string, model: string): Promise<Map<string, Price>> {
  const { results } = await d1.prepare(`SELECT model, ${PRICE_COLUMNS.join(", ")} FROM pricing WHERE org_id = ?1 AND ${namesModel("?2")}`)
    .bind(orgId, model)
    .all<Price & { model: string }>();
  return new Map(results.map(({ model: m, ...p }) => [m, p]));
}

/** The organization's price for a model or its family (USD micro-dollars per 1M tokens), else the built-in default, else zero. */
export async function priceFor(env: Bindings, orgId: string, model: string): Promise<Price> {
  return priceOrDefault(model, await ownPricesFor(env.DB, orgId, model));
}

/** `own`: the organization's prices by model, of which those naming `model` or its family count. */
export const priceOrDefault = (model: string, own: ReadonlyMap<string, Price>): Price => priceOf(model, own)?.price ?? zeroPrice();
