import { env, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../worker/lib/crypto";
import { TRUST_MS } from "../../worker/lib/token-gate";
import { api, expectError, gateOf, spendWindow, tokenWithRole } from "../helpers";

const signIn = async (token: string) => (await api("POST", "/auth/session", { token: null, body: { token } })).headers.get("set-cookie")!.split(";")[0];

describe("token gate", () => {
  it("answers for its token from memory, and reads D1 again once its trust window lapses", async () => {
    const token = await tokenWithRole("member");
    expect((await api("GET", "/tasks", { token })).status).toBe(200);
    // Revoked behind the API's back, so nobody tells the gate: it keeps trusting what it read...
    await env.DB.prepare("UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ?").bind(Date.now(), await sha256Hex(token)).run();
    expect((await api("GET", "/tasks", { token })).status).toBe(200);
    // ...until the window ends.
    await runInDurableObject(await gateOf(token), (o) => {
      const held = (o as unknown as { known: { held: { at: number } } }).known.held;
      held.at -= TRUST_MS;
    });
    expectError(await api("GET", "/tasks", { token }), 401, "unauthorized");
  });

  it("is told of a revocation through the API at once", async () => {
    const { json: made } = await api("POST", "/tokens", { body: { name: "gate", role: "viewer" } });
    expect((await api("GET", "/tasks", { token: made.token })).status).toBe(200);
    expect((await api("DELETE", `/tokens/${made.id}`)).status).toBe(204);
    expectError(await api("GET", "/tasks", { token: made.token }), 401, "unauthorized");
  });

  it("never makes an object for a token D1 does not know", async () => {
    const before = (await listDurableObjectIds(env.TOKEN_GATE)).length;
    for (let i = 0; i < 3; i++) expectError(await api("GET", "/tasks", { token: `fd_${crypto.randomUUID()}` }), 401, "unauthorized");
    expect((await listDurableObjectIds(env.TOKEN_GATE)).length).toBe(before);
  });

  it("counts the dashboard session's requests in the same window as its token's", async () => {
    const token = await tokenWithRole("viewer");
    const cookie = await signIn(token);
    const first = await api("GET", "/tasks", { token });
    const second = await api("GET", "/tasks", { token: null, headers: { cookie } });
    expect(second.status).toBe(200);
    expect(Number(second.headers.get("x-ratelimit-remaining"))).toBe(Number(first.headers.get("x-ratelimit-remaining")) - 1);
    await spendWindow(await gateOf(token));
    expectError(await api("GET", "/tasks", { token: null, headers: { cookie } }), 429, "rate_limited");
    expectError(await api("GET", "/tasks", { token }), 429, "rate_limited");
  });
});
