import { DurableObject } from "cloudflare:workers";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./context";
import type { Bindings } from "../env";
import { ApiError } from "./errors";

const WINDOW_MS = 60_000;

export interface Verdict {
  ok: boolean;
  remaining: number;
  /** seconds until the current window ends */
  reset: number;
}

export const UNLIMITED: Verdict = { ok: true, remaining: Number.POSITIVE_INFINITY, reset: 0 };

/** A fixed one-minute window counted in memory. */
export class FixedWindow {
  window = 0;
  count = 0;

  hit(limit: number, now = Date.now()): Verdict {
    if (!(limit > 0)) return UNLIMITED;
    const window = Math.floor(now / WINDOW_MS);
    if (window !== this.window) {
      this.window = window;
      this.count = 0;
    }
    const reset = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
    if (this.count >= limit) return { ok: false, remaining: 0, reset };
    this.count++;
    return { ok: true, remaining: limit - this.count, reset };
  }
}

/**
 * One per key (a webhook trigger; API tokens count in their TokenGate): a single
 * object per key makes the count exact across isolates; losing it on eviction only
 * forgives an idle key, so it is never written to storage.
 */
export class RateLimiter extends DurableObject<Bindings> {
  readonly counter = new FixedWindow();

  async hit(limit: number, now = Date.now()): Promise<Verdict> {
    return this.counter.hit(limit, now);
  }
}

export const rateLimitPerMinute = (env: Bindings) => Number(env.RATE_LIMIT_PER_MIN ?? 6000);

export async function checkRate(env: Bindings, key: string): Promise<Verdict> {
  const limit = rateLimitPerMinute(env);
  if (!(limit > 0)) return UNLIMITED;
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key)).hit(limit);
}

export function rateLimited(v: Verdict, limit: number): ApiError {
  return new ApiError("rate_limited", `rate limit exceeded: at most ${limit} requests a minute; retry in ${v.reset}s`, undefined, {
    "retry-after": String(v.reset),
  });
}

/** After `authenticate`, which counted the request in its token's gate. */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const v = c.get("rate");
  if (!v.ok) throw rateLimited(v, rateLimitPerMinute(c.env));
  await next();
  if (Number.isFinite(v.remaining)) c.header("x-ratelimit-remaining", String(v.remaining));
});
