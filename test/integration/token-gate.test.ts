import { env, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../worker/lib/crypto";
import { TRUST_MS } from "../../worker/lib/token-gate";
import { api, BASE, expectError, gateOf, makeOrg, spendWindow, tokenWithRole, until } from "../helpers";

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

describe("a dashboard session at its token's gate", () => {
  const sidOf = (cookie: string) => cookie.slice(cookie.indexOf("=") + 1);
  const withCookie = (cookie: string) => ({ token: null, headers: { cookie, origin: BASE } });
  const tasks = (cookie: string) => api("GET", "/tasks", withCookie(cookie));

  it("answers a session's requests after its first from the gate's memory, and reads D1 again once its trust window lapses", async () => {
    const token = await tokenWithRole("member");
    const cookie = await signIn(token);
    expect((await tasks(cookie)).status).toBe(200);
    expect((await tasks(cookie)).status).toBe(200);
    const idHash = await sha256Hex(sidOf(cookie));
    // Deleted behind the API's back, so nobody tells the gate: it keeps trusting what it read...
    await env.DB.prepare("DELETE FROM auth_sessions WHERE id_hash = ?").bind(idHash).run();
    expect((await tasks(cookie)).status).toBe(200);
    // ...until the window ends.
    await runInDurableObject(await gateOf(token), (o) => {
      const held = (o as unknown as { sessions: Map<string, { held: { at: number } }> }).sessions.get(idHash)!.held;
      held.at -= TRUST_MS;
    });
    expectError(await tasks(cookie), 401, "unauthorized");
  });

  it("refuses a session signed out at once, though its gate held it", async () => {
    const cookie = await signIn(await tokenWithRole("viewer"));
    for (let i = 0; i < 2; i++) expect((await tasks(cookie)).status).toBe(200);
    expect((await api("DELETE", "/auth/session", withCookie(cookie))).status).toBe(204);
    expectError(await tasks(cookie), 401, "unauthorized");
  });

  it("ends the browser's earlier session at a new sign-in, though its gate held it", async () => {
    const token = await tokenWithRole("viewer");
    const earlier = await signIn(token);
    for (let i = 0; i < 2; i++) expect((await tasks(earlier)).status).toBe(200);
    const again = await api("POST", "/auth/session", { token: null, body: { token }, headers: { cookie: earlier, origin: BASE } });
    const later = again.headers.get("set-cookie")!.split(";")[0];
    expectError(await tasks(earlier), 401, "unauthorized");
    expect((await tasks(later)).status).toBe(200);
  });

  it("takes its token's new role, and its revocation, at once", async () => {
    const { json: made } = await api("POST", "/tokens", { body: { name: "session gate", role: "member" } });
    const cookie = await signIn(made.token);
    for (let i = 0; i < 2; i++) expect((await tasks(cookie)).status).toBe(200);
    expect((await api("PATCH", `/tokens/${made.id}`, { body: { role: "viewer" } })).status).toBe(200);
    expectError(await api("POST", "/tasks", { ...withCookie(cookie), body: { agent: "writer", title: "as a viewer", description: "no" } }), 403, "forbidden");
    expect((await api("DELETE", `/tokens/${made.id}`)).status).toBe(204);
    expectError(await tasks(cookie), 401, "unauthorized");
  });

  it("refuses a session past its end from the gate's memory", async () => {
    const at = Date.now() + 1500;
    const { json: made } = await api("POST", "/tokens", { body: { name: "short session", role: "viewer", expires_at: new Date(at).toISOString() } });
    const cookie = await signIn(made.token);
    for (let i = 0; i < 2; i++) expect((await tasks(cookie)).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now()) + 50));
    expectError(await tasks(cookie), 401, "unauthorized");
  });

  it("never makes an object for a session D1 does not know", async () => {
    const before = (await listDurableObjectIds(env.TOKEN_GATE)).length;
    for (let i = 0; i < 3; i++) expectError(await tasks(`__Host-fd_session=fds_${crypto.randomUUID()}`), 401, "unauthorized");
    expect((await listDurableObjectIds(env.TOKEN_GATE)).length).toBe(before);
  });
});
