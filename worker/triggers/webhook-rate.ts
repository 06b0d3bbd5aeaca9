import type { Bindings } from "../env";
import { ApiError } from "../lib/errors";
import type { Verdict } from "../lib/sliding-window";
import type { TriggerRow } from "./fire";

/** The most a trigger's own cap may be: a cap, not a way around one. */
export const MAX_WEBHOOK_RATE_PER_MIN = 100_000;
const DEFAULT_PER_MIN = 60;

/** The instance's cap on deliveries a minute to one webhook trigger; 0: none. */
export function instanceWebhookRate(env: Bindings): number {
  const n = Number(env.WEBHOOK_RATE_LIMIT_PER_MIN ?? DEFAULT_PER_MIN);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : DEFAULT_PER_MIN;
}

/** What caps the trigger's deliveries a minute: its own, else the instance's; null: nothing (a cron trigger, or both off). */
export function webhookRate(env: Bindings, t: Pick<TriggerRow, "kind" | "rate_limit_per_min">): number | null {
  if (t.kind !== "webhook") return null;
  const n = t.rate_limit_per_min ?? instanceWebhookRate(env);
  return n > 0 ? n : null;
}

/** Counts a signed delivery in the trigger's own object (one per trigger: exact across isolates). */
export async function countDelivery(env: Bindings, t: TriggerRow): Promise<Verdict | null> {
  const limit = webhookRate(env, t);
  if (limit === null) return null;
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`hook:${t.id}`)).hit(limit);
}

export function tooManyDeliveries(v: Verdict, limit: number, own: boolean): ApiError {
  return new ApiError(
    "rate_limited",
    `this trigger takes at most ${limit} deliveries a minute (${own ? "its own rate_limit_per_min" : "the instance's WEBHOOK_RATE_LIMIT_PER_MIN"}); retry in ${v.reset}s`,
    { limit_per_min: limit, retry_after_s: v.reset },
    { "retry-after": String(v.reset) },
  );
}
