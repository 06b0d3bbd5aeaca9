import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../worker/lib/rate-limit";
import { KEEP_AFTER_MS } from "../../worker/lib/sliding-window";
import { TokenGate } from "../../worker/lib/token-gate";

describe("a rate window outlives its object", () => {
  it("is written a second after a count, and a new instance on the same storage (an eviction's) goes on counting", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.newUniqueId());
    const at = Date.now();
    await runInDurableObject(stub, async (instance, state) => {
      const o = instance as unknown as RateLimiter;
      for (let i = 0; i < 3; i++) expect((await o.hit(3, at + i)).ok).toBe(true);
      expect(state.storage.kv.get("rate_window")).toBeUndefined();
      await new Promise((r) => setTimeout(r, KEEP_AFTER_MS + 200));
      expect(state.storage.kv.get("rate_window")).toMatchObject({ times: [at, at + 1, at + 2] });
      // before, a limit of 3 a minute let 3 more through after every idle eviction (about 10 s)
      const evicted = new RateLimiter(state, env);
      expect(await evicted.hit(3, at + 12_000)).toEqual({ ok: false, remaining: 0, reset: 48 });
      expect((await evicted.hit(3, at + 60_000)).ok).toBe(true);
      // written now, so no timer of an instance the runtime does not know outlives the test
      evicted.counter.keep();
    });
  });

  it("holds for a token's requests too", async () => {
    const stub = env.TOKEN_GATE.get(env.TOKEN_GATE.newUniqueId());
    await runInDurableObject(stub, async (instance, state) => {
      const o = instance as unknown as TokenGate;
      for (let i = 0; i < 5; i++) expect((await o.count(5)).ok).toBe(true);
      o.counter.keep();
      expect((await new TokenGate(state, env).count(5)).ok).toBe(false);
    });
  });
});
