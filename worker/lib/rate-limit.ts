import { DurableObject } from "cloudflare:workers";
import { createMiddleware } from "hono/factory";
import type { Bindings } from "../env";
import type { AppEnv } from "./context";
import { ApiError } from "./errors";

const WINDOW_MS = 60_000;

export interface Verdict {
  ok: boolean;
  remaining: number;
  /** seconds until the current window ends */
  reset: number;
}

/**
 * One per token: a fixed one-minute window counted in memory. A single object
 * per token makes the count exact across isolates; losing it on eviction only
 * forgives an idle token, so it is never written to storage.
 */
export class RateLimiter extends DurableObject<Bindings> {
  private window = 0;
  private count = 0;

  async hit(limit: number, now = Date.now()): Promise<Verdict> {
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

export const rateLimitPerMinute = (env: Bindings) => Number(env.RATE_LIMIT_PER_MIN ?? 6000);

export async function checkRate(env: Bindings, key: string): Promise<Verdict> {
  const limit = rateLimitPerMinute(env);
  if (!(limit > 0)) return { ok: true, remaining: Number.POSITIVE_INFINITY, reset: 0 };
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key)).hit(limit);
}

export function rateLimited(v: Verdict, limit: number): ApiError {
  return new ApiError("rate_limited", `rate limit exceeded: at most ${limit} requests a minute; retry in ${v.reset}s`, undefined, {
    "retry-after": String(v.reset),
  });
}

/** After authentication: counts every request of the token, reads included. */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const v = await checkRate(c.env, `token:${c.get("principal").token_id}`);
  if (!v.ok) throw rateLimited(v, rateLimitPerMinute(c.env));
  await next();
  if (Number.isFinite(v.remaining)) c.header("x-ratelimit-remaining", String(v.remaining));
});
