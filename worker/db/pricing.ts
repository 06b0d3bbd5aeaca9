import type { Price } from "../agents/cost";
import { defaultPrice } from "../agents/pricing-defaults";
import type { Bindings } from "../env";

/**
 * How long a task object trusts a price it has read (a run reads none of its own within it). A price change
 * answers only once this has passed after its write, so every cached copy from before the change has expired
 * and every run that starts after the answer pays the new price: the price in force when it started.
 */
export const PRICE_CACHE_MS = 1_000;

/** The organization's price for a model (USD micro-dollars per 1M tokens), else the built-in default, else zero. */
export async function priceFor(env: Bindings, orgId: string, model: string): Promise<Price> {
  const row = await env.DB.prepare("SELECT input, cache, cache_write, output, web_search, per_search FROM pricing WHERE org_id = ? AND model = ?")
    .bind(orgId, model)
    .first<Price>();
  return priceOrDefault(model, row);
}

export const priceOrDefault = (model: string, row: Price | null | undefined): Price =>
  row ?? defaultPrice(model) ?? { input: 0, cache: 0, cache_write: 0, output: 0, web_search: 0, per_search: 0 };
