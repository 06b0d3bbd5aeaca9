import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, expectError, tokenWithRole } from "../helpers";

describe("/tokens", () => {
  it("creates a token whose secret is shown once, stored hashed, and works at once", async () => {
    const res = await api("POST", "/tokens", { body: { name: "ci", role: "member" } });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ name: "ci", role: "member" });
    expect(res.json.id).toMatch(/^tok_/);
    expect(res.json.token).toMatch(/^fd_/);
    expect(res.json.created_at).toMatch(/Z$/);

    const stored = await env.DB.prepare("SELECT * FROM api_tokens WHERE id = ?").bind(res.json.id).first<Record<string, unknown>>();
    expect(JSON.stringify(stored)).not.toContain(res.json.token);

    const me = await api("GET", "/auth/session", { token: res.json.token });
    expect(me.json.token).toMatchObject({ id: res.json.id, role: "member" });

    const list = await api("GET", "/tokens");
    expect(list.status).toBe(200);
    expect(list.json.next_cursor).toBeNull();
    const item = list.json.items.find((t: { id: string }) => t.id === res.json.id);
    expect(item).toMatchObject({ name: "ci", role: "member", revoked_at: null });
    expect(list.text).not.toContain(res.json.token);
    expect(Object.keys(item)).not.toContain("token");
  });

  it("revokes at once, ending the token's dashboard sessions", async () => {
    const { json: made } = await api("POST", "/tokens", { body: { name: "short-lived", role: "viewer" } });
    const signIn = await fetchSession(made.token);
    expect((await api("GET", "/tasks", { token: made.token })).status).toBe(200);
    expect((await api("GET", "/tasks", { token: null, headers: { cookie: signIn } })).status).toBe(200);

    const del = await api("DELETE", `/tokens/${made.id}`);
    expect(del.status, del.text).toBe(204);
    expectError(await api("GET", "/tasks", { token: made.token }), 401, "unauthorized");
    expectError(await api("GET", "/tasks", { token: null, headers: { cookie: signIn } }), 401, "unauthorized");
    const sessions = await env.DB.prepare("SELECT count(*) AS n FROM auth_sessions WHERE token_id = ?").bind(made.id).first<{ n: number }>();
    expect(sessions!.n).toBe(0);

    const list = await api("GET", "/tokens");
    expect(list.json.items.some((t: { id: string }) => t.id === made.id)).toBe(false);
    const all = await api("GET", "/tokens?include_revoked=true");
    expect(all.json.items.find((t: { id: string }) => t.id === made.id).revoked_at).toMatch(/Z$/);
    expectError(await api("DELETE", `/tokens/${made.id}`), 404, "not_found");
  });

  it("validates the body", async () => {
    expectError(await api("POST", "/tokens", { body: { name: "x", role: "owner" } }), 400, "bad_request");
    expectError(await api("POST", "/tokens", { body: { name: "", role: "admin" } }), 400);
    expectError(await api("POST", "/tokens", { body: { role: "admin" } }), 400);
    expectError(await api("POST", "/tokens", { body: { name: "x", role: "admin", instance_admin: true } }), 400);
    expectError(await api("POST", "/tokens", { body: { name: "x".repeat(101), role: "admin" } }), 400);
  });

  it("is for admins only: members and viewers can neither list nor manage tokens", async () => {
    for (const role of ["member", "viewer"] as const) {
      const t = await tokenWithRole(role);
      expectError(await api("POST", "/tokens", { token: t, body: { name: "x", role: "viewer" } }), 403, "forbidden");
      expectError(await api("GET", "/tokens", { token: t }), 403, "forbidden");
      expectError(await api("DELETE", "/tokens/tok_whatever", { token: t }), 403, "forbidden");
    }
  });

  it("lets a viewer read and nothing else; a member writes tasks but not tokens", async () => {
    const viewer = await tokenWithRole("viewer");
    expect((await api("GET", "/tasks", { token: viewer })).status).toBe(200);
    expectError(await api("POST", "/tasks", { token: viewer, body: { agent: "researcher", title: "t" } }), 403, "forbidden");
    const member = await tokenWithRole("member");
    expect((await api("POST", "/tasks", { token: member, body: { agent: "researcher", title: "t", description: "@output ok" } })).status).toBe(201);
  });

  it("cannot revoke the bootstrap token (it comes from the environment) or another organization's", async () => {
    expectError(await api("DELETE", "/tokens/tok_bootstrap"), 409, "conflict");
    const { json: org } = await api("POST", "/orgs", { body: { name: "Tokens Elsewhere" } });
    expectError(await api("DELETE", `/tokens/${org.token.id}`), 404, "not_found");
    const theirs = await api("GET", "/tokens", { token: org.token.token });
    expect(theirs.json.items.map((t: { id: string }) => t.id)).toEqual([org.token.id]);
    expect((await api("GET", "/tasks", { token: org.token.token })).status).toBe(200);
  });
});

async function fetchSession(token: string): Promise<string> {
  const res = await api("POST", "/auth/session", { token: null, body: { token } });
  expect(res.status).toBe(200);
  const cookie = res.headers.get("set-cookie")!;
  return cookie.split(";")[0];
}
