import { DurableObject } from "cloudflare:workers";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./context";
import type { Bindings } from "../env";
import { ApiError } from "./errors";
import { type FailureRule, type Lock, lockOf, withFailure } from "./failure-log";
import { KeptWindow, type Verdict } from "./sliding-window";

/** How long an address where a token of a prefix passed a check stays exempt from that prefix's lock, and that token from the address's. */
const TRUSTED_MS = 30 * 24 * 3600 * 1000;

export interface Attempt {
  /** refused, and not counted: the credential must not be checked */
  lock: Lock;
  /** when the attempt was counted (give it back with `succeeded` if the credential was right) */
  at: number;
  /** this attempt, if it fails, is the one that locks the key */
  locks: boolean;
  /** the `address` given passed a check under this key in the last 30 days */
  trusted: boolean;
}

/**
 * One per key (a webhook trigger; API tokens count in their TokenGate): a single
 * object per key makes the count exact across isolates. The request count and the
 * failed credential checks (keys `auth:…`) are in storage: an eviction must hand
 * neither a sender nor a guesser a fresh count.
 */
export class RateLimiter extends DurableObject<Bindings> {
  readonly counter = new KeptWindow(this.ctx.storage);

  async hit(limit: number, now = Date.now()): Promise<Verdict> {
    return this.counter.hit(limit, now);
  }

  /**
   * Counts a credential check before it is made, as a failure until `succeeded` says otherwise: checked and
   * counted in one call, so concurrent guesses cannot all slip in before the first is counted; by this object's
   * clock, not the callers' (each request's clock stands still between its I/O). An `address`
   * that passed a check under this key before is not held by its lock (an attacker's failures elsewhere).
   */
  async attempt(rule: FailureRule, address?: string, now = Date.now()): Promise<Attempt> {
    const failures = this.failures();
    const lock = lockOf(failures, rule, now);
    const trusted = address !== undefined && this.trusted(address, now);
    if (lock.locked && !trusted) return { lock, at: now, locks: false, trusted };
    const after = withFailure(failures, rule, now);
    this.ctx.storage.kv.put("auth_failures", after);
    return { lock: { ...lock, locked: false }, at: now, locks: !lock.locked && lockOf(after, rule, now).locked, trusted };
  }

  /** The attempt counted `at` was a right credential: it is no failure, and `address` is trusted under this key. */
  async succeeded(at: number, address?: string, now = Date.now()): Promise<void> {
    const failures = this.failures();
    const i = failures.lastIndexOf(at);
    if (i >= 0) this.ctx.storage.kv.put("auth_failures", [...failures.slice(0, i), ...failures.slice(i + 1)]);
    if (address !== undefined) this.ctx.storage.kv.put(`trusted:${address}`, now + TRUSTED_MS);
  }

  private failures(): number[] {
    return this.ctx.storage.kv.get<number[]>("auth_failures") ?? [];
  }

  private trusted(address: string, now: number): boolean {
    const until = this.ctx.storage.kv.get<number>(`trusted:${address}`);
    if (until !== undefined && until <= now) this.ctx.storage.kv.delete(`trusted:${address}`);
    return until !== undefined && until > now;
  }
}

export const rateLimitPerMinute = (env: Bindings) => Number(env.RATE_LIMIT_PER_MIN ?? 6000);

export function rateLimited(v: Verdict, limit: number): ApiError {
  return new ApiError("rate_limited", `rate limit exceeded: at most ${limit} requests a minute; retry in ${v.reset}s`, undefined, {
    "retry-after": String(v.reset),
    "x-ratelimit-limit": String(limit),
    "x-ratelimit-remaining": "0",
  });
}

/** After `authenticate`, which counted the request in its token's gate. */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const v = c.get("rate");
  if (!v.ok) throw rateLimited(v, rateLimitPerMinute(c.env));
  await next();
  if (Number.isFinite(v.remaining)) {
    c.header("x-ratelimit-limit", String(rateLimitPerMinute(c.env)));
    c.header("x-ratelimit-remaining", String(v.remaining));
  }
});
