import { describe, expect, it } from "vitest";
import { ADMIN, workerFetch } from "../helpers";

async function call(origin: string, method: string, path: string, init: { cookie?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (init.cookie) headers.cookie = init.cookie;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") headers.origin = origin;
  const res = await workerFetch(new Request(`${origin}/api/v1${path}`, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) }));
  await res.text();
  return { status: res.status, cookies: res.headers.getSetCookie() };
}

const signIn = (origin: string) => call(origin, "POST", "/auth/session", { body: { token: ADMIN } });
const valueOf = (cookies: string[], name: string) => cookies.find((c) => c.startsWith(`${name}=`))?.split(";")[0].slice(name.length + 1);

describe("the session cookie's name", () => {
  for (const origin of ["https://flightdeck.test", "http://localhost:8443", "http://127.0.0.1:8443"]) {
    it(`is __Host-fd_session, Secure, Path=/ and without Domain, from ${origin}`, async () => {
      const res = await signIn(origin);
      expect(res.status).toBe(200);
      expect(res.cookies).toHaveLength(1);
      const [cookie] = res.cookies;
      expect(cookie).toMatch(/^__Host-fd_session=fds_/);
      expect(cookie).toMatch(/; Secure/i);
      expect(cookie).toMatch(/; Path=\/(;|$)/);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Strict/i);
      expect(cookie).not.toMatch(/Domain=/i);
      const sid = valueOf(res.cookies, "__Host-fd_session");
      expect((await call(origin, "GET", "/auth/session", { cookie: `__Host-fd_session=${sid}` })).status).toBe(200);
    });
  }

  it("stays fd_session without Secure over plain http on another host, where a browser would drop a Secure cookie", async () => {
    const res = await signIn("http://flightdeck.test");
    expect(res.cookies).toHaveLength(1);
    expect(res.cookies[0]).toMatch(/^fd_session=fds_/);
    expect(res.cookies[0]).not.toMatch(/Secure/i);
    const sid = valueOf(res.cookies, "fd_session");
    const me = await call("http://flightdeck.test", "GET", "/auth/session", { cookie: `fd_session=${sid}` });
    expect(me.status).toBe(200);
    expect(me.cookies).toEqual([]);
  });

  it("keeps a session sent under the old name signed in, and moves it to __Host-fd_session for the rest of its life", async () => {
    const old = valueOf((await signIn("http://flightdeck.test")).cookies, "fd_session")!;
    const me = await call("https://flightdeck.test", "GET", "/auth/session", { cookie: `fd_session=${old}` });
    expect(me.status).toBe(200);
    const moved = me.cookies.find((c) => c.startsWith("__Host-fd_session="))!;
    expect(valueOf(me.cookies, "__Host-fd_session")).toBe(old);
    expect(moved).toMatch(/; Secure/i);
    const maxAge = Number(/Max-Age=(\d+)/.exec(moved)?.[1]);
    expect(maxAge).toBeGreaterThan(7 * 24 * 3600 - 120);
    expect(maxAge).toBeLessThanOrEqual(7 * 24 * 3600);
    // the old name's cookie is cleared, so the browser holds one session cookie
    expect(me.cookies.find((c) => c.startsWith("fd_session="))).toMatch(/Max-Age=0/);
    expect((await call("https://flightdeck.test", "GET", "/tasks", { cookie: `__Host-fd_session=${old}` })).status).toBe(200);

    const out = await call("https://flightdeck.test", "DELETE", "/auth/session", { cookie: `__Host-fd_session=${old}` });
    expect(out.status).toBe(204);
    expect(out.cookies.some((c) => c.startsWith("__Host-fd_session=") && /Max-Age=0/.test(c))).toBe(true);
    expect((await call("https://flightdeck.test", "GET", "/auth/session", { cookie: `fd_session=${old}` })).status).toBe(401);
  });

  it("refuses under the old name a session issued as __Host-fd_session: a sibling host could set that name to sign a browser in as someone else", async () => {
    const sid = valueOf((await signIn("https://flightdeck.test")).cookies, "__Host-fd_session")!;
    const planted = await call("https://flightdeck.test", "GET", "/auth/session", { cookie: `fd_session=${sid}` });
    expect(planted.status).toBe(401);
    expect(planted.cookies.some((c) => c.startsWith("__Host-fd_session="))).toBe(false);
    // under its own name it goes on as before
    expect((await call("https://flightdeck.test", "GET", "/auth/session", { cookie: `__Host-fd_session=${sid}` })).status).toBe(200);
  });

  it("ends the old-named session when the browser signs in again", async () => {
    const old = valueOf((await signIn("http://flightdeck.test")).cookies, "fd_session")!;
    const res = await call("https://flightdeck.test", "POST", "/auth/session", { cookie: `fd_session=${old}`, body: { token: ADMIN } });
    expect(res.status).toBe(200);
    expect(valueOf(res.cookies, "__Host-fd_session")).toMatch(/^fds_/);
    expect(res.cookies.find((c) => c.startsWith("fd_session="))).toMatch(/Max-Age=0/);
    expect((await call("https://flightdeck.test", "GET", "/auth/session", { cookie: `fd_session=${old}` })).status).toBe(401);
  });
});
