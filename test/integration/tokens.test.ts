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

  it("never revokes an organization's last admin token (409 saying why), even when two admins revoke each other at once", async () => {
    const { json: org } = await api("POST", "/orgs", { body: { name: "Last Admin" } });
    const first = org.token as { id: string; token: string };
    const session = await fetchSession(first.token);
    const alone = await api("DELETE", `/tokens/${first.id}`, { token: first.token });
    expectError(alone, 409, "conflict");
    expect(alone.json.error.message).toContain("last admin token");
    // nothing changed: the token, its session, and no audit entry
    expect((await api("GET", "/tokens", { token: first.token })).status).toBe(200);
    expect((await api("GET", "/tasks", { token: null, headers: { cookie: session } })).status).toBe(200);
    expect((await api("GET", "/audit?action=token.revoke", { token: first.token })).json.items).toEqual([]);
    // other roles go as before; with a second admin the first can go, then the second is the last
    const viewer = (await api("POST", "/tokens", { token: first.token, body: { name: "v", role: "viewer" } })).json;
    expect((await api("DELETE", `/tokens/${viewer.id}`, { token: first.token })).status).toBe(204);
    const second = (await api("POST", "/tokens", { token: first.token, body: { name: "second", role: "admin" } })).json;
    expect((await api("DELETE", `/tokens/${first.id}`, { token: second.token })).status).toBe(204);
    expectError(await api("DELETE", `/tokens/${second.id}`, { token: second.token }), 409, "conflict");
    expectError(await api("DELETE", `/tokens/${first.id}`, { token: second.token }), 404, "not_found");

    const third = (await api("POST", "/tokens", { token: second.token, body: { name: "third", role: "admin" } })).json;
    const [a, b] = await Promise.all([api("DELETE", `/tokens/${third.id}`, { token: second.token }), api("DELETE", `/tokens/${second.id}`, { token: third.token })]);
    // one wins; the other is refused (409), or finds its own token already gone (401)
    expect([a.status, b.status].filter((st) => st === 204)).toHaveLength(1);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM api_tokens WHERE org_id = ? AND role = 'admin' AND revoked_at IS NULL").bind(org.org.id).first<{ n: number }>();
    expect(left!.n).toBe(1);
  });

  it("expires a token at its expires_at: its requests, dashboard sessions and sign-in are refused from then on", async () => {
    const at = new Date(Date.now() + 1500).toISOString();
    const res = await api("POST", "/tokens", { body: { name: "contractor", role: "member", expires_at: at } });
    expect(res.status, res.text).toBe(201);
    expect(res.json.expires_at).toBe(at);
    const made = res.json as { id: string; token: string };
    const cookie = await fetchSession(made.token);
    expect((await api("GET", "/tasks", { token: made.token })).status).toBe(200);
    expect((await api("GET", "/tasks", { token: null, headers: { cookie } })).status).toBe(200);
    const listed = (await api("GET", "/tokens")).json.items.find((t: { id: string }) => t.id === made.id);
    expect(listed).toMatchObject({ expires_at: at, revoked_at: null });
    const audit = (await api("GET", "/audit?action=token.create")).json.items.find((e: { target: { id: string } }) => e.target.id === made.id);
    expect(audit.details).toEqual({ name: "contractor", role: "member", expires_at: at });

    await new Promise((r) => setTimeout(r, Date.parse(at) - Date.now() + 50));
    // the gate read the token well inside its trust window, and still refuses it
    const late = await api("GET", "/tasks", { token: made.token });
    expectError(late, 401, "unauthorized");
    expect(late.json.error.message).toContain("expired");
    expectError(await api("GET", "/tasks", { token: null, headers: { cookie } }), 401, "unauthorized");
    const signIn = await api("POST", "/auth/session", { token: null, body: { token: made.token } });
    expectError(signIn, 401, "unauthorized");
    expect(signIn.json.error.message).toContain("expired");
    expect((await api("GET", "/tokens")).json.items.find((t: { id: string }) => t.id === made.id)).toMatchObject({ expires_at: at });
  });

  it("refuses an expiry that is not a future instant (400 at expires_at), and makes nothing", async () => {
    const before = (await api("GET", "/tokens?limit=100")).json.items.length;
    for (const expires_at of [new Date(Date.now() - 1000).toISOString(), "tomorrow", "2030-01-01", 1893456000, "2030-01-01T24:00:00Z", "2030-02-30T00:00:00Z"]) {
      const res = await api("POST", "/tokens", { body: { name: "never", role: "viewer", expires_at } });
      expectError(res, 400, "bad_request");
      expect(res.json.error.details.map((d: { path: string }) => d.path)).toEqual(["expires_at"]);
    }
    expect((await api("GET", "/tokens?limit=100")).json.items.length).toBe(before);
    const never = await api("POST", "/tokens", { body: { name: "forever", role: "viewer" } });
    expect(never.json.expires_at).toBeNull();
    // read as the task list's date filters read it: seconds may be left out, an offset other than Z is taken
    const minutes = await api("POST", "/tokens", { body: { name: "to the minute", role: "viewer", expires_at: "2030-01-01T09:30+02:00" } });
    expect(minutes.status, minutes.text).toBe(201);
    expect(minutes.json.expires_at).toBe("2030-01-01T07:30:00.000Z");
  });

  it("never counts an expired admin token as the one left to manage the organization", async () => {
    const { json: org } = await api("POST", "/orgs", { body: { name: "Expiring Admins" } });
    const first = org.token as { id: string; token: string };
    // long enough that a loaded machine still makes it before it expires (a past expiry is refused)
    const expiresAt = Date.now() + 2_000;
    const soon = await api("POST", "/tokens", { token: first.token, body: { name: "soon", role: "admin", expires_at: new Date(expiresAt).toISOString() } });
    expect(soon.status, soon.text).toBe(201);
    await new Promise((r) => setTimeout(r, expiresAt + 100 - Date.now()));
    const res = await api("DELETE", `/tokens/${first.id}`, { token: first.token });
    expectError(res, 409, "conflict");
    expect(res.json.error.message).toContain("last admin token");
  });

  it("changes a token's role or name, and its very next request, by bearer or dashboard session, has that role", async () => {
    const { json: made } = await api("POST", "/tokens", { body: { name: "ops", role: "admin" } });
    const cookie = await fetchSession(made.token);
    expect((await api("GET", "/tokens", { token: made.token })).status).toBe(200);
    expect((await api("GET", "/tokens", { token: null, headers: { cookie } })).status).toBe(200);

    const down = await api("PATCH", `/tokens/${made.id}`, { body: { role: "viewer" } });
    expect(down.status, down.text).toBe(200);
    expect(down.json).toMatchObject({ id: made.id, name: "ops", role: "viewer", revoked_at: null });
    expect(down.text).not.toContain(made.token);
    expectError(await api("GET", "/tokens", { token: made.token }), 403, "forbidden");
    expectError(await api("POST", "/tasks", { token: made.token, body: { agent: "researcher", title: "t", description: "@output x" } }), 403, "forbidden");
    expectError(await api("GET", "/tokens", { token: null, headers: { cookie } }), 403, "forbidden");
    expect((await api("GET", "/auth/session", { token: null, headers: { cookie } })).json.token).toMatchObject({ id: made.id, role: "viewer" });

    const up = await api("PATCH", `/tokens/${made.id}`, { body: { role: "member", name: "ops bot" } });
    expect(up.json).toMatchObject({ name: "ops bot", role: "member" });
    expect((await api("POST", "/tasks", { token: made.token, body: { agent: "researcher", title: "t", description: "@output x" } })).status).toBe(201);
    const audit = (await api("GET", "/audit?action=token.update")).json.items.filter((e: { target: { id: string } }) => e.target.id === made.id);
    expect(audit.map((e: { details: unknown }) => e.details)).toEqual([{ role: "member", name: "ops bot" }, { role: "viewer" }]);
  });

  it("refuses a bad change (400), another organization's, a revoked or the bootstrap token, and changes nothing", async () => {
    const { json: made } = await api("POST", "/tokens", { body: { name: "kept", role: "member" } });
    for (const body of [{}, { role: "owner" }, { name: "" }, { instance_admin: true }, { expires_at: null }]) {
      expectError(await api("PATCH", `/tokens/${made.id}`, { body }), 400, "bad_request");
    }
    expectError(await api("PATCH", "/tokens/tok_bootstrap", { body: { role: "viewer" } }), 409, "conflict");
    const { json: org } = await api("POST", "/orgs", { body: { name: "Patch Elsewhere" } });
    expectError(await api("PATCH", `/tokens/${org.token.id}`, { body: { role: "viewer" } }), 404, "not_found");
    expectError(await api("PATCH", `/tokens/${made.id}`, { token: org.token.token, body: { role: "admin" } }), 404, "not_found");
    for (const role of ["member", "viewer"] as const) {
      expectError(await api("PATCH", `/tokens/${made.id}`, { token: await tokenWithRole(role), body: { role: "admin" } }), 403, "forbidden");
    }
    expect((await api("GET", "/tokens")).json.items.find((t: { id: string }) => t.id === made.id)).toMatchObject({ name: "kept", role: "member" });
    expect((await api("DELETE", `/tokens/${made.id}`)).status).toBe(204);
    expectError(await api("PATCH", `/tokens/${made.id}`, { body: { role: "admin" } }), 404, "not_found");
    expect((await api("GET", "/audit?action=token.update")).json.items.filter((e: { target: { id: string } }) => e.target.id === made.id)).toEqual([]);
  });

  it("never demotes an organization's last admin token (409)", async () => {
    const { json: org } = await api("POST", "/orgs", { body: { name: "Last Admin Demoted" } });
    const first = org.token as { id: string; token: string };
    const res = await api("PATCH", `/tokens/${first.id}`, { token: first.token, body: { role: "member" } });
    expectError(res, 409, "conflict");
    expect(res.json.error.message).toContain("last admin token");
    expect((await api("PATCH", `/tokens/${first.id}`, { token: first.token, body: { name: "still admin" } })).json).toMatchObject({ role: "admin", name: "still admin" });
    const second = (await api("POST", "/tokens", { token: first.token, body: { name: "second", role: "admin" } })).json;
    expect((await api("PATCH", `/tokens/${first.id}`, { token: second.token, body: { role: "member" } })).json.role).toBe("member");
    expectError(await api("GET", "/tokens", { token: first.token }), 403, "forbidden");
  });

  it("signing in again ends the browser's previous session, and clears the token's expired ones", async () => {
    const { json: made } = await api("POST", "/tokens", { body: { name: "signs in twice", role: "viewer" } });
    const first = await fetchSession(made.token);
    await env.DB.prepare("INSERT INTO auth_sessions (id_hash, token_id, org_id, created_at, expires_at) VALUES (?, ?, 'org_default', 0, 1)").bind(`stale_${made.id}`, made.id).run();
    const again = await api("POST", "/auth/session", { token: null, headers: { cookie: first }, body: { token: made.token } });
    expect(again.status, again.text).toBe(200);
    const second = again.headers.get("set-cookie")!.split(";")[0];
    expect(second).not.toBe(first);
    expectError(await api("GET", "/tasks", { token: null, headers: { cookie: first } }), 401, "unauthorized");
    expect((await api("GET", "/tasks", { token: null, headers: { cookie: second } })).status).toBe(200);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM auth_sessions WHERE token_id = ?").bind(made.id).first<{ n: number }>();
    expect(left!.n).toBe(1);
  });
});

async function fetchSession(token: string): Promise<string> {
  const res = await api("POST", "/auth/session", { token: null, body: { token } });
  expect(res.status).toBe(200);
  const cookie = res.headers.get("set-cookie")!;
  return cookie.split(";")[0];
}

describe("401 challenges", () => {
  it("every 401 names the scheme and realm, and says when the token given was refused", async () => {
    const none = await api("GET", "/tasks", { token: null });
    expectError(none, 401, "unauthorized");
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="flightdeck"');

    const unknown = await api("GET", "/tasks", { token: "fd_not_a_token" });
    expectError(unknown, 401, "unauthorized");
    expect(unknown.headers.get("www-authenticate")).toBe('Bearer realm="flightdeck", error="invalid_token"');

    const malformed = await api("GET", "/tasks", { token: null, headers: { authorization: "Basic Zm9vOmJhcg==" } });
    expectError(malformed, 401, "unauthorized");
    expect(malformed.headers.get("www-authenticate")).toBe('Bearer realm="flightdeck", error="invalid_request"');

    const stale = await api("GET", "/tasks", { token: null, headers: { cookie: "fd_session=fds_gone" } });
    expectError(stale, 401, "unauthorized");
    expect(stale.headers.get("www-authenticate")).toBe('Bearer realm="flightdeck", error="invalid_token"');

    const signIn = await api("POST", "/auth/session", { token: null, body: { token: "fd_not_a_token" } });
    expectError(signIn, 401, "unauthorized");
    expect(signIn.headers.get("www-authenticate")).toBe('Bearer realm="flightdeck", error="invalid_token"');

    const { json: made } = await api("POST", "/tokens", { body: { name: "challenged", role: "viewer" } });
    expect((await api("DELETE", `/tokens/${made.id}`)).status).toBe(204);
    const revoked = await api("GET", "/tasks", { token: made.token });
    expectError(revoked, 401, "unauthorized");
    expect(revoked.headers.get("www-authenticate")).toBe('Bearer realm="flightdeck", error="invalid_token"');
  });
});
