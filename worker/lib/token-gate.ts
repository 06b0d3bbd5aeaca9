import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env";
import type { Principal } from "./context";
import { KeptWindow, type Verdict } from "./sliding-window";
import { Leases } from "./leases";
import { expired, principalForSessionHash, principalForTokenHash, type SessionReading } from "./auth-lookup";
import { log } from "./log";
import { sweepTokenSessions } from "./session-sweep";
import { TrustedReading } from "./trusted-reading";

/**
 * How long a gate trusts what it read before reading D1 again. Revocation tells the
 * gate at once; this only bounds a notice that never arrived.
 */
export const TRUST_MS = 60_000;
/** How long past its last check a stream's slot is held: the checks come at least every TRUST_MS. */
const STREAM_LEASE_MS = 60_000;

export interface Passage {
  /** null: no such token, or revoked */
  principal: Principal | null;
  verdict: Verdict;
}

/** How many of the token's dashboard sessions a gate keeps what it read of (a token has a few; one that has ended is not kept). */
const SESSIONS_HELD = 1_000;

/**
 * One per API token (named by the token's hash): who the token is, its dashboard
 * sessions, and its requests in the last minute. Every request of the token, and of its
 * sessions once D1 has vouched for them in the isolate, makes one call here instead
 * of a D1 read plus a rate-limiter call. Revoking a token or changing it calls `forget`,
 * and a sign-out `endSession`, so the next request reads D1 again; nothing of that
 * is written to storage but the request count, kept so an eviction forgives nothing. Its alarm
 * deletes the token's dashboard sessions as they expire, whether or not anything
 * else of its organization is awake then.
 */
export class TokenGate extends DurableObject<Bindings> {
  readonly counter = new KeptWindow(this.ctx.storage);
  private readonly known = new TrustedReading<Principal | null>(TRUST_MS);
  private readonly watchers = new Set<() => void>();
  /** The token's open streams, each until its lease ends: a stream renews it at every check (revokedWithin). */
  private readonly streams = new Leases();
  /** The token's dashboard sessions as D1 last answered for them, by the hash of their id: sign-out and revocation tell the gate. */
  private readonly sessions = new Map<string, TrustedReading<SessionReading | null>>();

  async pass(hash: string, limit: number): Promise<Passage> {
    const principal = await this.live(hash);
    return { principal, verdict: principal ? this.counter.hit(limit) : { ok: false, remaining: 0, reset: 0 } };
  }

  /** Counts a request already authenticated another way (a dashboard session's first in an isolate, which read D1 itself). */
  async count(limit: number): Promise<Verdict> {
    return this.counter.hit(limit);
  }

  /**
   * A dashboard session's request: the session (by the hash of its id) as the gate last read it, and the request
   * counted. Null, and not counted, when the session has ended, its token has, or it is not this token's (`hash`,
   * the gate's own name, as the isolate that vouched for the session read it).
   */
  async passSession(hash: string, idHash: string, limit: number): Promise<(Passage & { principal: Principal; expiresAt: number }) | null> {
    const session = await this.session(hash, idHash);
    return session && { principal: session.principal, expiresAt: session.session_expires_at, verdict: this.counter.hit(limit) };
  }

  /** Whether a session still holds, as `passSession` answers, without counting a request: an open stream's check. */
  async sessionHolds(hash: string, idHash: string): Promise<boolean> {
    return (await this.session(hash, idHash)) !== null;
  }

  private async session(hash: string, idHash: string): Promise<SessionReading | null> {
    let held = this.sessions.get(idHash);
    if (!held) {
      if (this.sessions.size >= SESSIONS_HELD) this.sessions.delete(this.sessions.keys().next().value!);
      held = new TrustedReading<SessionReading | null>(TRUST_MS);
      this.sessions.set(idHash, held);
    }
    const session = await held.get(() => principalForSessionHash(this.env.DB, idHash));
    if (!session) {
      if (this.sessions.get(idHash) === held) this.sessions.delete(idHash);
      return null;
    }
    return session.token_hash === hash && session.session_expires_at > Date.now() && !expired(session.principal) ? session : null;
  }

  /** A session of the token ended (signed out, or replaced by a sign-in): it is refused from now on, and its open streams check again. */
  async endSession(idHash: string): Promise<void> {
    this.sessions.get(idHash)?.forget();
    this.sessions.delete(idHash);
    await this.wake();
  }

  /**
   * True once the token is revoked or expired, false while it still holds after `ms`: each open stream of
   * the token asks again and again and ends at the first true. Revocation wakes every asker at once, and
   * expiry is waited for.
   */
  async revokedWithin(hash: string, ms: number, stream?: string): Promise<boolean> {
    if (stream !== undefined) this.streams.renew(stream, ms + STREAM_LEASE_MS);
    const held = await this.live(hash);
    if (!held) return true;
    const wait = held.expires_at === null ? ms : Math.max(0, Math.min(ms, held.expires_at - Date.now()));
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.watchers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, wait);
      this.watchers.add(wake);
    });
    return (await this.live(hash)) === null;
  }

  /** What the gate knows of the token, unless it has expired since it was read. */
  private async live(hash: string): Promise<Principal | null> {
    const principal = await this.known.get(() => principalForTokenHash(this.env.DB, hash, "bearer"));
    return principal && !expired(principal) ? principal : null;
  }

  /**
   * Takes a slot for a stream about to open, unless the token holds `cap` already. Its stream gives it back
   * when it ends; one whose isolate went away first lapses when its lease does. In memory: the streams' own calls,
   * each waiting in `revokedWithin`, keep the object from being evicted.
   */
  async openStream(id: string, cap: number): Promise<boolean> {
    if (this.streams.size() >= cap) return false;
    this.streams.take(id, STREAM_LEASE_MS);
    return true;
  }

  async closeStream(id: string): Promise<void> {
    this.streams.give(id);
  }

  async openStreams(): Promise<number> {
    return this.streams.size();
  }

  /** A dashboard session of the token began, ending at `expiresAt`: the alarm is set for the earliest such end. */
  async sessionOpened(tokenId: string, expiresAt: number): Promise<void> {
    this.ctx.storage.kv.put("token_id", tokenId);
    const at = await this.ctx.storage.getAlarm();
    if (at === null || at > expiresAt) await this.ctx.storage.setAlarm(expiresAt);
  }

  async alarm(): Promise<void> {
    const tokenId = this.ctx.storage.kv.get<string>("token_id");
    if (!tokenId) return;
    const next = await sweepTokenSessions(this.env.DB, tokenId);
    // the expired sessions' open streams end now, as a sign-out's do, not at their next check
    await this.wake();
    // strictly in the future: an alarm set for now from inside alarm() stalls locally
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, Date.now() + 1000));
  }

  async forget(): Promise<void> {
    this.known.forget();
    for (const held of this.sessions.values()) held.forget();
    this.sessions.clear();
    await this.wake();
  }

  /** Every open stream of the token checks again at once (a dashboard session of it has ended). */
  async wake(): Promise<void> {
    for (const wake of [...this.watchers]) wake();
  }
}

export const tokenGate = (env: Bindings, hash: string) => env.TOKEN_GATE.get(env.TOKEN_GATE.idFromName(hash));

/** After a revocation: the gate stops trusting the token at once rather than within TRUST_MS. */
export async function forgetToken(env: Bindings, hash: string): Promise<void> {
  try {
    await tokenGate(env, hash).forget();
  } catch (e) {
    log("error", "revoked token's gate not told; it lapses within its trust window", { error: String(e), trust_ms: TRUST_MS });
  }
}
