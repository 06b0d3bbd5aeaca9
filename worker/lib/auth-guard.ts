import type { Bindings } from "../env";
import { auditStatement } from "./audit";
import { DEFAULT_ORG_ID } from "./bootstrap";
import { sha256Hex } from "./crypto";
import { ApiError } from "./errors";
import type { FailureRule } from "./failure-log";
import { log } from "./log";
import type { Attempt } from "./rate-limit";

/** How much of a token its prefix key takes: `fd_` and 9 more characters, or all of a shorter one. */
export const PREFIX_CHARS = 12;

export interface AuthRules {
  address: FailureRule;
  prefix: FailureRule;
}

const setting = (v: string | undefined, fallback: number) => {
  const n = Number(v ?? fallback);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
};

export function authRules(env: Bindings): AuthRules {
  const windowMs = setting(env.AUTH_FAILURE_WINDOW_S, 900) * 1000;
  return {
    address: { limit: setting(env.AUTH_FAILURES_PER_ADDRESS, 20), windowMs },
    prefix: { limit: setting(env.AUTH_FAILURES_PER_TOKEN_PREFIX, 50), windowMs },
  };
}

/**
 * Cloudflare sets it on every request (and `npm start` from the connection); a request without it
 * (a test calling the Worker directly) has no address to count against.
 */
export const clientAddress = (headers: Headers): string | null => headers.get("cf-connecting-ip")?.trim() || null;

interface Counted {
  scope: "address" | "token_prefix";
  key: string;
  /** what the audit log names: the address, or a hash of the prefix (never a piece of a token) */
  target: string;
  rule: FailureRule;
  attempt: Attempt;
}

export interface GuardedCheck {
  counted: Counted[];
  address: string | null;
}

const limiter = (env: Bindings, key: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key));

const minutes = (s: number) => (s < 90 ? `${s}s` : `${Math.ceil(s / 60)} min`);

/**
 * Counts one credential check against the client's address and, when `token` is given, the token's
 * prefix, before it is made; refuses it (429, counting nothing) while either is locked, except that neither lock
 * holds a token at an address it passed a check from (a sign-in or an API request) in the last 30 days. Each caller says
 * afterwards how the check went: `passed` or `failed`.
 */
export async function beginCheck(env: Bindings, address: string | null, token?: string): Promise<GuardedCheck> {
  const rules = authRules(env);
  const keys: Omit<Counted, "attempt">[] = [];
  if (address && rules.address.limit > 0) keys.push({ scope: "address", key: `auth:address:${address}`, target: address, rule: rules.address });
  if (token !== undefined && rules.prefix.limit > 0) {
    const hash = (await sha256Hex(token.slice(0, PREFIX_CHARS))).slice(0, 16);
    keys.push({ scope: "token_prefix", key: `auth:prefix:${hash}`, target: `prefix:${hash}`, rule: rules.prefix });
  }
  const counted = await Promise.all(
    keys.map(async (k) => ({ ...k, attempt: await limiter(env, k.key).attempt(k.rule, k.scope === "token_prefix" ? (address ?? undefined) : undefined) })),
  );
  // A token that passed a check from this address before is not held by the address's lock: on a shared address (an
  // office's NAT) one client's failures, a script's revoked token say, must not lock out everyone else there.
  const knownHere = counted.some((c) => c.scope === "token_prefix" && c.attempt.trusted);
  const holds = (c: Counted) => c.attempt.lock.locked && !(c.scope === "address" && knownHere);
  const held = counted.filter(holds).sort((a, b) => b.attempt.lock.retryAfterS - a.attempt.lock.retryAfterS)[0];
  const free = counted.filter((c) => !c.attempt.lock.locked);
  if (held) {
    // the other key counted this attempt: it was not checked, so it is no failure there
    await passed(env, { counted: free, address: null });
    const s = held.attempt.lock.retryAfterS;
    const what = held.scope === "address" ? "failed sign-ins and API token checks from this address" : "failed sign-ins and API token checks with tokens beginning like this one";
    throw new ApiError(
      "rate_limited",
      `too many ${what} (${held.rule.limit} in ${minutes(held.rule.windowMs / 1000)}); try again in ${minutes(s)}`,
      { scope: held.scope, retry_after_s: s },
      { "retry-after": String(s) },
    );
  }
  // a lock this check passed counted nothing, so there is nothing of it to give back or audit
  return { counted: free, address };
}

/** The credential was right: its attempts are no failures, and its address is trusted under its prefix. */
export async function passed(env: Bindings, check: GuardedCheck): Promise<void> {
  await Promise.all(
    check.counted.map((c) =>
      limiter(env, c.key)
        .succeeded(c.attempt.at, c.scope === "token_prefix" ? (check.address ?? undefined) : undefined)
        .catch((e) => log("warn", "a right credential stays counted as a failed one", { scope: c.scope, error: String(e) })),
    ),
  );
}

/** The credential was wrong (already counted): a key it locked is logged and audited in the instance's own organization. */
export async function failed(env: Bindings, check: GuardedCheck, via: string): Promise<void> {
  for (const c of check.counted.filter((x) => x.attempt.locks)) {
    const details = { via, failures: c.rule.limit, window_s: c.rule.windowMs / 1000 };
    log("warn", "credential checks locked after repeated failures", { scope: c.scope, target: c.target, ...details });
    await auditStatement(env.DB, {
      org_id: DEFAULT_ORG_ID,
      actor: { type: "system", id: "auth-guard", name: "sign-in guard" },
      action: "auth.lockout",
      target_type: c.scope,
      target_id: c.target,
      details,
    })
      .run()
      .catch((e) => log("warn", "lockout not audited", { error: String(e) }));
  }
}
