import { env, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../worker/lib/crypto";
import { TRUST_MS } from "../../worker/lib/token-gate";
import { api, expectError, gateOf, makeOrg, spendWindow, tokenWithRole, until } from "../helpers";

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

  it("deletes its token's dashboard sessions once they expire, in an organization with no task running", async () => {
    const org = `org_sessions_${crypto.randomUUID().slice(0, 8)}`;
    const admin = await makeOrg(org);
    const at = Date.now() + 1500;
    const { json: made } = await api("POST", "/tokens", { token: admin, body: { name: "short", role: "viewer", expires_at: new Date(at).toISOString() } });
    await signIn(made.token);
    await signIn(admin);
    const sessions = () => env.DB.prepare("SELECT token_id FROM auth_sessions WHERE org_id = ?").bind(org).all<{ token_id: string }>().then((r) => r.results.map((s) => s.token_id));
    expect(await sessions()).toContain(made.id);
    const left = await until("the expired session to go", sessions, (ids) => !ids.includes(made.id), 10_000);
    expect(left).toHaveLength(1);
    expect(Date.now()).toBeGreaterThanOrEqual(at);
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
